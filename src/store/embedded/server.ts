/**
 * A PostgreSQL wire-protocol server in front of one PGlite session, for any number of
 * clients (the collector's connection pool, psql, Grafana).
 *
 * PGlite is one single-user backend: one session, and a call runs whatever messages it
 * is given to completion. So the server cuts each client's stream into rounds (up to a
 * Sync, a simple Query, a Flush, or the end of a COPY), runs one round at a time, and
 * gives a client the session for as long as its last ReadyForQuery says it is inside a
 * transaction (or after a Flush, in the middle of an extended-protocol exchange): a
 * transaction never sees another client's statements.
 *
 * `COPY ... FROM STDIN`: PGlite cannot wait for data that has not arrived (its backend
 * reads EOF and exits), so the server answers the Query with a CopyInResponse itself,
 * collects the client's CopyData up to CopyDone/CopyFail and runs it all in one round.
 * Every round ends with a CopyFail, which the backend ignores outside COPY: a COPY the
 * server did not recognise (not first in its query, extended protocol) fails with an
 * error instead of taking the backend down.
 *
 * Prepared statements and portals of a client are renamed with a per-client prefix and
 * closed when it disconnects; its open transaction is rolled back. Session settings
 * (SET) and temporary tables are shared by all clients.
 *
 * @module
 */

import {
  CANCEL_REQUEST,
  closeStatement,
  concat,
  copyFail,
  copyFromStdin,
  copyInResponse,
  errorResponse,
  GSSENC_REQUEST,
  message,
  messageLength,
  query,
  queryText,
  readyStatus,
  renameObjects,
  SSL_REQUEST,
  startupCode,
  withoutFirst,
} from "./wire.ts";

/** One PostgreSQL session: runs protocol messages and returns the backend's answer. */
export interface SessionBackend {
  /** Runs a startup packet alone, or typed messages; throws when the backend died. */
  exec(bytes: Uint8Array): Uint8Array;
}

/** Options of {@linkcode WireServer}. */
export interface WireServerOptions {
  /** A client idle inside a transaction this long is disconnected (ms). Default 60 s. */
  idleInTransactionMs?: number;
  /** Called once when the backend failed; the server has closed every connection. */
  onFatal?: (e: unknown) => void;
}

interface Round {
  bytes: Uint8Array[];
  /** A startup packet. */
  startup?: boolean;
  /** The disconnect round: rollback and close statements; no answer. */
  cleanup?: boolean;
  /** No backend work: bytes to send when the round's turn comes. */
  reply?: Uint8Array;
}

class Client {
  readonly prefix: string;
  readonly rounds: Round[] = [];
  readonly statements = new Set<string>();
  queued = false;
  closed = false;
  writing: Promise<void> = Promise.resolve();
  idleTimer?: ReturnType<typeof setTimeout>;
  constructor(readonly id: number, readonly conn: Deno.Conn) {
    this.prefix = `c${id}_`;
  }
}

const X = 0x58, Q = 0x51, S = 0x53, H = 0x48, COPY_DONE = 0x63, COPY_FAIL = 0x66;

/** Guards every round: a COPY FROM STDIN the server did not see coming fails cleanly. */
const COPY_GUARD = copyFail(
  "bmpmon: COPY FROM STDIN must be the first statement of a simple query here",
);

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/**
 * Serves PostgreSQL clients from one session.
 *
 * @example
 * ```ts ignore
 * const db = await PGlite.create("./data/pgdata");
 * const server = new WireServer({ exec: (b) => db.execProtocolRawSync(b).slice() });
 * server.serve(Deno.listen({ hostname: "127.0.0.1", port: 5433 }));
 * ```
 */
export class WireServer {
  readonly #backend: SessionBackend;
  readonly #idleMs: number;
  readonly #onFatal?: (e: unknown) => void;
  readonly #clients = new Set<Client>();
  readonly #listeners = new Set<Deno.Listener>();
  readonly #waiting: Client[] = [];
  #owner: Client | null = null;
  #running = false;
  #nextId = 1;
  #failed = false;

  constructor(backend: SessionBackend, opts: WireServerOptions = {}) {
    this.#backend = backend;
    this.#idleMs = opts.idleInTransactionMs ?? 60_000;
    this.#onFatal = opts.onFatal;
  }

  /** Connected clients. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Accepts clients on `listener` until it is closed. */
  async serve(listener: Deno.Listener): Promise<void> {
    this.#listeners.add(listener);
    try {
      for await (const conn of listener) {
        if (this.#failed) {
          conn.close();
          continue;
        }
        if (conn.localAddr.transport === "tcp") (conn as Deno.TcpConn).setNoDelay(true);
        const c = new Client(this.#nextId++, conn);
        this.#clients.add(c);
        this.#read(c);
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.BadResource)) throw e;
    } finally {
      this.#listeners.delete(listener);
    }
  }

