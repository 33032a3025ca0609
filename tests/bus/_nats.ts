/**
 * Runs a real `nats-server` with JetStream for the bus tests, on a free 127.0.0.1 port
 * with its own store directory; it can be stopped and started again on both.
 *
 * The configuration is the one README "Message bus (NATS JetStream)" shows.
 *
 * @module
 */

/** A nats-server the test controls. */
export interface NatsServer {
  port: number;
  url: string;
  storeDir: string;
  /** Stops the server (SIGTERM, then waits). */
  stop(): Promise<void>;
  /** Starts it again on the same port and store directory. */
  start(): Promise<void>;
  /** SIGKILL, then waits until the port is closed. */
  kill(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

/** Options of {@linkcode startNats}. */
export interface NatsOptions {
  /** User and password the server requires. */
  user?: string;
  password?: string;
  /** false: a server without JetStream. */
  jetstream?: boolean;
  /** The client port (default: a free one). */
  port?: number;
  /** A node of a JetStream cluster: its name, cluster port and the other nodes' ones. */
  cluster?: { serverName: string; port: number; routes: number[] };
  /** TLS required on the client port, with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
  /**
   * Operator mode (decentralized JWT auth): the operator's JWT, the system account and the
   * account JWTs (by public key) the server knows without an account server.
   */
  operator?: { jwt: string; systemAccount: string; accounts: Record<string, string> };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The server configuration the tests (and README) use. */
export function natsConfig(port: number, storeDir: string, opts: NatsOptions = {}): string {
  const auth = opts.user
    ? `authorization {\n  user: "${opts.user}"\n  password: "${opts.password}"\n}\n`
    : "";
  const js = opts.jetstream === false ? "" : `jetstream {
  store_dir: "${storeDir}"
  max_memory_store: 64MB
  max_file_store: 2GB
}
`;
  const cluster = opts.cluster
    ? `server_name: ${opts.cluster.serverName}
cluster {
  name: bmpmon
  listen: 127.0.0.1:${opts.cluster.port}
  routes: [${opts.cluster.routes.map((p) => `nats://127.0.0.1:${p}`).join(", ")}]
}
`
    : "";
  const tls = opts.tls
    ? `tls {\n  cert_file: "${opts.tls.certFile}"\n  key_file: "${opts.tls.keyFile}"\n}\n`
    : "";
  const op = opts.operator;
  const operator = op
    ? `operator: ${op.jwt}
system_account: ${op.systemAccount}
resolver: MEMORY
resolver_preload: {
${Object.entries(op.accounts).map(([k, v]) => `  ${k}: ${v}\n`).join("")}}
`
    : "";
  return `listen: 127.0.0.1:${port}\n${js}${auth}${cluster}${tls}${operator}`;
}

async function waitPort(port: number, up: boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    let open = false;
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      open = true;
    } catch { /* not listening */ }
    if (open === up) return;
    if (Date.now() > deadline) {
      throw new Error(`nats-server on ${port} did not ${up ? "start" : "stop"}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `nats-server -c` with JetStream on a free port. */
export async function startNats(opts: NatsOptions = {}): Promise<NatsServer> {
  const dir = await Deno.makeTempDir({ prefix: "bmpmon-nats-" });
  const port = opts.port ?? freePort();
  const storeDir = `${dir}/store`;
  const conf = `${dir}/nats.conf`;
  await Deno.writeTextFile(conf, natsConfig(port, storeDir, opts));
  let child: Deno.ChildProcess | undefined;
  const halt = async (signal: Deno.Signal) => {
    if (!child) return;
    try {
      child.kill(signal);
    } catch { /* exited */ }
    await child.status;
    child = undefined;
    await waitPort(port, false, 10_000);
  };
  const s: NatsServer = {
    port,
    url: `${opts.tls ? "tls" : "nats"}://127.0.0.1:${port}`,
    storeDir,
    async start() {
      child = new Deno.Command("nats-server", {
        args: ["-c", conf],
        stdout: "null",
        stderr: "null",
      }).spawn();
      await waitPort(port, true, 10_000);
    },
    stop: () => halt("SIGTERM"),
    kill: () => halt("SIGKILL"),
    async close() {
      await s.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
  await s.start();
  return s;
}

/** Starts a JetStream cluster of `n` nodes on 127.0.0.1; `url` lists them all. */
export async function startCluster(n: number): Promise<{ nodes: NatsServer[]; url: string }> {
  const ports = Array.from({ length: n }, () => freePort());
  const clusterPorts = Array.from({ length: n }, () => freePort());
  const nodes = await Promise.all(ports.map((port, i) =>
    startNats({
      port,
      cluster: {
        serverName: `n${i + 1}`,
        port: clusterPorts[i],
        routes: clusterPorts.filter((_, j) => j !== i),
      },
    })
  ));
  return { nodes, url: nodes.map((s) => s.url).join(",") };
}

/** The value of the unlabelled metric `name` on the /metrics of 127.0.0.1:`port`. */
export async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  if (!m) throw new Error(`no ${name} in /metrics`);
  return Number(m[1]);
}

/** Runs `fn` with a server started with `opts`, closed after. */
export async function withNats(
  opts: NatsOptions,
  fn: (n: NatsServer) => Promise<void>,
): Promise<void> {
  const n = await startNats(opts);
  try {
    await fn(n);
  } finally {
    await n.close();
  }
}
