/**
 * The session fuzz harness: mutated BMP streams through what `serve` runs per router
 * connection, minus the sockets and the database:
 *
 * ```text
 * reads of random sizes → Framer → BmpSession.decode → the store's rows and their
 * encodings (COPY text, JSON for jsonb)
 * ```
 *
 * Invariants, for every message:
 * - `Framer.drain` throws nothing but a framing `DecodeError` (bad-version, bad-length,
 *   too-large); the stream then ends, as the connection would;
 * - `BmpSession.decode` throws nothing but a `DecodeError` with a fixed message (see
 *   `checkThrown`);
 * - building the rows of a decoded message throws nothing at all, and every value the
 *   writer sends as JSON serialises.
 *
 * Streams are a pure function of (corpus, seed, index), so any failure is reproduced from
 * the seed alone. Generation is cheap: seed messages are copied into one reused buffer
 * and mutated there, with their length fields found once per seed.
 *
 * Run as a shard: `deno run --allow-read tests/fuzz/_session.ts SEED SHARD SHARDS
 * MESSAGES` prints `@k` on stderr as it starts stream k, and one JSON line of
 * {@linkcode ShardResult} on stdout.
 *
 * @module
 */

import type { BmpMessage } from "../../src/bmp/message.ts";
import { BmpSession } from "../../src/bmp/session.ts";
import { Framer } from "../../src/collector/framer.ts";
import { readCapture, readInput } from "../../src/io/file.ts";
import { encodeAttrs, encodeMirroring, encodeRoute, encodeStat } from "../../src/store/_encode.ts";
import { CopyBuffer } from "../../src/store/copy_buffer.ts";
import { jsonWithoutNul } from "../../src/store/pg_text.ts";
import { attrColumns } from "../../src/store/rows/attrs.ts";
import {
  mirroringRow,
  peerDownRow,
  peerUpRow,
  routerEventRow,
  statRows,
} from "../../src/store/rows/events.ts";
import { peerKey, peerKeyText, tableNameOf } from "../../src/store/rows/peer.ts";
import { routeRows } from "../../src/store/rows/route.ts";
import { DecodeError } from "../../src/wire/errors.ts";
import { frame, lengthFields, mixSeed, readField, Rng } from "./_mutate.ts";
import { syntheticSeeds } from "./_seeds.ts";
import { checkThrown } from "./_worker.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url);

/** One seed message and the offsets/sizes of its inner length fields. */
interface Seed {
  bytes: Uint8Array;
  /** [off, size, off, size, ...] of the length fields below the common header. */
  fields: number[];
}

/** The messages of one captured session, in order. */
export interface SessionSource {
  name: string;
  messages: Seed[];
  /** Initiation and Peer Ups: what a stream cut from the middle starts with. */
  prelude: Uint8Array[];
}

function sourceOf(name: string, messages: Uint8Array[]): SessionSource {
  const seeds = messages.map((bytes) => ({
    bytes,
    fields: lengthFields(bytes).filter((f) => f.off !== 1).flatMap((f) => [f.off, f.size]),
  }));
  const prelude = messages.filter((m) => m[5] === 4 || m[5] === 3).slice(0, 64);
  return { name, messages: seeds, prelude };
}

/** The corpus: the bundled captures (whole sessions), the seed corpus, synthetic
 * messages, the NetGauze pcaps and the first 3,000 messages of the M320 table. */
export async function loadSessionSources(): Promise<SessionSource[]> {
  const out: SessionSource[] = [];
  const lab = new URL("gobgp-frr-lab/", FIXTURES);
  for (
    const f of [
      "gobgp-3.10-all-1k.bmp",
      "frr-8.4-prepost-1k.bmp",
      "frr-8.4-mirror-100.bmp",
      "gobgp-3.10-pre-100.bmp",
    ]
  ) {
    out.push(sourceOf(f, frame(await Deno.readFile(new URL(f, lab)))));
  }
  out.push(
    sourceOf(
      "fuzz-seeds",
      frame(await Deno.readFile(new URL("fuzz-seeds/gobgp-frr-lab.bmp", FIXTURES))),
    ),
  );
  out.push(sourceOf("synthetic", syntheticSeeds()));
  const ng = new URL("netgauze/", FIXTURES);
  const dirs: string[] = [];
  for await (const e of Deno.readDir(ng)) if (e.isDirectory) dirs.push(e.name);
  for (const d of dirs.sort()) {
    const files: string[] = [];
    for await (const e of Deno.readDir(new URL(`${d}/`, ng))) {
      if (e.name.endsWith(".pcap")) files.push(e.name);
    }
    for (const f of files.sort()) {
      const cap = await readCapture(new URL(`${d}/${f}`, ng).pathname);
      const msgs = cap.flows.flatMap((fl) => frame(fl.data));
      if (msgs.length) out.push(sourceOf(`netgauze/${d}/${f}`, msgs));
    }
  }
  const m320 = await readInput(new URL("juniper-m320/m320.bmp.xz", FIXTURES).pathname);
  out.push(sourceOf("juniper-m320 (first 3,000)", frame(m320, 3000)));
  return out;
}

