/**
 * Sends COPY text rows (`copy_buffer.ts`) to PostgreSQL with `COPY ... FROM STDIN` over
 * postgres.js, with backpressure and a check that the server accepted them.
 *
 * @module
 */

import type { Writable } from "node:stream";
import type { CopyBuffer } from "./copy_buffer.ts";

/**
 * Writes `bytes` to a COPY IN stream in chunks, waiting for `drain` whenever the stream
 * reports backpressure.
 *
 * @param stream the writable returned by postgres.js `sql\`COPY ... FROM STDIN\`.writable()`
 * @param bytes COPY text rows (complete lines)
 * @param chunkSize largest piece handed to the stream at once
 */
export async function writeCopyData(
  stream: Writable,
  bytes: Uint8Array,
  chunkSize = 256 * 1024,
): Promise<void> {
  for (let off = 0; off < bytes.length; off += chunkSize) {
    const piece = bytes.subarray(off, Math.min(bytes.length, off + chunkSize));
    if (!stream.write(piece)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          stream.off("error", onError);
          resolve();
        };
        const onError = (e: unknown) => {
          stream.off("drain", onDrain);
          reject(e);
        };
        stream.once("drain", onDrain);
        stream.once("error", onError);
      });
    }
  }
}

/** A minimal query interface: postgres.js `sql`, reserved connections and transactions fit. */
export interface CopySql {
  unsafe(query: string): PromiseLike<unknown> & { writable(): Promise<Writable> };
}

/**
 * Ends a COPY IN stream and waits until the server has accepted the data.
 *
 * postgres.js 3.4 never settles a COPY stream the server rejects after `CopyDone`
 * (porsager/postgres#1173): its end callback is not called and the server error is
 * dropped. So an empty probe query goes on the same connection behind the COPY: it has
 * no CommandComplete, which would run the stale callback, so when the probe has answered
 * and the end callback has not run, the COPY failed.
 *
 * @throws {Error} "Cannot COPY into TARGET: ..." when the server rejected the data
 */
export async function endCopy(stream: Writable, sql: CopySql, target = "table"): Promise<void> {
  let ended = false;
  let streamError: unknown;
  stream.once("error", (e) => streamError = e);
  // postgres.js sends CopyDone from the stream's final hook and refuses queries on the
  // connection until then: the probe may go once that hook has run.
  const s = stream as unknown as { _final(cb: (e?: Error) => void): void };
  const final = s._final;
  const finalRan = new Promise<void>((resolve) => {
    s._final = (cb) => {
      final.call(stream, cb);
      resolve();
    };
  });
  stream.end(() => ended = true);
  await Promise.race([finalRan, new Promise((r) => stream.once("error", r))]);
  let probeError: unknown;
  try {
    await sql.unsafe("");
  } catch (e) {
    probeError = e;
  }
  // The end callback runs from a stream event; give it a turn of the event loop.
  if (!ended) await new Promise((r) => setTimeout(r, 0));
  if (ended && !streamError && !probeError) return;
  const cause = streamError ?? probeError;
  const detail = streamError instanceof Error
    ? streamError.message
    : "the server rejected the data (postgres.js does not pass its error on)";
  throw new Error(`Cannot COPY into ${target}: ${detail}`, { cause });
}

/**
 * Runs `COPY <target> FROM STDIN` on `sql` with the rows of `buf`.
 *
 * @param sql a postgres.js reserved connection or transaction; given a pool, a
 *   connection is reserved for the COPY (the probe of {@linkcode endCopy} must follow the
 *   COPY on its connection)
 * @param target table and column list, e.g. `route_history (time, peer_id)`
 * @param buf the rows (nothing is sent when it is empty)
 * @throws {Error} "Cannot COPY into TARGET: ..." when the server rejects a row
 */
export async function copyIn(sql: CopySql, target: string, buf: CopyBuffer): Promise<void> {
  if (buf.length === 0) return;
  const pool = sql as CopySql & {
    reserve?: () => Promise<CopySql & { release(): void }>;
    release?: unknown;
    savepoint?: unknown;
  };
  if (typeof pool.reserve === "function" && !pool.release && !pool.savepoint) {
    const conn = await pool.reserve();
    try {
      return await copyIn(conn, target, buf);
    } finally {
      conn.release();
    }
  }
  const stream = await sql.unsafe(`COPY ${target} FROM STDIN`).writable();
  await writeCopyData(stream, buf.bytes());
  await endCopy(stream, sql, target);
}
