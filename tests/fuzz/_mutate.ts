/**
 * Seeded mutation of BMP messages for the decoder fuzz test.
 *
 * Everything here is a pure function of (corpus, seed, index): mutant `i` of a run can be
 * rebuilt from the seed alone, so a hang found by the watchdog, or any failure, can be
 * reproduced without replaying the run.
 *
 * Mutations: bit flips, byte overwrites, truncations, lying lengths (random offsets and
 * the length fields of the structures inside the message, found by walking the known
 * layouts), splices of two messages, duplicated and removed ranges.
 *
 * @module
 */

// ---------------------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------------------

/** Mixes two 32-bit values into a seed (murmur3 finaliser). */
export function mixSeed(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: small, fast, good enough to pick mutations. */
export class Rng {
  #s: number;

  /** @param seed any 32-bit value */
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform integer in [0, n) (0 when n <= 0). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 0x100000000) * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  /** A uniform element of a non-empty array. */
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }

  /** Fills `b` with random bytes. */
  fill(b: Uint8Array): Uint8Array {
    for (let i = 0; i < b.length; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

// ---------------------------------------------------------------------------------------
// Length fields inside one BMP message
// ---------------------------------------------------------------------------------------

/** A length (or count) field found by walking a message. */
export interface LengthField {
  off: number;
  size: 1 | 2 | 4;
  what: string;
}

/** Reads a big-endian field (0 past the end). */
export function readField(m: Uint8Array, off: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + (m[off + i] ?? 0);
  return v;
}

/** Writes a big-endian field, clipped to the buffer and to its width. */
export function writeField(m: Uint8Array, off: number, size: number, value: number): void {
  let v = Math.max(0, Math.min(value, 2 ** (8 * size) - 1));
  for (let i = size - 1; i >= 0; i--) {
    if (off + i < m.length) m[off + i] = v & 0xff;
    v = Math.floor(v / 256);
  }
}

const u16at = (m: Uint8Array, p: number) => (m[p] << 8) | m[p + 1];

/** Walks IP prefix NLRI (no path ids): each prefix length byte. */
function walkPrefixes(m: Uint8Array, p: number, end: number, out: LengthField[], what: string) {
  for (let n = 0; p < end && n < 64; n++) {
    out.push({ off: p, size: 1, what });
    p += 1 + ((m[p] + 7) >> 3);
  }
}

/** Walks path attributes in [p, end). */
function walkAttributes(m: Uint8Array, p: number, end: number, out: LengthField[]) {
  for (let n = 0; p + 3 <= end && n < 64; n++) {
    const flags = m[p];
    const type = m[p + 1];
    const ext = (flags & 0x10) !== 0;
    const len = ext ? u16at(m, p + 2) : m[p + 2];
    out.push({ off: p + 2, size: ext ? 2 : 1, what: `attr${type}.len` });
    const v = p + (ext ? 4 : 3);
    const vEnd = Math.min(v + len, end);
    if (type === 2 || type === 17) {
      for (let s = v, k = 0; s + 2 <= vEnd && k < 32; k++) {
        out.push({ off: s + 1, size: 1, what: `attr${type}.segcount` });
        s += 2 + m[s + 1] * 4;
      }
    } else if (type === 14 && v + 5 <= vEnd) {
      out.push({ off: v + 3, size: 1, what: "mpreach.nhlen" });
      const nl = v + 5 + m[v + 3];
      if (m[v] === 0 && m[v + 1] === 25) walkEvpn(m, nl, vEnd, out);
      else walkPrefixes(m, nl, vEnd, out, "mpreach.prefixlen");
    } else if (type === 15 && v + 3 <= vEnd) {
      if (m[v] === 0 && m[v + 1] === 25) walkEvpn(m, v + 3, vEnd, out);
      else walkPrefixes(m, v + 3, vEnd, out, "mpunreach.prefixlen");
    }
    p = v + len;
  }
}

function walkEvpn(m: Uint8Array, p: number, end: number, out: LengthField[]) {
  for (let n = 0; p + 2 <= end && n < 64; n++) {
    out.push({ off: p + 1, size: 1, what: "evpn.len" });
    const body = p + 2;
    if (m[p] === 2 && body + 30 <= end) {
      out.push({ off: body + 22, size: 1, what: "evpn.maclen" });
      out.push({ off: body + 29, size: 1, what: "evpn.iplen" });
    }
    p = body + m[p + 1];
  }
}

/** Walks a BGP message at `p` whose enclosing field ends at `end`. */
function walkBgp(m: Uint8Array, p: number, end: number, out: LengthField[]): number {
  if (p + 19 > end) return end;
  out.push({ off: p + 16, size: 2, what: "bgp.len" });
  const len = u16at(m, p + 16);
  const type = m[p + 18];
  const b = p + 19;
  const bEnd = Math.min(p + Math.max(len, 19), end);
  if (type === 2 && b + 2 <= bEnd) {
    out.push({ off: b, size: 2, what: "update.withdrawnlen" });
    const wl = u16at(m, b);
    walkPrefixes(m, b + 2, Math.min(b + 2 + wl, bEnd), out, "withdrawn.prefixlen");
    const a = b + 2 + wl;
    if (a + 2 <= bEnd) {
      out.push({ off: a, size: 2, what: "update.attrlen" });
      const al = u16at(m, a);
      walkAttributes(m, a + 2, Math.min(a + 2 + al, bEnd), out);
      walkPrefixes(m, a + 2 + al, bEnd, out, "nlri.prefixlen");
    }
  } else if (type === 1 && b + 10 <= bEnd) {
    out.push({ off: b + 9, size: 1, what: "open.optlen" });
    for (let q = b + 10, n = 0; q + 2 <= bEnd && n < 32; n++) {
      out.push({ off: q + 1, size: 1, what: "open.paramlen" });
      const pEnd = Math.min(q + 2 + m[q + 1], bEnd);
      if (m[q] === 2) {
        for (let c = q + 2, k = 0; c + 2 <= pEnd && k < 32; k++) {
          out.push({ off: c + 1, size: 1, what: `cap${m[c]}.len` });
          c += 2 + m[c + 1];
        }
      }
      q = pEnd;
    }
  } else if (type === 3 && b + 3 <= bEnd) {
    out.push({ off: b + 2, size: 1, what: "notification.shutdownlen" });
  }
  return p + len;
}

/** Walks TLVs Type (2) | Length (2) [| Index (2)] in [p, end); calls `inner` on values. */
function walkTlvs(
  m: Uint8Array,
  p: number,
  end: number,
  out: LengthField[],
  what: string,
  indexed = false,
  inner?: (type: number, v: number, vEnd: number) => void,
) {
  const h = indexed ? 6 : 4;
  for (let n = 0; p + h <= end && n < 64; n++) {
    out.push({ off: p + 2, size: 2, what });
    const len = u16at(m, p + 2);
    inner?.(u16at(m, p), p + h, Math.min(p + h + len, end));
    p += h + len;
  }
}

/**
 * The length and count fields of one BMP message, found by walking the layouts of RFC 7854
 * (and BMPv4 TLVs). Walks whatever is there: on mutated bytes it simply finds less.
 */
export function lengthFields(m: Uint8Array): LengthField[] {
  const out: LengthField[] = [];
  if (m.length < 6) return out;
  out.push({ off: 1, size: 4, what: "bmp.len" });
  const end = Math.min(readField(m, 1, 4), m.length);
  const type = m[5];
  if (type === 4 || type === 5) {
    walkTlvs(m, 6, end, out, "info.tlvlen");
    return out;
  }
  const p = 6 + 42;
  if (p > end) return out;
  switch (type) {
    case 0: {
      const marker = m[p] === 0xff && m[p + 1] === 0xff;
      if (m[0] === 4 && !marker) {
        walkTlvs(m, p, end, out, "rm.tlv4len", true, (t, v, vEnd) => {
          if (t === 4) walkBgp(m, v, vEnd, out);
          if (t === 1 && v + 2 <= vEnd) out.push({ off: v + 1, size: 1, what: "stateless.caplen" });
        });
      } else {
        const after = walkBgp(m, p, end, out);
        walkTlvs(m, after, end, out, "rm.trailerlen");
      }
      break;
    }
    case 1:
      out.push({ off: p, size: 4, what: "stats.count" });
      walkTlvs(m, p + 4, end, out, "stats.len");
      break;
    case 2:
      if ((m[p] === 1 || m[p] === 3) && p + 1 < end) walkBgp(m, p + 1, end, out);
      else if (m[p] === 6) walkTlvs(m, p + 1, end, out, "peerdown.tlvlen");
      break;
    case 3: {
      const a = walkBgp(m, p + 20, end, out);
      const b = walkBgp(m, a, end, out);
      walkTlvs(m, b, end, out, "peerup.tlvlen");
      break;
    }
    case 6:
      walkTlvs(m, p, end, out, "mirror.tlvlen", false, (t, v, vEnd) => {
        if (t === 0) walkBgp(m, v, vEnd, out);
      });
      break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Mutators
// ---------------------------------------------------------------------------------------

function setBmpLength(m: Uint8Array): void {
  if (m.length >= 5) writeField(m, 1, 4, m.length);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A position biased toward the start of the message, where the headers are. */
function position(rng: Rng, n: number): number {
  return rng.chance(0.35) ? rng.int(Math.min(n, 80)) : rng.int(n);
}

type Mutator = (rng: Rng, m: Uint8Array, other: () => Uint8Array) => Uint8Array;

const MUTATORS: [string, number, Mutator][] = [
  ["bitflip", 3, (rng, m) => {
    const k = 1 + rng.int(8);
    for (let i = 0; i < k && m.length; i++) m[position(rng, m.length)] ^= 1 << rng.int(8);
    return m;
  }],
  ["byteset", 2, (rng, m) => {
    const k = 1 + rng.int(4);
    for (let i = 0; i < k && m.length; i++) {
      m[position(rng, m.length)] = rng.pick([0x00, 0xff, rng.u32() & 0xff]);
    }
    return m;
  }],
  ["truncate", 2, (rng, m) => {
    const out = m.slice(0, rng.int(m.length));
    if (rng.chance(0.8)) setBmpLength(out);
    return out;
  }],
  ["lie-walked", 6, (rng, m) => {
    const fields = lengthFields(m);
    if (!fields.length) return m;
    const f = rng.pick(fields);
    writeField(m, f.off, f.size, lie(rng, readField(m, f.off, f.size), f.size, m, fields));
    return m;
  }],
  ["lie-random", 2, (rng, m) => {
    if (!m.length) return m;
    const size = rng.pick([1, 2, 4] as const);
    const off = position(rng, m.length);
    writeField(m, off, size, lie(rng, readField(m, off, size), size, m, lengthFields(m)));
    return m;
  }],
  ["splice", 1, (rng, m, other) => {
    const o = other();
    const out = concat(m.subarray(0, rng.int(m.length + 1)), o.subarray(rng.int(o.length + 1)));
    if (rng.chance(0.8)) setBmpLength(out);
    return out;
  }],
  ["insert-other", 1, (rng, m, other) => {
    const o = other();
    const s = rng.int(o.length);
    const piece = o.subarray(s, s + 1 + rng.int(64));
    const at = rng.int(m.length + 1);
    const out = concat(concat(m.subarray(0, at), piece), m.subarray(at));
    if (rng.chance(0.8)) setBmpLength(out);
    return out;
  }],
  ["duplicate", 1, (rng, m) => {
    const s = rng.int(m.length);
    const piece = m.slice(s, s + 1 + rng.int(64));
    const at = rng.int(m.length + 1);
    const out = concat(concat(m.subarray(0, at), piece), m.subarray(at));
    if (rng.chance(0.8)) setBmpLength(out);
    return out;
  }],
  ["remove", 1, (rng, m) => {
    const s = rng.int(m.length);
    const e = Math.min(m.length, s + 1 + rng.int(32));
    const out = concat(m.subarray(0, s), m.subarray(e));
    if (rng.chance(0.8)) setBmpLength(out);
    return out;
  }],
];

const TOTAL_WEIGHT = MUTATORS.reduce((n, [, w]) => n + w, 0);

/** A lie about a length: 0, the maximum, off by one, or another length's value. */
function lie(rng: Rng, cur: number, size: number, m: Uint8Array, fields: LengthField[]): number {
  const max = 2 ** (8 * size) - 1;
  switch (rng.int(7)) {
    case 0:
      return 0;
    case 1:
      return max;
    case 2:
      return cur + 1;
    case 3:
      return cur - 1;
    case 4:
      return rng.int(40);
    case 5: {
      if (!fields.length) return cur ^ 1;
      const f = rng.pick(fields);
      return readField(m, f.off, f.size);
    }
    default:
      return rng.chance(0.5) ? cur * 2 : cur >> 1;
  }
}

/** A mutant and the names of the mutations that made it. */
export interface Mutant {
  bytes: Uint8Array;
  ops: string[];
}

/** Applies 1-4 random mutations to a copy of `m`; `other` draws a second message. */
export function mutate(rng: Rng, m: Uint8Array, other: () => Uint8Array): Mutant {
  let b: Uint8Array = m.slice();
  const ops: string[] = [];
  const k = 1 + (rng.chance(0.5) ? 0 : rng.int(4));
  for (let i = 0; i < k; i++) {
    let w = rng.int(TOTAL_WEIGHT);
    let j = 0;
    while (w >= MUTATORS[j][1]) w -= MUTATORS[j++][1];
    b = MUTATORS[j][2](rng, b, other);
    ops.push(MUTATORS[j][0]);
  }
  return { bytes: b, ops };
}

// ---------------------------------------------------------------------------------------
// Corpus and the plan of a run
// ---------------------------------------------------------------------------------------

/** Seed messages of one origin (a capture file, the bundled corpus, synthetic ones). */
export interface Source {
  name: string;
  messages: Uint8Array[];
  /** Messages by BMP type (0-6). */
  byType: Uint8Array[][];
  peerUps: Uint8Array[];
}

/** Groups messages into a {@linkcode Source}. */
export function makeSource(name: string, messages: Uint8Array[]): Source {
  const byType: Uint8Array[][] = Array.from({ length: 7 }, () => []);
  for (const m of messages) if (m[5] <= 6) byType[m[5]].push(m);
  return { name, messages, byType, peerUps: byType[3] };
}

/** Splits a BMP stream into messages by the common header length, stopping at the first
 * length that does not fit. */
export function frame(stream: Uint8Array, limit = Infinity): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  while (off + 6 <= stream.length && out.length < limit) {
    const len = readField(stream, off + 1, 4);
    if (len < 6 || off + len > stream.length) break;
    out.push(stream.subarray(off, off + len));
    off += len;
  }
  return out;
}

/** Messages per session: a fresh `BmpSession` starts at each multiple. */
export const SESSION_SIZE = 64;

function pickMessage(rng: Rng, s: Source): Uint8Array {
  if (rng.chance(0.5)) return rng.pick(s.messages);
  const types = s.byType.filter((t) => t.length > 0);
  return rng.pick(rng.pick(types));
}

/** The source of session group `g` and the Peer Up it starts with, if any. */
export function sessionPlan(
  sources: Source[],
  seed: number,
  g: number,
): { source: Source; prelude?: Uint8Array } {
  const rng = new Rng(mixSeed(seed ^ 0x5e551011, g));
  const source = rng.pick(sources);
  const prelude = source.peerUps.length && rng.chance(0.8) ? rng.pick(source.peerUps) : undefined;
  return { source, prelude };
}

/** Mutant `i` of the message phase of a run. */
export function mutantAt(sources: Source[], seed: number, i: number): Mutant {
  const { source } = sessionPlan(sources, seed, Math.floor(i / SESSION_SIZE));
  const rng = new Rng(mixSeed(seed, i));
  const m = pickMessage(rng, source);
  return mutate(rng, m, () => pickMessage(rng, source));
}

/** A mutated stream and what went into it. */
export interface StreamMutant {
  bytes: Uint8Array;
  messages: number;
  mutated: number;
  ops: string[];
}

/**
 * Stream `k` of the stream phase: a run of consecutive messages of one source (after a
 * Peer Up), some of them mutated, then stream-level damage: cuts, junk, removed or
 * duplicated ranges across message boundaries.
 */
export function streamAt(sources: Source[], seed: number, k: number): StreamMutant {
  const rng = new Rng(mixSeed(seed ^ 0x57ea4a11, k));
  const s = rng.pick(sources);
  const n = 8 + rng.int(41);
  const start = rng.int(Math.max(1, s.messages.length - n));
  const parts: Uint8Array[] = [];
  if (s.peerUps.length && rng.chance(0.5)) parts.push(rng.pick(s.peerUps));
  for (const m of s.messages.slice(start, start + n)) parts.push(m);
  const ops: string[] = [];
  let mutated = 0;
  const messages = parts.length;
  for (let i = 0; i < parts.length; i++) {
    if (!rng.chance(0.3)) continue;
    const mu = mutate(rng, parts[i], () => pickMessage(rng, s));
    parts[i] = mu.bytes;
    ops.push(...mu.ops);
    mutated++;
  }
  let b: Uint8Array = new Uint8Array(parts.reduce((t, p) => t + p.length, 0));
  for (let i = 0, off = 0; i < parts.length; off += parts[i++].length) b.set(parts[i], off);
  const damage = rng.int(3);
  for (let d = 0; d < damage && b.length; d++) {
    const at = rng.int(b.length + 1);
    switch (rng.int(5)) {
      case 0:
        ops.push("stream-cut");
        b = b.slice(0, at);
        break;
      case 1:
        ops.push("stream-junk");
        b = concat(
          concat(b.subarray(0, at), rng.fill(new Uint8Array(1 + rng.int(64)))),
          b.subarray(at),
        );
        break;
      case 2:
        ops.push("stream-remove");
        b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.int(512))));
        break;
      case 3: {
        ops.push("stream-duplicate");
        const piece = b.slice(at, at + 1 + rng.int(512));
        b = concat(concat(b.subarray(0, at), piece), b.subarray(at));
        break;
      }
      default:
        ops.push("stream-bitflip");
        b[rng.int(b.length)] ^= 1 << rng.int(8);
    }
  }
  return { bytes: b, messages, mutated, ops };
}
