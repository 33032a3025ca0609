/**
 * Opens PGlite on a data directory and serves it on a unix socket (the collector's pool)
 * and optionally a loopback TCP port (psql, Grafana). Runs in the embedded store's worker,
 * or in the calling thread for measurements.
 *
 * @module
 */

import { PGlite } from "@electric-sql/pglite";
import { WireServer } from "./server.ts";

/** Where {@linkcode startHost} opens and listens. */
export interface HostOptions {
  /** PGlite's data directory (created and initialised when empty). */
  pgdata: string;
  /** Unix socket path for local clients; a stale file there is replaced. */
  socketPath: string;
  /** Loopback TCP address for psql/Grafana. */
  tcp?: { hostname: string; port: number };
  /** See {@linkcode WireServerOptions.idleInTransactionMs}. */
  idleInTransactionMs?: number;
}

/** A running host. */
export interface Host {
  /** The TCP address actually bound (port 0 resolved). */
  tcp?: { hostname: string; port: number };
  /** Disconnects the clients, closes PGlite (a clean shutdown) and removes the socket. */
  close(): Promise<void>;
}

/**
 * Server settings beyond PGlite's (which already runs with fsync off, so a commit is safe
 * from a process crash but not from an OS crash). Full-page images only guard against
 * pages torn by an OS crash: without them the WAL of a full table load shrinks and the
 * load is faster (bench/embedded_m320.ts). The WAL caps act only at a checkpoint: a
 * single-user backend never checkpoints by WAL volume or time (no checkpointer), so pg_wal
 * would grow with what is written until close (603 MB for the M320 into a fresh store):
 * `serve` runs checkpoint.ts's job, which asks for a CHECKPOINT by WAL volume instead.
 */
const SETTINGS = [
  "-c",
  "full_page_writes=off",
  "-c",
  "max_wal_size=256MB",
  "-c",
  "min_wal_size=32MB",
];

function removeStale(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/**
 * Opens PGlite at `opts.pgdata` and starts serving it.
 *
 * @param onFatal called when PGlite died (the server then refuses every client)
 * @throws {Error} when PGlite cannot open the directory or an address is in use
 */
export async function startHost(opts: HostOptions, onFatal: (e: unknown) => void): Promise<Host> {
  const db = new PGlite(opts.pgdata, { startParams: [...PGlite.defaultStartParams, ...SETTINGS] });
  await db.waitReady;
  const server = new WireServer({
    // A startup packet's answer is a view of PGlite's buffer: copy it.
    exec: (b) => b[0] === 0 ? db.execProtocolRawSync(b).slice() : db.execProtocolRawSync(b),
  }, { onFatal, idleInTransactionMs: opts.idleInTransactionMs });
  const listeners: Deno.Listener[] = [];
  try {
    removeStale(opts.socketPath);
    const unix = Deno.listen({ transport: "unix", path: opts.socketPath });
    listeners.push(unix);
    Deno.chmodSync(opts.socketPath, 0o600);
    if (opts.tcp) listeners.push(Deno.listen({ ...opts.tcp, transport: "tcp" }));
  } catch (e) {
    for (const l of listeners) l.close();
    await db.close();
    throw e;
  }
  const serving = listeners.map((l) => server.serve(l).catch(onFatal));
  const tcp = listeners[1]?.addr as Deno.NetAddr | undefined;
  return {
    tcp: tcp && { hostname: tcp.hostname, port: tcp.port },
    async close() {
      await server.close();
      await Promise.all(serving);
      removeStale(opts.socketPath);
      if (!db.closed) await db.close();
    },
  };
}
