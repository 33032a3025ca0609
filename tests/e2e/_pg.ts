/**
 * A private PostgreSQL server for tests that stop and start it (database outages): Debian's
 * binaries, a cluster in a temp directory, loopback only, run as the `postgres` user when
 * the tests run as root (initdb refuses root).
 *
 * @module
 */

const PG_BIN = (() => {
  try {
    const versions = [...Deno.readDirSync("/usr/lib/postgresql")].map((e) => e.name)
      .sort((a, b) => Number(a) - Number(b));
    const bin = `/usr/lib/postgresql/${versions.at(-1)}/bin`;
    Deno.statSync(`${bin}/initdb`);
    return bin;
  } catch {
    return undefined;
  }
})();

/** Why a private server cannot run here, or undefined. */
export const PRIVATE_PG_MISSING = PG_BIN
  ? undefined
  : "no PostgreSQL binaries in /usr/lib/postgresql";

/** A private server. */
export interface PrivatePostgres {
  url: string;
  /** Stops the server (fast shutdown: connections are cut). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and deletes the cluster. */
  destroy(): Promise<void>;
}

async function run(cmd: string): Promise<void> {
  const asRoot = Deno.uid() === 0;
  const c = new Deno.Command(asRoot ? "su" : "sh", {
    args: asRoot ? ["postgres", "-s", "/bin/sh", "-c", cmd] : ["-c", cmd],
    stdout: "piped",
    stderr: "piped",
  });
  const out = await c.output();
  if (!out.success) {
    throw new Error(
      `${cmd}: ${new TextDecoder().decode(out.stderr)}${new TextDecoder().decode(out.stdout)}`,
    );
  }
}

/** Creates and starts a cluster on a free loopback port. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await Deno.makeTempDir({ prefix: "bmpmon-pg-" });
  if (Deno.uid() === 0) {
    const pw = new TextDecoder().decode(await Deno.readFile("/etc/passwd"));
    const line = pw.split("\n").find((l) => l.startsWith("postgres:"))!;
    const [, , uid, gid] = line.split(":");
    await Deno.chown(dir, Number(uid), Number(gid));
  }
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await run(`${PG_BIN}/initdb -D ${dir}/data -A trust -U postgres >/dev/null`);
  const start = () =>
    run(
      `${PG_BIN}/pg_ctl -D ${dir}/data -l ${dir}/log -w start -o "-p ${port} -k ${dir} ` +
        `-c listen_addresses=127.0.0.1 -c fsync=off" >/dev/null`,
    );
  const stop = () => run(`${PG_BIN}/pg_ctl -D ${dir}/data -m fast -w stop >/dev/null`);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async destroy() {
      await stop().catch(() => {});
      await Deno.remove(dir, { recursive: true });
    },
  };
}
