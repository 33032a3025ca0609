/**
 * The fuzz harness: the invariants every decode must keep, the two phases of a run
 * (mutated messages through `BmpSession.decode`, mutated streams through
 * `readBmpStream`), and the glue that runs them in a worker.
 *
 * Invariants checked for every mutant:
 * - nothing but a `DecodeError` escapes, with a known `code`, an integer `offset` inside
 *   the buffer, and no `cause` (a `cause` means `toDecodeError` wrapped a foreign
 *   exception: a bounds check is missing);
 * - a decoded message serialises to JSON (bigint as text), and its UPDATE problems and
 *   mirrored-PDU errors carry the decoders' own fixed messages;
 * - the result does not depend on bytes after the message: each mutant is decoded twice,
 *   alone in its buffer and inside a larger buffer (random bytes before and after it,
 *   non-zero `byteOffset`), and both results must be equal;
 * - decoding terminates (the main thread's watchdog reads the index in progress from
 *   shared memory) and a stream yields at most one item per byte.
 *
 * @module
 */

import { BmpSession } from "../../src/bmp/session.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import type { BmpMessage } from "../../src/bmp/message.ts";
import { DecodeError } from "../../src/wire/errors.ts";
import {
  frame,
  makeSource,
  mixSeed,
  mutantAt,
  readField,
  Rng,
  SESSION_SIZE,
  sessionPlan,
  type Source,
  streamAt,
} from "./_mutate.ts";
import { concat } from "../_bytes.ts";

/** The codes `DecodeError` may carry (src/wire/errors.ts). */
export const KNOWN_CODES: ReadonlySet<string> = new Set([
  "short-input",
  "bad-version",
  "bad-length",
  "bad-type",
  "bad-marker",
  "bad-value",
  "too-large",
]);

/** Fixed reasons of `UpdateProblem` (src/bgp/update.ts). */
const PROBLEM_REASON =
  /^(attribute \d+: Cannot (decode|read) |attribute header crosses the attribute list end$|attribute \d+ length \d+ crosses the attribute list end$|attribute \d+ repeated$|(ORIGIN|AS_PATH|NEXT_HOP) missing$)/;
/** The reasons of sender-quirk recoveries (`src/bmp/quirk_recovery.ts`). */
const RECOVERED_REASON =
  /^((MP_REACH_NLRI|MP_UNREACH_NLRI|IPv4 NLRI fields) \d+\/\d+ decoded with(out)? path IDs, against the negotiated Add-Path|(AS_PATH|AGGREGATOR) decoded with [24]-byte ASNs in a [24]-byte AS session)$/;
/** A foreign exception's message that could pass for one of ours. */
const FOREIGN = /Cannot read propert|Cannot set propert|is not a function|is not iterable/;

/** Counters of a run, summed over workers. */
export interface FuzzStats {
  mutants: number;
  decodedOk: number;
  errors: Record<string, number>;
  problems: Record<string, number>;
  kinds: Record<string, number>;
  streams: number;
  streamMessages: number;
  streamMutated: number;
  streamItems: number;
  streamDecoded: number;
  streamErrors: Record<string, number>;
  framingErrors: number;
  /** Slowest single decode, in ms, and the mutant it was. */
  slowestMs: number;
  slowest: string;
}

/** A new, zeroed {@linkcode FuzzStats}. */
export function newStats(): FuzzStats {
  return {
    mutants: 0,
    decodedOk: 0,
    errors: {},
    problems: {},
    kinds: {},
    streams: 0,
    streamMessages: 0,
    streamMutated: 0,
    streamItems: 0,
    streamDecoded: 0,
    streamErrors: {},
    framingErrors: 0,
    slowestMs: 0,
    slowest: "",
  };
}

const add = (r: Record<string, number>, k: string, n = 1) => (r[k] = (r[k] ?? 0) + n);

