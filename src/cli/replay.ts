/**
 * `bmpmon replay FILE... --to HOST:PORT [--rate MSGS_PER_S] [--connections N]`: sends
 * captured BMP streams to a collector as routers would, one TCP connection per captured
 * flow (or N copies of each, each posing as another router).
 *
 * @module
 */

import { readCapture } from "../io/file.ts";
import { mrtToBmp } from "../mrt/to_bmp.ts";

/** A replay that could not reach the collector, or lost it: one line for the operator. */
export class ReplayError extends Error {}

/** Replay options. */
export interface ReplayOptions {
  hostname: string;
  port: number;
  /** Messages per second per connection; 0 = as fast as the socket allows. */
  rate: number;
  /** Copies of each flow, each on its own connection. */
  connections: number;
  /** Keep each connection open this long after its stream was sent (ms). */
  holdMs?: number;
  /** Progress callback: bytes and messages sent so far (all connections), bytes in all. */
  progress?: (sentBytes: number, sentMessages: number, totalBytes: number) => void;
}

/** Totals of a replay. */
export interface ReplayResult {
  connections: number;
  bytes: number;
  messages: number;
  seconds: number;
}

/** Splits a stream into whole BMP messages' end offsets (stops at a broken header). */
function messageEnds(data: Uint8Array): number[] {
  const ends: number[] = [];
  let off = 0;
  while (off + 6 <= data.length) {
    const len = ((data[off + 1] << 24) >>> 0) +
      ((data[off + 2] << 16) | (data[off + 3] << 8) | data[off + 4]);
    if (len < 6 || off + len > data.length) break;
    off += len;
    ends.push(off);
  }
  if (off < data.length) ends.push(data.length);
  return ends;
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

async function sendStream(
  data: Uint8Array,
  opts: ReplayOptions,
  totals: { bytes: number; messages: number; total: number },
) {
  const to = `${opts.hostname.includes(":") ? `[${opts.hostname}]` : opts.hostname}:${opts.port}`;
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: opts.hostname, port: opts.port, transport: "tcp" });
  } catch (e) {
    throw new ReplayError(`replay: cannot connect to ${to}: ${reason(e)}`);
  }
  try {
    const ends = messageEnds(data);
    if (opts.rate <= 0) {
      // Whole messages in chunks of about 256 KiB: few syscalls, realistic segmenting.
      let start = 0, i = 0, sent = 0;
      while (i < ends.length) {
        let end = ends[i++];
        while (i < ends.length && ends[i] - start <= 256 * 1024) end = ends[i++];
        await writeAll(conn, data.subarray(start, end));
        totals.bytes += end - start;
        totals.messages += i - sent;
        sent = i;
        start = end;
        opts.progress?.(totals.bytes, totals.messages, totals.total);
      }
    } else {
      const t0 = performance.now();
      let start = 0;
      for (let i = 0; i < ends.length; i++) {
        const due = t0 + (i * 1000) / opts.rate;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        await writeAll(conn, data.subarray(start, ends[i]));
        totals.bytes += ends[i] - start;
        totals.messages++;
        start = ends[i];
        opts.progress?.(totals.bytes, totals.messages, totals.total);
      }
    }
    if (opts.holdMs) await new Promise((r) => setTimeout(r, opts.holdMs));
  } catch (e) {
    if (e instanceof ReplayError) throw e;
    throw new ReplayError(
      `replay: connection to ${to} lost after ${totals.bytes} bytes: ${reason(e)}`,
    );
  } finally {
    conn.close();
  }
}

/** The OS's reason without Deno's "(os error N)" suffix. */
function reason(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s*\(os error \d+\)$/, "");
}

/** Replays the files' flows to the collector, and the MRT files among them as one BMP
 * session; resolves when every connection closed. */
export async function replay(files: string[], opts: ReplayOptions): Promise<ReplayResult> {
  const streams: Uint8Array[] = [];
  const mrt: Uint8Array[] = [];
  for (const f of files) {
    const c = await readCapture(f);
    if (c.mrt) mrt.push(c.mrt);
    for (const flow of c.flows) streams.push(flow.data);
  }
  // MRT archives together make one BMP session (src/mrt/to_bmp.ts).
  if (mrt.length) streams.push(mrtToBmp(mrt).stream);
  const copies = Math.max(1, opts.connections);
  const total = streams.reduce((n, s) => n + s.length, 0) * copies;
  const totals = { bytes: 0, messages: 0, total };
  const t0 = performance.now();
  const jobs: Promise<void>[] = [];
  for (const s of streams) {
    for (let i = 0; i < copies; i++) jobs.push(sendStream(s, opts, totals));
  }
  await Promise.all(jobs);
  return {
    connections: jobs.length,
    bytes: totals.bytes,
    messages: totals.messages,
    seconds: (performance.now() - t0) / 1000,
  };
}