  /** Stops accepting, disconnects every client (rolling back open transactions). */
  async close(): Promise<void> {
    for (const l of this.#listeners) l.close();
    const clients = [...this.#clients];
    for (const c of clients) this.#disconnect(c);
    await Promise.allSettled(clients.map((c) => c.writing));
  }

  async #read(c: Client): Promise<void> {
    let buf: Uint8Array = new Uint8Array(0);
    let started = false;
    let copying = false;
    let round: Uint8Array[] = [];
    const chunk = new Uint8Array(256 * 1024);
    try {
      for (;;) {
        const n = await c.conn.read(chunk);
        if (n === null || c.closed) return;
        buf = buf.length > 0 ? concat([buf, chunk.subarray(0, n)]) : chunk.subarray(0, n);
        let off = 0;
        for (;;) {
          const len = messageLength(buf, off, started);
          if (len < 0) throw new Error("bad message length");
          if (len === 0) break;
          const m = buf.slice(off, off + len);
          off += len;
          if (!started) {
            const code = startupCode(m);
            if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
              // No TLS: the client goes on in the clear (loopback and unix socket only).
              c.writing = c.writing.then(() => writeAll(c.conn, new Uint8Array([0x4e])));
              continue;
            }
            // A CancelRequest cannot stop a running PGlite call: close, as PostgreSQL does.
            if (code === CANCEL_REQUEST) return;
            started = true;
            this.#enqueue(c, { bytes: [m], startup: true });
            continue;
          }
          const type = m[0];
          if (type === X) return;
          if (copying) {
            round.push(m);
            if (type === COPY_DONE || type === COPY_FAIL) {
              copying = false;
              this.#enqueue(c, { bytes: round });
              round = [];
            }
            continue;
          }
          if (type === Q) {
            round.push(m);
            const copy = copyFromStdin(queryText(m));
            if (copy) {
              copying = true;
              this.#enqueue(c, { bytes: [], reply: copyInResponse(copy.binary) });
            } else {
              this.#enqueue(c, { bytes: round });
              round = [];
            }
            continue;
          }
          const r = renameObjects(m, c.prefix);
          if (r.parsed) c.statements.add(r.parsed);
          if (r.closed) c.statements.delete(r.closed);
          round.push(r.message);
          if (type === S || type === H) {
            this.#enqueue(c, { bytes: round });
            round = [];
          }
        }
        buf = off === buf.length ? new Uint8Array(0) : buf.slice(off);
      }
    } catch {
      // A broken connection or a malformed message: the client goes away.
    } finally {
      this.#disconnect(c);
    }
  }

  #enqueue(c: Client, r: Round): void {
    if (c.closed && !r.cleanup) return;
    clearTimeout(c.idleTimer);
    c.rounds.push(r);
    if (!c.queued) {
      c.queued = true;
      this.#waiting.push(c);
    }
    this.#run();
  }

  #send(c: Client, bytes: Uint8Array): void {
    if (c.closed || bytes.length === 0) return;
    c.writing = c.writing.then(() => writeAll(c.conn, bytes)).catch(() => this.#disconnect(c));
  }

  /** The next client whose round may run: the session's holder, else the longest waiting. */
  #next(): Client | undefined {
    const owner = this.#owner;
    if (owner) return owner.rounds.length > 0 ? owner : undefined;
    while (this.#waiting.length > 0) {
      const c = this.#waiting.shift()!;
      c.queued = false;
      if (c.rounds.length > 0) return c;
    }
    return undefined;
  }

  #run(): void {
    if (this.#running || this.#failed) return;
    this.#running = true;
    try {
      for (let c = this.#next(); c; c = this.#next()) {
        const r = c.rounds.shift()!;
        if (r.reply) this.#send(c, r.reply);
        else {
          let out: Uint8Array;
          try {
            out = this.#backend.exec(r.startup ? r.bytes[0] : concat([...r.bytes, COPY_GUARD]));
          } catch (e) {
            this.#fail(e);
            return;
          }
          // The client has its CopyInResponse already (copy rounds), or must not get one: the
          // guard failed a COPY the server did not see coming.
          if (!r.startup) out = withoutFirst(out, "G");
          // No ReadyForQuery (after a Flush): the exchange goes on, the client keeps it.
          this.#owner = readyStatus(out) === "I" ? null : c;
          if (r.cleanup) {
            this.#owner = null;
            this.#clients.delete(c);
          } else this.#send(c, out);
        }
        if (c.rounds.length > 0 && !c.queued) {
          c.queued = true;
          this.#waiting.push(c);
        }
        if (this.#owner === c && c.rounds.length === 0) this.#armIdle(c);
      }
    } finally {
      this.#running = false;
    }
  }

  #armIdle(c: Client): void {
    clearTimeout(c.idleTimer);
    const timer = setTimeout(() => {
      this.#send(
        c,
        errorResponse(
          "FATAL",
          "25P03",
          "terminating connection due to idle-in-transaction timeout (the store waits)",
        ),
      );
      c.writing.finally(() => this.#disconnect(c));
    }, this.#idleMs);
    Deno.unrefTimer(timer);
    c.idleTimer = timer;
  }

  #disconnect(c: Client): void {
    if (c.closed) return;
    c.closed = true;
    clearTimeout(c.idleTimer);
    c.rounds.length = 0;
    c.writing.finally(() => {
      try {
        c.conn.close();
      } catch { /* closed already */ }
    });
    if (this.#failed) return;
    // Sync ends a half-done extended exchange; ROLLBACK is a no-op outside a transaction.
    const bytes = [message("S"), query("ROLLBACK"), ...[...c.statements].map(closeStatement)];
    bytes.push(message("S"));
    this.#enqueue(c, { bytes, cleanup: true });
  }

  #fail(e: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    for (const l of this.#listeners) l.close();
    for (const c of this.#clients) {
      c.closed = true;
      c.rounds.length = 0;
      try {
        c.conn.close();
      } catch { /* closed already */ }
    }
    this.#clients.clear();
    this.#onFatal?.(e);
  }
}