// ---------------------------------------------------------------------------------------
// Streams
// ---------------------------------------------------------------------------------------

/** A generated stream (a view on a reused buffer, valid until the next call). */
export interface SessionStream {
  bytes: Uint8Array;
  /** Messages generated, and how many of them were mutated. */
  messages: number;
  mutated: number;
  /** Reads of the stream: "whole", "64k", "small" or "tiny". */
  reads: string;
}

let streamBuf = new Uint8Array(1 << 20);

function ensure(n: number): void {
  if (n <= streamBuf.length) return;
  const b = new Uint8Array(Math.max(n, streamBuf.length * 2));
  b.set(streamBuf);
  streamBuf = b;
}

function setU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

function setField(b: Uint8Array, off: number, size: number, v: number): void {
  for (let i = size - 1; i >= 0; i--) {
    b[off + i] = v & 0xff;
    v = Math.floor(v / 256);
  }
}

/** A lie about a length field: 0, all ones, off by one, small, doubled or halved. */
function lie(rng: Rng, cur: number, size: number): number {
  const max = 2 ** (8 * size) - 1;
  switch (rng.int(6)) {
    case 0:
      return 0;
    case 1:
      return max;
    case 2:
      return Math.min(max, cur + 1);
    case 3:
      return Math.max(0, cur - 1);
    case 4:
      return rng.int(Math.min(max + 1, 64));
    default:
      return Math.min(max, rng.chance(0.5) ? cur * 2 : cur >> 1);
  }
}

/** Writes seed `s` at `pos`, mutated 1-4 times; returns its new length. */
function writeMutated(rng: Rng, s: Seed, pos: number, other: () => Seed): number {
  const src = s.bytes;
  let len = src.length;
  ensure(pos + len + 4096);
  const b = streamBuf;
  b.set(src, pos);
  const ops = 1 + (rng.chance(0.5) ? 0 : rng.int(4));
  for (let k = 0; k < ops; k++) {
    const where = () => pos + (rng.chance(0.35) ? rng.int(Math.min(len, 80)) : rng.int(len));
    const op = rng.int(100);
    if (op < 30) {
      const n = 1 + rng.int(8);
      for (let i = 0; i < n; i++) b[where()] ^= 1 << rng.int(8);
    } else if (op < 45) {
      b[where()] = rng.pick([0, 0xff, rng.u32() & 0xff]);
    } else if (op < 70) {
      if (s.fields.length === 0) continue;
      const i = 2 * rng.int(s.fields.length / 2);
      const off = s.fields[i], size = s.fields[i + 1];
      if (off + size > len) continue;
      setField(b, pos + off, size, lie(rng, readField(b, pos + off, size), size));
    } else if (op < 80) {
      len = 6 + rng.int(len - 5);
    } else if (op < 90) {
      const n = 1 + rng.int(64);
      for (let i = 0; i < n; i++) b[pos + len + i] = rng.u32() & 0xff;
      len += n;
    } else {
      const o = other().bytes;
      const cut = 6 + rng.int(len - 5);
      const from = rng.int(o.length);
      const tail = Math.min(o.length - from, 1024 - 64);
      b.set(o.subarray(from, from + tail), pos + cut);
      len = cut + tail;
    }
  }
  // The common header stays framable here: breaking it is a separate, rarer event.
  b[pos] = src[0];
  setU32(b, pos + 1, len);
  return len;
}

/** Header damage that breaks framing: a bad version, a length below 6 or too large. */
function breakHeader(rng: Rng, pos: number): void {
  const b = streamBuf;
  switch (rng.int(3)) {
    case 0:
      b[pos] = rng.pick([0, 1, 2, 5, 0xff]);
      break;
    case 1:
      setU32(b, pos + 1, rng.int(6));
      break;
    default:
      setU32(b, pos + 1, rng.pick([(1 << 20) + 1, 0x7fffffff, 0xffffffff]));
  }
}

/**
 * Stream `k` of a run: part of one source session (after its Initiation and Peer Ups,
 * mostly), 40% of the messages mutated, and rarely a header that breaks framing.
 */
