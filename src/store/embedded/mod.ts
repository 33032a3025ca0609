/**
 * The embedded store: PostgreSQL (PGlite, PostgreSQL compiled to WASM) in a data
 * directory, for `bmpmon serve` without DATABASE_URL.
 *
 * ```text
 * main thread: collector → StoreWriter → postgres.js pool ─┐ unix socket DATA_DIR/.s.PGSQL.5432
 * worker:                                  WireServer ← ───┘ (+ PG_LISTEN for psql/Grafana)
 *                                              ↓ one round at a time
 *                                          PGlite (DATA_DIR/pgdata)
 * ```
 *
 * The writer and every query go through the PostgreSQL wire protocol exactly as with a
 * PostgreSQL server; see server.ts for how one PGlite session serves several clients.
 *
 * @module
 */

import { resolve } from "node:path";
import { embeddedDataPath, embeddedSocketPath } from "./paths.ts";
import type { FromWorker, ToWorker } from "./worker.ts";
import { type Host, type HostOptions, startHost } from "./host.ts";

/** Options of {@linkcode openEmbedded}. */
export interface EmbeddedOptions {
  /** The state directory: PGlite's data goes to `pgdata/` inside it. */
  dataDir: string;
  /** Also serve on this loopback TCP address (PG_LISTEN). */
  pgListen?: { hostname: string; port: number };
  /** Run PGlite on the calling thread instead of a worker (measurements only). */
  inProcess?: boolean;
  /** See {@linkcode WireServerOptions.idleInTransactionMs}. */
  idleInTransactionMs?: number;
}

/** An open embedded store. */
export interface EmbeddedStore {
  /** PGlite's data directory. */
  readonly pgdata: string;
  /** The unix socket clients connect to (`psql -h <dir of it>` works). */
  readonly socketPath: string;
  /** The PG_LISTEN address bound, if any. */
  readonly pgListen?: { hostname: string; port: number };
  /** postgres.js connection options for this store. */
  readonly connection: { path: string; username: string; database: string };
  /** Resolves with a message if PGlite dies while open. */
  readonly failed: Promise<string>;
  /** Disconnects every client and shuts PGlite down cleanly; releases the directory. */
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) the embedded store under `opts.dataDir` and starts serving
 * it. One process at a time: the directory is locked while open.
 *
 * @throws {RangeError} when the socket path under `dataDir` is too long
 * @throws {Error} when the directory is in use by another process, cannot be created,
 *   or PG_LISTEN's address cannot be bound
 */
export async function openEmbedded(opts: EmbeddedOptions): Promise<EmbeddedStore> {
  const socketPath = embeddedSocketPath(opts.dataDir);
  const pgdata = embeddedDataPath(opts.dataDir);
  const dataDir = resolve(opts.dataDir);
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const lock = await Deno.open(`${dataDir}/bmpmon.lock`, { create: true, write: true });
  if (!(await lock.tryLock(true))) {
    lock.close();
    throw new Error(`Cannot open the embedded store: ${dataDir} is in use by another process`);
  }
  const { promise: failed, resolve: fail } = Promise.withResolvers<string>();
  const options: HostOptions = {
    pgdata,
    socketPath,
    tcp: opts.pgListen,
    idleInTransactionMs: opts.idleInTransactionMs,
  };
  let host: Pick<Host, "tcp" | "close">;
  try {
    host = opts.inProcess
      ? await startHost(options, (e) => fail(e instanceof Error ? e.message : String(e)))
      : await startWorker(options, fail);
  } catch (e) {
    lock.close();
    throw new Error(`Cannot open the embedded store in ${pgdata}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  let closing: Promise<void> | undefined;
  return {
    pgdata,
    socketPath,
    pgListen: host.tcp,
    connection: { path: socketPath, username: "postgres", database: "postgres" },
    failed,
    close() {
      closing ??= host.close().finally(() => lock.close());
      return closing;
    },
  };
}

/** Starts the worker and opens the host in it. */
function startWorker(
  options: HostOptions,
  fail: (message: string) => void,
): Promise<Pick<Host, "tcp" | "close">> {
  const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  const { promise, resolve, reject } = Promise.withResolvers<Pick<Host, "tcp" | "close">>();
  let closed: ((error?: string) => void) | undefined;
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    const m = e.data;
    if (m.type === "ready") {
      resolve({
        tcp: m.tcp,
        close: () =>
          new Promise<void>((res, rej) => {
            closed = (error) => {
              worker.terminate();
              if (error) rej(new Error(`Cannot close the embedded store: ${error}`));
              else res();
            };
            worker.postMessage({ type: "close" } satisfies ToWorker);
          }),
      });
    } else if (m.type === "error") {
      worker.terminate();
      reject(new Error(m.error));
    } else if (m.type === "fatal") fail(m.error);
    else if (m.type === "closed") closed?.(m.error);
  };
  worker.onerror = (e) => {
    e.preventDefault();
    reject(new Error(e.message));
    fail(e.message);
    closed?.(e.message);
  };
  worker.postMessage({ type: "open", options } satisfies ToWorker);
  return promise;
}
