/**
 * `bmpmon replay FILE... --to HOST:PORT [--rate MSGS_PER_S | --speed X] [--connections N]`:
 * sends captured BMP streams to a collector as routers would, one TCP connection per
 * captured flow (or N copies of each, each posing as another router). `--speed X` keeps
 * the capture's own pace, X times faster: each message goes when its per-peer header's
 * timestamp is due (an MRT archive's RIB at once, its updates as they came).
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
  /** The capture's own pace × this (per-peer header timestamps); 0 or absent = off. */
  speed?: number;
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

/** Types whose messages carry a per-peer header (RFC 7854 §4.1–§4.2, §4.6–§4.9). */
const WITH_PEER_HEADER = new Set([0, 1, 2, 3, 6]);

/**
 * The per-peer header timestamp of the message at `off`, in ms; undefined when it has no
 * such header or the router left it zero (RFC 7854 §4.2 lets it).
 */
export function messageTimeMs(data: Uint8Array, off: number): number | undefined {
  if (off + 48 > data.length || !WITH_PEER_HEADER.has(data[off + 5])) return undefined;
  const v = new DataView(data.buffer, data.byteOffset + off);
  const sec = v.getUint32(40);
  const usec = v.getUint32(44);
  return sec === 0 && usec === 0 ? undefined : sec * 1000 + usec / 1000;
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
    if (opts.rate > 0 || (opts.speed ?? 0) > 0) {
      // One message at a time, each when it is due: by rate, or by its timestamp × speed.
      const t0 = performance.now();
      let first: number | undefined;
      const due = (i: number, off: number): number | undefined => {
        if (!opts.speed) return t0 + (i * 1000) / opts.rate;
        const ts = messageTimeMs(data, off);
        if (ts === undefined) return undefined;
        first ??= ts;
        return t0 + (ts - first) / opts.speed;
      };
      let start = 0;
      for (let i = 0; i < ends.length; i++) {
        const at = due(i, start);
        const wait = at === undefined ? 0 : at - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        await writeAll(conn, data.subarray(start, ends[i]));
        totals.bytes += ends[i] - start;
        totals.messages++;
        start = ends[i];
        opts.progress?.(totals.bytes, totals.messages, totals.total);
      }
    } else {
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