export function sessionStreamAt(sources: SessionSource[], seed: number, k: number): SessionStream {
  const rng = new Rng(mixSeed(seed ^ 0x5e55a0f2, k));
  const src = rng.pick(sources);
  const msgs = src.messages;
  const n = 20 + rng.int(280);
  const start = rng.int(msgs.length);
  let pos = 0;
  let mutated = 0;
  let count = 0;
  if (start > 0 && rng.chance(0.8)) {
    for (const p of src.prelude) {
      ensure(pos + p.length);
      streamBuf.set(p, pos);
      pos += p.length;
      count++;
    }
  }
  const other = () => rng.pick(msgs);
  const rate = rng.pick([0.1, 0.4, 0.4, 0.9]);
  for (let i = 0; i < n; i++) {
    const s = msgs[(start + i) % msgs.length];
    count++;
    if (rng.chance(rate)) {
      const at = pos;
      pos += writeMutated(rng, s, pos, other);
      mutated++;
      if (rng.chance(0.004)) breakHeader(rng, at);
    } else {
      ensure(pos + s.bytes.length);
      streamBuf.set(s.bytes, pos);
      pos += s.bytes.length;
    }
  }
  if (rng.chance(0.2)) pos -= rng.int(Math.min(pos, 200)); // cut mid-message
  const reads = rng.pick(["whole", "64k", "64k", "small", "tiny"]);
  return { bytes: streamBuf.subarray(0, pos), messages: count, mutated, reads };
}

// ---------------------------------------------------------------------------------------
// The pipeline
// ---------------------------------------------------------------------------------------

/** Counters of a run. */
export interface SessionStats {
  streams: number;
  generated: number;
  mutated: number;
  /** Messages handed to `BmpSession.decode`. */
  messages: number;
  decoded: number;
  decodeErrors: Record<string, number>;
  framingErrors: Record<string, number>;
  kinds: Record<string, number>;
  routeRows: number;
  attrSets: number;
  copyBytes: number;
}

/** Zeroed {@linkcode SessionStats}. */
export function newSessionStats(): SessionStats {
  return {
    streams: 0,
    generated: 0,
    mutated: 0,
    messages: 0,
    decoded: 0,
    decodeErrors: {},
    framingErrors: {},
    kinds: {},
    routeRows: 0,
    attrSets: 0,
    copyBytes: 0,
  };
}

/** Adds `b` into `a`. */
export function mergeSessionStats(a: SessionStats, b: SessionStats): void {
  for (const k of ["decodeErrors", "framingErrors", "kinds"] as const) {
    for (const [x, n] of Object.entries(b[k])) a[k][x] = (a[k][x] ?? 0) + n;
  }
  for (
    const k of [
      "streams",
      "generated",
      "mutated",
      "messages",
      "decoded",
      "routeRows",
      "attrSets",
      "copyBytes",
    ] as const
  ) a[k] += b[k];
}

const add = (r: Record<string, number>, k: string) => (r[k] = (r[k] ?? 0) + 1);
const FRAMING = new Set(["bad-version", "bad-length", "too-large"]);
const NOW_MS = Date.UTC(2024, 0, 1);

/** The store's buffers, reused across streams and cleared when they grow large. */
class Store {
  readonly hist = new CopyBuffer(1 << 16);
  readonly attrs = new CopyBuffer(1 << 16);
  readonly other = new CopyBuffer(1 << 12);
  readonly attrIds = new Set<string>();
  flush(stats: SessionStats): void {
    stats.copyBytes += this.hist.length + this.attrs.length + this.other.length;
    this.hist.reset();
    this.attrs.reset();
    this.other.reset();
    if (this.attrIds.size > 100_000) this.attrIds.clear();
  }
}

const json = (v: unknown) => jsonWithoutNul(JSON.stringify(v));

