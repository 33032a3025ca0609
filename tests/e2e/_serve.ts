/**
 * Runs `bmpmon serve` as a real process against a fresh PostgreSQL database (from
 * DATABASE_URL) or on the embedded store in a directory, for end-to-end tests.
 *
 * @module
 */

import postgres from "postgres";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** DATABASE_URL of the test server, or undefined (tests skip visibly). */
export const DATABASE_URL = Deno.env.get("DATABASE_URL");

/** Registers a test that needs PostgreSQL, or an ignored one saying why. */
export function dbTest(
  name: string,
  fn: () => Promise<void>,
  opts: { ignore?: string } = {},
): void {
  const why = !DATABASE_URL ? "no DATABASE_URL" : opts.ignore;
  if (why) Deno.test({ name: `${name} (skipped: ${why})`, ignore: true, fn });
  else Deno.test({ name, fn, sanitizeResources: false, sanitizeOps: false });
}

/** A running collector process with its own database (or embedded store). */
export interface Served {
  port: number;
  /** Process id of the `serve` process (for /proc figures). */
  pid: number;
  url: string;
  sql: postgres.Sql;
  log: string[];
  /** SIGTERM, wait for exit; returns the exit code. */
  stop(): Promise<number>;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Options of {@linkcode serve}. */
export interface ServeOptions {
  /** The `deno` arguments for the child's environment; default `run --allow-all main.ts serve`. */
  denoArgs?: (env: Record<string, string>) => Promise<string[]>;
  /** The server to create the database on (default DATABASE_URL). */
  server?: string;
  /** Keep the database and DATA_DIR after `stop()` (a restart passes `env.DATABASE_URL`). */
  keepDatabase?: boolean;
}

/** Creates a database, starts `bmpmon serve` on it and waits until it listens. */
export async function serve(
  env: Record<string, string> = {},
  opts: ServeOptions = {},
): Promise<Served> {
  if (env.DATABASE_URL) {
    // An existing database (a restart): nothing to create or drop.
    return await spawnServe(env, opts, env.DATABASE_URL);
  }
  const server = opts.server ?? DATABASE_URL!;
  const admin = postgres(server, { max: 1, onnotice: () => {} });
  const db = `bmpmon_e2e_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await admin.unsafe(`CREATE DATABASE ${db}`);
  await admin.end();
  const u = new URL(server);
  u.pathname = `/${db}`;
  const url = u.toString();
  // Its own state directory (spool, control socket) unless told: collectors run side by side.
  const dataDir = env.DATA_DIR ? undefined : await Deno.makeTempDir({ prefix: "bmpmon-e2e-" });
  const base = { DATABASE_URL: url, ...(dataDir ? { DATA_DIR: dataDir } : {}) };
  return await spawnServe({ ...base, ...env }, opts, url, async () => {
    if (opts.keepDatabase) return;
    const a = postgres(server, { max: 1, onnotice: () => {} });
    await a.unsafe(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await a.end();
    if (dataDir) await Deno.remove(dataDir, { recursive: true });
  });
}

/**
 * Starts `bmpmon serve` on the embedded store in `dataDir` (DATABASE_URL unset, whatever
 * this process has) with PG_LISTEN on a free loopback port, which `url` and `sql` use. The
 * directory is left after `stop()`: a restart on it sees the data.
 */
export async function serveEmbedded(
  dataDir: string,
  env: Record<string, string> = {},
  opts: ServeOptions = {},
): Promise<Served> {
  const pgPort = freePort();
  const url = `postgres://postgres@127.0.0.1:${pgPort}/postgres`;
  const base = { DATABASE_URL: "", DATA_DIR: dataDir, PG_LISTEN: `127.0.0.1:${pgPort}` };
  return await spawnServe({ ...base, ...env }, opts, url);
}

/** A child `deno` process whose stdout and stderr lines are collected in `log`. */
export interface LoggedChild {
  child: Deno.ChildProcess;
  log: string[];
  /** Sends `signal` (unless it exited), waits for the exit and the last lines: its code. */
  signal(signal: Deno.Signal): Promise<number>;
}

/**
 * Spawns `deno args` with `env` and waits (30 s) for a log line containing `ready`; an exit
 * before it is an error with the log.
 */
export async function spawnLogged(
  args: string[],
  env: Record<string, string>,
  ready: string,
  what: string,
): Promise<LoggedChild> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log: string[] = [];
  const { promise: started, resolve, reject } = Promise.withResolvers<void>();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let buf = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        log.push(line);
        if (line.includes(ready)) resolve();
      }
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const timer = setTimeout(
    () => reject(new Error(`${what} did not start:\n${log.join("\n")}`)),
    30_000,
  );
  child.status.then((s) => reject(new Error(`${what} exited ${s.code}:\n${log.join("\n")}`)));
  await started.finally(() => clearTimeout(timer));
  const signal = async (sig: Deno.Signal) => {
    try {
      child.kill(sig);
    } catch { /* exited */ }
    const status = await child.status;
    await pumps;
    return status.code;
  };
  return { child, log, signal };
}

/** Starts `bmpmon serve` with `env`, waits until it listens; `cleanup` runs after stop. */
async function spawnServe(
  env: Record<string, string>,
  opts: ServeOptions,
  url: string,
  cleanup?: () => Promise<void>,
): Promise<Served> {
  const port = freePort();
  const childEnv = { BMP_LISTEN_HOST: "127.0.0.1", BMP_LISTEN_PORT: String(port), ...env };
  const args = opts.denoArgs
    ? await opts.denoArgs(childEnv)
    : ["run", "--allow-all", MAIN, "serve"];
  const { child, log, signal } = await spawnLogged(args, childEnv, '"listening on', "serve");
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  return {
    port,
    pid: child.pid,
    url,
    sql,
    log,
    async stop() {
      const code = await signal("SIGTERM");
      await sql.end();
      await cleanup?.();
      return code;
    },
  };
}

/**
 * Waits grow by TEST_WAIT_SCALE (default 1; CI sets 2): CI runs the suite beside a
 * 10M-message fuzz on 2 cores, where a wait sized on a quiet machine can run out. A wait
 * only ends sooner or later; what a test asserts does not change.
 */
const WAIT_SCALE = Math.max(1, Number(Deno.env.get("TEST_WAIT_SCALE") ?? 1) || 1);

/** Polls `check` until it returns true or `ms` (× TEST_WAIT_SCALE) pass; `what` may
 * describe the state reached. */
export async function until(
  check: () => Promise<boolean>,
  ms: number,
  what: string | (() => string),
): Promise<void> {
  const deadline = Date.now() + ms * WAIT_SCALE;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${typeof what === "string" ? what : what()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