/** Adds `b` into `a`. */
export function mergeStats(a: FuzzStats, b: FuzzStats): void {
  for (const k of ["errors", "problems", "kinds", "streamErrors"] as const) {
    for (const [x, n] of Object.entries(b[k])) add(a[k], x, n);
  }
  for (
    const k of [
      "mutants",
      "decodedOk",
      "streams",
      "streamMessages",
      "streamMutated",
      "streamItems",
      "streamDecoded",
      "framingErrors",
    ] as const
  ) a[k] += b[k];
  if (b.slowestMs > a.slowestMs) {
    a.slowestMs = b.slowestMs;
    a.slowest = b.slowest;
  }
}

/** An invariant that did not hold, with the bytes that reproduce it. */
export interface Violation {
  where: string;
  reason: string;
  /** A stream: earlier messages of the session, then the failing one taking the rest. */
  bytes: Uint8Array;
}

/** Problems with a thrown value; undefined when it is a proper `DecodeError`. */
export function checkThrown(e: unknown, bufferLength: number): string | undefined {
  if (!(e instanceof DecodeError)) {
    return `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
  if (e.cause !== undefined) {
    const c = e.cause;
    return `DecodeError wraps ${c instanceof Error ? `${c.name}: ${c.message}` : String(c)}`;
  }
  if (!KNOWN_CODES.has(e.code)) return `DecodeError with unknown code ${e.code}`;
  if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset > bufferLength) {
    return `DecodeError with offset ${e.offset} outside 0..${bufferLength}`;
  }
  if (!e.message.startsWith("Cannot ") || FOREIGN.test(e.message)) {
    return `DecodeError without a fixed message: ${e.message}`;
  }
  return undefined;
}

const replacer = (_k: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);

/** Serialises a decoded message and checks what it reports; returns the JSON or a
 * violation. */
export function checkMessage(m: BmpMessage, stats?: FuzzStats): { json: string } | {
  reason: string;
} {
  let json: string;
  try {
    json = JSON.stringify(m, replacer);
  } catch (e) {
    return { reason: `not JSON-serialisable: ${e}` };
  }
  const updates = m.kind === "route_monitoring"
    ? [m.update]
    : m.kind === "route_mirroring"
    ? m.entries.flatMap((e) => (e.message && "update" in e.message ? [e.message.update] : []))
    : [];
  for (const u of updates) {
    for (const p of u.problems) {
      if (stats) add(stats.problems, p.action);
      const fixed = p.action === "recovered" ? RECOVERED_REASON : PROBLEM_REASON;
      if (!fixed.test(p.reason) || FOREIGN.test(p.reason)) {
        return { reason: `UPDATE problem without a fixed reason: ${p.reason}` };
      }
      if (!Number.isInteger(p.offset)) return { reason: `UPDATE problem offset ${p.offset}` };
    }
    // A recovery is the weakest action: alone it never withdraws the routes.
    if (u.treatAsWithdraw && u.problems.every((p) => p.action === "recovered")) {
      return { reason: "UPDATE treated as withdrawn for a recovery only" };
    }
  }
  if (m.kind === "route_mirroring") {
    for (const e of m.entries) {
      if (e.error !== undefined && (!e.error.startsWith("Cannot ") || FOREIGN.test(e.error))) {
        return { reason: `mirrored PDU error without a fixed message: ${e.error}` };
      }
    }
  }
  return { json };
}

type Outcome = { json: string } | { code: string; offset: number } | { reason: string };

function decodeOnce(s: BmpSession, buf: Uint8Array, stats?: FuzzStats): Outcome {
  let m: BmpMessage;
  try {
    m = s.decode(buf, 0);
  } catch (e) {
    const bad = checkThrown(e, buf.length);
    if (bad) return { reason: bad };
    return { code: (e as DecodeError).code, offset: (e as DecodeError).offset };
  }
  return checkMessage(m, stats);
}

/**
 * Decodes `msg` with session `a` (alone in its buffer) and session `b` (embedded in a
 * larger buffer with random bytes around it), checking the invariants.
 *
 * @returns a violation reason, or undefined
 */
export function checkPair(
  a: BmpSession,
  b: BmpSession,
  msg: Uint8Array,
  stats?: FuzzStats,
): string | undefined {
  const exact = msg.slice();
  const t0 = performance.now();
  const ra = decodeOnce(a, exact, stats);
  const ms = performance.now() - t0;
  if (stats && ms > stats.slowestMs) {
    stats.slowestMs = ms;
    stats.slowest = `${msg.length} bytes`;
  }
  if (ms > 1000) {
    // A pause (GC, compilation) is not the decoder's: it must be slow every time.
    let best = ms;
    for (let k = 0; k < 3 && best > 1000; k++) {
      const t = performance.now();
      decodeOnce(new BmpSession(), exact);
      best = Math.min(best, performance.now() - t);
    }
    if (best > 1000) return `decode took ${best.toFixed(0)} ms`;
  }
  if ("reason" in ra) return ra.reason;
  if (stats) {
    stats.mutants++;
    if ("json" in ra) {
      stats.decodedOk++;
      add(stats.kinds, JSON.parse(ra.json).kind);
    } else add(stats.errors, ra.code);
  }
  // A header or length that claims more than there is must fail as short input. Inside a
  // larger buffer it could decode the padding, so session `b` does not see it at all (it
  // must stay in step with `a`).
  if (msg.length < 6 || readField(msg, 1, 4) > msg.length) {
    return "code" in ra && ra.code === "short-input"
      ? undefined
      : "a message longer than its buffer did not fail as short-input";
  }
  const rng = new Rng(mixSeed(msg.length, msg[msg.length - 1]));
  const before = 1 + rng.int(15);
  const host = rng.fill(new Uint8Array(before + msg.length + 32));
  host.set(msg, before);
  const padded = host.subarray(before, before + msg.length + 16);
  const rb = decodeOnce(b, padded);
  if ("reason" in rb) return `(inside a larger buffer) ${rb.reason}`;
  const sa = "json" in ra ? ra.json : `${ra.code}@${ra.offset}`;
  const sb = "json" in rb ? rb.json : `${rb.code}@${rb.offset}`;
  if (sa !== sb) {
    let d = 0;
    while (sa[d] === sb[d]) d++;
    const around = (x: string) => x.slice(Math.max(0, d - 120), d + 80);
    return `result depends on bytes outside the message, from character ${d}:\n  alone:  …${
      around(sa)
    }\n  inside: …${around(sb)}`;
  }
  return undefined;
}

/** Runs a stream through `readBmpStream`, checking every item; returns a violation
 * reason, or undefined. */
export function checkStream(bytes: Uint8Array, stats?: FuzzStats): string | undefined {
  let items = 0;
  let last = -1;
  try {
    for (const it of readBmpStream(bytes, new BmpSession())) {
      if (++items > bytes.length + 1) return "stream does not advance";
      if (stats) stats.streamItems++;
      if (it.message) {
        const c = checkMessage(it.message, stats);
        if ("reason" in c) return c.reason;
        if (it.message.offset <= last) return `message offset ${it.message.offset} <= ${last}`;
        last = it.message.offset;
        if (stats) stats.streamDecoded++;
      } else {
        const bad = checkThrown(it.error, bytes.length);
        if (bad) return bad;
        if (stats) {
          if (it.framing) stats.framingErrors++;
          add(stats.streamErrors, it.error.code);
        }
      }
    }
  } catch (e) {
    return `readBmpStream threw ${e instanceof Error ? `${e.name}: ${e.message}` : e}`;
  }
  return undefined;
}

/**
 * Replays a saved input both ways: as a stream, and message by message through one
 * session pair with the last message taking the rest of the file.
 *
 * @returns the violations found (empty when the decoders behave)
 */
export function replay(file: Uint8Array): string[] {
  const out: string[] = [];
  const s = checkStream(file);
  if (s) out.push(`stream: ${s}`);
  const a = new BmpSession();
  const b = new BmpSession();
  let off = 0;
  while (off < file.length) {
    const len = off + 5 <= file.length ? readField(file, off + 1, 4) : 0;
    const last = len < 6 || off + len >= file.length;
    const bad = checkPair(a, b, last ? file.subarray(off) : file.subarray(off, off + len));
    if (bad) out.push(`message at ${off}: ${bad}`);
    if (last) break;
    off += len;
  }
  return out;
}

/** The shortest input among: the mutant alone, after the session's Peer Ups, after the
 * whole session, that still fails {@linkcode replay}. */
function reproducer(history: Uint8Array[], mutant: Uint8Array): Uint8Array {
  const framed = (m: Uint8Array) => m.subarray(0, Math.min(m.length, readField(m, 1, 4)));
  const candidates = [
    mutant,
    concat([...history.filter((m) => m[5] === 3).map(framed), mutant]),
    concat([...history.map(framed), mutant]),
  ];
  for (const c of candidates) if (replay(c).length) return c;
  return mutant;
}

/**
 * Message phase, mutants [from, to): a fresh session pair at each multiple of
 * {@linkcode SESSION_SIZE}, fed the group's Peer Up first.
 *
 * @param progress `progress[slot]` is set to the mutant in progress (for the watchdog)
 */
export function runMessages(
  sources: Source[],
  seed: number,
  range: { from: number; to: number },
  progress: { cells: Int32Array; slot: number },
  stats: FuzzStats,
): Violation[] {
  const violations: Violation[] = [];
  let a = new BmpSession();
  let b = new BmpSession();
  let history: Uint8Array[] = [];
  for (let i = range.from; i < range.to; i++) {
    Atomics.store(progress.cells, progress.slot, i);
    if (i === range.from || i % SESSION_SIZE === 0) {
      a = new BmpSession();
      b = new BmpSession();
      history = [];
      const { prelude } = sessionPlan(sources, seed, Math.floor(i / SESSION_SIZE));
      if (prelude) {
        checkPair(a, b, prelude);
        history.push(prelude);
      }
    }
    const { bytes, ops } = mutantAt(sources, seed, i);
    const bad = checkPair(a, b, bytes, stats);
    if (bad) {
      violations.push({
        where: `message mutant ${i} (${ops.join("+")})`,
        reason: bad,
        bytes: reproducer(history, bytes),
      });
      if (violations.length >= 20) break;
    }
    history.push(bytes);
  }
  return violations;
}

/** Stream phase, streams [from, to). */
export function runStreams(
  sources: Source[],
  seed: number,
  range: { from: number; to: number },
  progress: { cells: Int32Array; slot: number },
  stats: FuzzStats,
): Violation[] {
  const violations: Violation[] = [];
  for (let k = range.from; k < range.to; k++) {
    Atomics.store(progress.cells, progress.slot, k);
    const s = streamAt(sources, seed, k);
    stats.streams++;
    stats.streamMessages += s.messages;
    stats.streamMutated += s.mutated;
    const bad = checkStream(s.bytes, stats);
    if (bad) {
      violations.push({ where: `stream ${k} (${s.ops.join("+")})`, reason: bad, bytes: s.bytes });
      if (violations.length >= 20) break;
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------
// Worker glue
// ---------------------------------------------------------------------------------------

/** A source as sent to a worker: its messages concatenated. */
export interface PackedSource {
  name: string;
  bytes: Uint8Array;
}

/** Messages from main to a worker. */
export type ToWorker =
  | { type: "init"; sources: PackedSource[]; progress: SharedArrayBuffer; slot: number }
  | { type: "run"; phase: "messages" | "streams"; seed: number; from: number; to: number };

/** Messages from a worker to main. */
export type FromWorker = { type: "done"; stats: FuzzStats; violations: Violation[] };

/** Rebuilds sources from their packed form. */
export function unpackSources(packed: PackedSource[]): Source[] {
  return packed.map((p) => makeSource(p.name, frame(p.bytes)));
}

const scope = globalThis as unknown as {
  WorkerGlobalScope?: new () => unknown;
  postMessage(m: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
};

if (scope.WorkerGlobalScope && globalThis instanceof scope.WorkerGlobalScope) {
  let sources: Source[] = [];
  let progress: { cells: Int32Array; slot: number } = { cells: new Int32Array(1), slot: 0 };
  scope.onmessage = (e) => {
    const msg = e.data;
    if (msg.type === "init") {
      sources = unpackSources(msg.sources);
      progress = { cells: new Int32Array(msg.progress), slot: msg.slot };
      return;
    }
    const stats = newStats();
    const run = msg.phase === "messages" ? runMessages : runStreams;
    const violations = run(sources, msg.seed, msg, progress, stats);
    scope.postMessage({ type: "done", stats, violations });
  };
}