/** What the writer does with a decoded message, without a database. */
function buildRows(
  store: Store,
  m: BmpMessage,
  raw: Uint8Array,
  tables: Map<string, string>,
  stats: SessionStats,
): void {
  switch (m.kind) {
    case "route_monitoring": {
      const t = m.tlvs?.find((t) => t.name === "vrf_table_name");
      const table = t ? String(t.value) : tables.get(m.peer.key) ?? "";
      peerKeyText(peerKey(1, m.peer, table));
      for (const r of routeRows(m, 1, 2, { nowMs: NOW_MS })) {
        if (r.attrs && !store.attrIds.has(r.attrs.id)) {
          store.attrIds.add(r.attrs.id);
          attrColumns(r.attrs);
          encodeAttrs(store.attrs, r.attrs);
          stats.attrSets++;
        }
        encodeRoute(store.hist, r);
        store.hist.text(r.routeKey).end();
        stats.routeRows++;
      }
      break;
    }
    case "peer_up": {
      const table = tableNameOf(m.information);
      tables.set(m.peer.key, table);
      peerKeyText(peerKey(1, m.peer, table));
      const ev = peerUpRow(m, 1, 2, { nowMs: NOW_MS });
      json(ev.info);
      json({ sent: m.sentOpen.capabilities, received: m.receivedOpen.capabilities });
      json(m.information);
      break;
    }
    case "peer_down": {
      const ev = peerDownRow(m, 1, 2, { nowMs: NOW_MS });
      peerKeyText(peerKey(1, m.peer, tableNameOf(m.information)));
      json(ev.notification);
      json(ev.info);
      break;
    }
    case "statistics_report":
      for (const r of statRows(m, 1, 2, { nowMs: NOW_MS })) encodeStat(store.other, r);
      break;
    case "route_mirroring":
      encodeMirroring(store.other, mirroringRow(m, 1, 2, raw, { nowMs: NOW_MS }));
      break;
    case "initiation":
    case "termination":
      json(routerEventRow(m, 1).information);
      break;
  }
}

/** A broken invariant. */
export interface SessionViolation {
  stream: number;
  reason: string;
}

const describe = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/**
 * Runs one stream through the pipeline, in reads of the stream's chosen sizes.
 *
 * @returns violations (empty when every invariant held)
 */
export function runSessionStream(
  bytes: Uint8Array,
  reads: string,
  rng: Rng,
  stats: SessionStats,
  store = new Store(),
): string[] {
  const out: string[] = [];
  const framer = new Framer();
  const session = new BmpSession();
  const tables = new Map<string, string>();
  const onMessage = (buf: Uint8Array, off: number, len: number) => {
    stats.messages++;
    let m: BmpMessage;
    try {
      m = session.decode(buf, off);
    } catch (e) {
      const bad = checkThrown(e, buf.length);
      if (bad) out.push(`message at ${framer.consumed - len}: ${bad}`);
      else add(stats.decodeErrors, (e as DecodeError).code);
      return;
    }
    stats.decoded++;
    add(stats.kinds, m.kind);
    try {
      buildRows(store, m, buf.subarray(off, off + len), tables, stats);
    } catch (e) {
      out.push(`rows of the ${m.kind} at ${framer.consumed - len}: ${describe(e)}`);
    }
  };
  let off = 0;
  while (off < bytes.length && out.length === 0) {
    const n = reads === "whole"
      ? bytes.length
      : reads === "64k"
      ? 1 + rng.int(65536)
      : reads === "small"
      ? 1 + rng.int(512)
      : 1 + rng.int(8);
    const chunk = bytes.subarray(off, off + n);
    off += chunk.length;
    framer.push(chunk);
    try {
      framer.drain(onMessage);
    } catch (e) {
      if (e instanceof DecodeError && FRAMING.has(e.code) && e.cause === undefined) {
        add(stats.framingErrors, e.code);
        break; // the connection would be closed here
      }
      out.push(`Framer.drain threw ${describe(e)}`);
    }
  }
  store.flush(stats);
  return out;
}

/** What a shard prints when done. */
export interface ShardResult {
  stats: SessionStats;
  violations: SessionViolation[];
  seconds: number;
}

/** Runs streams shard, shard + shards, ... until `messages` messages were decoded. */
export function runShard(
  sources: SessionSource[],
  seed: number,
  shard: number,
  shards: number,
  messages: number,
  onStream?: (k: number) => void,
): ShardResult {
  const stats = newSessionStats();
  const violations: SessionViolation[] = [];
  const store = new Store();
  const t0 = performance.now();
  for (let k = shard; stats.messages < messages && violations.length < 20; k += shards) {
    onStream?.(k);
    const s = sessionStreamAt(sources, seed, k);
    stats.streams++;
    stats.generated += s.messages;
    stats.mutated += s.mutated;
    const rng = new Rng(mixSeed(seed ^ 0x4ead5, k));
    for (const reason of runSessionStream(s.bytes, s.reads, rng, stats, store)) {
      violations.push({ stream: k, reason });
    }
  }
  return { stats, violations, seconds: (performance.now() - t0) / 1000 };
}

if (import.meta.main) {
  const [seed, shard, shards, messages] = Deno.args.map(Number);
  const sources = await loadSessionSources();
  const enc = new TextEncoder();
  const result = runShard(sources, seed >>> 0, shard, shards, messages, (k) => {
    Deno.stderr.writeSync(enc.encode(`@${k}\n`));
  });
  console.log(JSON.stringify(result));
}
