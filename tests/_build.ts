/**
 * Test-only wire builders: each function returns the bytes of one protocol element, so a
 * test states exactly what is on the wire. Plus the few asserts the tests share.
 *
 * Lengths are computed unless a test passes its own (to lie about them).
 *
 * @module
 */

import { BmpSession } from "../src/bmp/session.ts";
import type { BmpMessage } from "../src/bmp/message.ts";
import { DecodeError, type DecodeErrorCode } from "../src/wire/errors.ts";

/** Bytes as a test writes them. */
export type Part = number[] | Uint8Array;

// ---------------------------------------------------------------------------------------
// Scalars and addresses
// ---------------------------------------------------------------------------------------

/** Concatenates parts into one buffer. */
export function cat(...parts: Part[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** One octet. */
export const u8 = (n: number): number[] => [n & 0xff];
/** Big-endian 16 bits. */
export const u16 = (n: number): number[] => [(n >>> 8) & 0xff, n & 0xff];
/** Big-endian 32 bits. */
export const u32 = (n: number): number[] => [
  (n >>> 24) & 0xff,
  (n >>> 16) & 0xff,
  (n >>> 8) & 0xff,
  n & 0xff,
];
/** Big-endian 64 bits. */
export const u64 = (
  n: bigint,
): number[] => [...u32(Number(n >> 32n)), ...u32(Number(n & 0xffffffffn))];

/** Bytes from hex text; spaces are ignored. */
export function fromHex(s: string): Uint8Array {
  const t = s.replace(/\s+/g, "");
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** UTF-8 bytes of a string. */
export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The 4 bytes of dotted-quad IPv4 text. */
export function ip4(s: string): number[] {
  return s.split(".").map(Number);
}

/** The 16 bytes of IPv6 text (`::` and a dotted-quad tail allowed). */
export function ip6(s: string): number[] {
  let tail: number[] = [];
  let t = s;
  const dot = t.lastIndexOf(":");
  if (t.slice(dot + 1).includes(".")) {
    tail = ip4(t.slice(dot + 1));
    t = t.slice(0, dot + 1) + "0:0";
  }
  const [head, rest] = t.includes("::") ? t.split("::") : [t, undefined];
  const hs = head ? head.split(":") : [];
  const rs = rest ? rest.split(":") : [];
  const groups = [...hs, ...Array(8 - hs.length - rs.length).fill("0"), ...rs];
  const out = groups.flatMap((g) => u16(parseInt(g, 16)));
  if (tail.length) out.splice(12, 4, ...tail);
  return out;
}

/** Address bytes of IPv4 or IPv6 text. */
export const ip = (s: string): number[] => (s.includes(":") ? ip6(s) : ip4(s));

// ---------------------------------------------------------------------------------------
// NLRI
// ---------------------------------------------------------------------------------------

/** Options of {@linkcode prefix}. */
export interface PrefixOptions {
  /** Add-Path identifier (RFC 7911). */
  pathId?: number;
  /** Label values; the last gets the bottom-of-stack bit. */
  labels?: number[];
  /** Raw 3-byte label fields, as sent (e.g. 0x800000). */
  rawLabels?: number[];
  /** Route Distinguisher bytes (see {@linkcode rd0}). */
  rd?: number[];
}

/** One IP prefix NLRI (`10.0.0.0/8`, `2001:db8::/32`) with optional path id, labels, RD. */
export function prefix(p: string, o: PrefixOptions = {}): Uint8Array {
  const [addr, len] = p.split("/");
  const bits = Number(len);
  const a = ip(addr).slice(0, (bits + 7) >> 3);
  const labels = o.rawLabels ??
    (o.labels ?? []).map((l, i, all) => (l << 4) | (i === all.length - 1 ? 1 : 0));
  const total = bits + 24 * labels.length + (o.rd ? 64 : 0);
  return cat(
    o.pathId !== undefined ? u32(o.pathId) : [],
    [total],
    ...labels.map((l) => [(l >>> 16) & 0xff, (l >>> 8) & 0xff, l & 0xff]),
    o.rd ?? [],
    a,
  );
}

/** Route Distinguisher type 0: 2-byte ASN : 4-byte number. */
export const rd0 = (asn: number, n: number): number[] => [0, 0, ...u16(asn), ...u32(n)];
/** Route Distinguisher type 1: IPv4 : 2-byte number. */
export const rd1 = (addr: string, n: number): number[] => [0, 1, ...ip4(addr), ...u16(n)];
/** Route Distinguisher type 2: 4-byte ASN : 2-byte number. */
export const rd2 = (asn: number, n: number): number[] => [0, 2, ...u32(asn), ...u16(n)];

/** One EVPN NLRI: Route Type (1) | Length (1) | body, with an optional path id. */
export function evpn(routeType: number, body: Part, pathId?: number): Uint8Array {
  return cat(pathId !== undefined ? u32(pathId) : [], [routeType, body.length], body);
}

/** A 10-byte ESI with the given last byte. */
export const esi = (last: number): number[] => [0, 0, 0, 0, 0, 0, 0, 0, 0, last];
/** A 3-byte MPLS label field with the bottom-of-stack bit. */
export const label = (
  l: number,
): number[] => [(l >>> 12) & 0xff, (l >>> 4) & 0xff, ((l << 4) | 1) & 0xff];

const SAMPLE_RD = rd0(65002, 1);
const SAMPLE_MAC = [0, 0x11, 0x22, 0x33, 0x44, 0x55];

/** EVPN route bodies of every decoded type, laid out as RFC 7432 §7 and RFC 9136 §3.1
 * say: `t2v6` has two labels, `t2mac` no IP, `t5v6` an IPv6 prefix. */
export const EVPN_SAMPLES: Record<string, number[]> = {
  t1: [...SAMPLE_RD, ...esi(1), ...u32(0), ...label(100)],
  t2: [
    ...SAMPLE_RD,
    ...esi(0),
    ...u32(10),
    48,
    ...SAMPLE_MAC,
    32,
    ...ip("10.0.0.1"),
    ...label(1000),
  ],
  t2v6: [
    ...SAMPLE_RD,
    ...esi(0),
    ...u32(10),
    48,
    ...SAMPLE_MAC,
    128,
    ...ip("2001:db8::1"),
    ...label(1000),
    ...label(2000),
  ],
  t2mac: [...SAMPLE_RD, ...esi(0), ...u32(10), 48, ...SAMPLE_MAC, 0, ...label(1000)],
  t3: [...SAMPLE_RD, ...u32(10), 32, ...ip("192.0.2.2")],
  t4: [...SAMPLE_RD, ...esi(1), 32, ...ip("192.0.2.2")],
  t5: [...SAMPLE_RD, ...esi(0), ...u32(0), 24, ...ip("10.9.8.0"), ...ip("0.0.0.0"), ...label(500)],
  t5v6: [
    ...SAMPLE_RD,
    ...esi(0),
    ...u32(0),
    64,
    ...ip("2001:db8:1:2::"),
    ...ip("::"),
    ...label(500),
  ],
};

// ---------------------------------------------------------------------------------------
// Path attributes
// ---------------------------------------------------------------------------------------

const WELL_KNOWN = new Set([1, 2, 3, 5, 6]);
const NON_TRANSITIVE = new Set([4, 9, 10, 14, 15, 26]);

/**
 * One path attribute; flags default to what RFC 4271 prescribes for the type, with the
 * Extended Length bit set when the value is longer than 255 bytes (or `flags` has it).
 */
export function attr(type: number, value: Part, flags?: number): Uint8Array {
  let f = flags ?? (WELL_KNOWN.has(type) ? 0x40 : NON_TRANSITIVE.has(type) ? 0x80 : 0xc0);
  if (value.length > 255) f |= 0x10;
  const len = f & 0x10 ? u16(value.length) : [value.length];
  return cat([f, type], len, value);
}

/** ORIGIN (0 IGP). */
export const origin = (v = 0): Uint8Array => attr(1, [v]);

/** AS path segments: a list of ASNs is one AS_SEQUENCE; `[type, asns]` pairs otherwise. */
export type Segments = number[] | [number, number[]][];

function segments(s: Segments, asn4: boolean): number[] {
  const segs: [number, number[]][] = typeof s[0] === "number"
    ? [[2, s as number[]]]
    : s as [number, number[]][];
  return segs.flatMap(([t, asns]) => [t, asns.length, ...asns.flatMap(asn4 ? u32 : u16)]);
}

/** AS_PATH with 4-byte ASNs, or 2-byte ones when `asn4` is false. */
export const asPath = (s: Segments, asn4 = true): Uint8Array => attr(2, segments(s, asn4));
/** AS4_PATH (always 4-byte ASNs). */
export const as4Path = (s: Segments): Uint8Array => attr(17, segments(s, true));
/** NEXT_HOP. */
export const nextHop = (a: string): Uint8Array => attr(3, ip4(a));
/** MULTI_EXIT_DISC. */
export const med = (n: number): Uint8Array => attr(4, u32(n));
/** LOCAL_PREF. */
export const localPref = (n: number): Uint8Array => attr(5, u32(n));
/** AGGREGATOR, 4-byte ASN unless `asn4` is false. */
export const aggregator = (asn: number, a: string, asn4 = true): Uint8Array =>
  attr(7, [...(asn4 ? u32(asn) : u16(asn)), ...ip4(a)]);
/** AS4_AGGREGATOR. */
export const as4Aggregator = (asn: number, a: string): Uint8Array =>
  attr(18, [...u32(asn), ...ip4(a)]);
/** COMMUNITIES. */
export const communities = (...c: number[]): Uint8Array => attr(8, c.flatMap(u32));
/** EXTENDED_COMMUNITIES from 8-byte values. */
export const extCommunities = (...c: number[][]): Uint8Array => attr(16, c.flat());
/** LARGE_COMMUNITY. */
export const largeCommunities = (...c: [number, number, number][]): Uint8Array =>
  attr(32, c.flat().flatMap(u32));

/** MP_REACH_NLRI: AFI | SAFI | NH length | next hop | reserved | NLRI. */
export function mpReach(afi: number, safi: number, nh: Part, nlri: Part[]): Uint8Array {
  return attr(14, cat(u16(afi), [safi, nh.length], nh, [0], ...nlri));
}

/** MP_UNREACH_NLRI: AFI | SAFI | withdrawn NLRI. */
export function mpUnreach(afi: number, safi: number, nlri: Part[] = []): Uint8Array {
  return attr(15, cat(u16(afi), [safi], ...nlri));
}

/** The attributes every announcement needs: ORIGIN, AS_PATH, NEXT_HOP. */
export const basicAttrs = (nh = "192.0.2.254", path: Segments = [65002]): Uint8Array[] => [
  origin(0),
  asPath(path),
  nextHop(nh),
];

// ---------------------------------------------------------------------------------------
// BGP messages
// ---------------------------------------------------------------------------------------

/** The 16-byte all-ones marker. */
export const MARKER: number[] = Array(16).fill(0xff);

/** A BGP message: marker | length | type | body. */
export function bgp(type: number, body: Part): Uint8Array {
  return cat(MARKER, u16(19 + body.length), [type], body);
}

/** Parts of an UPDATE. */
export interface UpdateParts {
  withdrawn?: Part[];
  attrs?: Part[];
  nlri?: Part[];
}

/** An UPDATE body (after the BGP header). */
export function updateBody(o: UpdateParts = {}): Uint8Array {
  const w = cat(...(o.withdrawn ?? []));
  const a = cat(...(o.attrs ?? []));
  return cat(u16(w.length), w, u16(a.length), a, ...(o.nlri ?? []));
}

/** A whole UPDATE message. */
export const update = (o: UpdateParts = {}): Uint8Array => bgp(2, updateBody(o));

/** A capability: Code | Length | Value. */
export const cap = (code: number, value: Part = []): Uint8Array => cat([code, value.length], value);
/** Multiprotocol capability. */
export const capMp = (afi: number, safi: number): Uint8Array => cap(1, [...u16(afi), 0, safi]);
/** 4-octet AS capability. */
export const capAs4 = (asn: number): Uint8Array => cap(65, u32(asn));
/** ADD-PATH capability: [afi, safi, send/receive (1 receive, 2 send, 3 both)] per family. */
export const capAddPath = (...f: [number, number, number][]): Uint8Array =>
  cap(69, f.flatMap(([afi, safi, sr]) => [...u16(afi), safi, sr]));

/** Fields of an OPEN. */
export interface OpenParts {
  version?: number;
  myAs?: number;
  holdTime?: number;
  bgpId?: string;
  caps?: Part[];
}

/** An OPEN message, all capabilities in one Capabilities optional parameter. */
export function open(o: OpenParts = {}): Uint8Array {
  const caps = cat(...(o.caps ?? []));
  const params = caps.length ? cat([2, caps.length], caps) : new Uint8Array();
  return bgp(
    1,
    cat(
      [o.version ?? 4],
      u16(o.myAs ?? 65001),
      u16(o.holdTime ?? 90),
      ip4(o.bgpId ?? "192.0.2.1"),
      [params.length],
      params,
    ),
  );
}

/** A NOTIFICATION message. */
export const notification = (code: number, subcode: number, data: Part = []): Uint8Array =>
  bgp(3, cat([code, subcode], data));

/** A KEEPALIVE message. */
export const keepalive = (): Uint8Array => bgp(4, []);

// ---------------------------------------------------------------------------------------
// BMP messages
// ---------------------------------------------------------------------------------------

/** Fields of a per-peer header. */
export interface PeerParts {
  /** Peer type: 0 global, 1 RD instance, 2 local instance, 3 Loc-RIB. */
  type?: number;
  /** Flags octet: V 0x80, L 0x40, A 0x20, O 0x10 (F 0x80 for Loc-RIB). */
  flags?: number;
  /** Peer distinguisher bytes (8). */
  rd?: number[];
  /** Peer address; IPv6 text fills 16 bytes, IPv4 the last 4. */
  address?: string;
  asn?: number;
  bgpId?: string;
  sec?: number;
  usec?: number;
}

/** A 42-byte per-peer header. */
export function perPeer(o: PeerParts = {}): Uint8Array {
  const a = o.address ?? "192.0.2.2";
  const addr = a.includes(":") ? ip6(a) : [...Array(12).fill(0), ...ip4(a)];
  return cat(
    [o.type ?? 0, o.flags ?? 0],
    o.rd ?? Array(8).fill(0),
    addr,
    u32(o.asn ?? 65002),
    ip4(o.bgpId ?? "192.0.2.2"),
    u32(o.sec ?? 1700000000),
    u32(o.usec ?? 0),
  );
}

/** A BMP message: version | length | type | body. */
export function bmp(type: number, body: Part, version = 3): Uint8Array {
  return cat([version], u32(6 + body.length), [type], body);
}

/** Information TLV: Type (2) | Length (2) | Value. */
export const tlv = (type: number, value: Part): Uint8Array =>
  cat(u16(type), u16(value.length), value);

/** BMPv4 indexed TLV: Type (2) | Length (2) | Index (2) | Value. */
export const tlv4 = (type: number, index: number, value: Part): Uint8Array =>
  cat(u16(type), u16(value.length), u16(index), value);

/** Route Monitoring (v3 layout unless `version` is 4 and `body` holds TLVs). */
export const routeMonitoring = (body: Part, peer: PeerParts = {}, version = 3): Uint8Array =>
  bmp(0, cat(perPeer(peer), body), version);

/** Statistics Report from [type, data] pairs; Stats Count defaults to the pair count. */
export function statsReport(
  stats: [number, Part][],
  peer: PeerParts = {},
  count = stats.length,
): Uint8Array {
  return bmp(1, cat(perPeer(peer), u32(count), ...stats.map(([t, v]) => tlv(t, v))));
}

/** Peer Down with its reason and data. */
export const peerDown = (reason: number, data: Part = [], peer: PeerParts = {}): Uint8Array =>
  bmp(2, cat(perPeer(peer), [reason], data));

/** Fields of a Peer Up beyond the per-peer header. */
export interface PeerUpParts extends PeerParts {
  local?: string;
  localPort?: number;
  remotePort?: number;
  tlvs?: Part[];
}

/** Peer Up: local address and ports, then the sent and received OPENs, then TLVs. */
export function peerUp(sent: Part, received: Part, o: PeerUpParts = {}): Uint8Array {
  const l = o.local ?? "192.0.2.1";
  const local = l.includes(":") ? ip6(l) : [...Array(12).fill(0), ...ip4(l)];
  return bmp(
    3,
    cat(
      perPeer(o),
      local,
      u16(o.localPort ?? 179),
      u16(o.remotePort ?? 40000),
      sent,
      received,
      ...(o.tlvs ?? []),
    ),
  );
}

/** Initiation from TLVs. */
export const initiation = (...tlvs: Part[]): Uint8Array => bmp(4, cat(...tlvs));
/** Termination from TLVs. */
export const termination = (...tlvs: Part[]): Uint8Array => bmp(5, cat(...tlvs));
/** Route Mirroring from TLVs. */
export const routeMirroring = (tlvs: Part[], peer: PeerParts = {}): Uint8Array =>
  bmp(6, cat(perPeer(peer), ...tlvs));

// ---------------------------------------------------------------------------------------
// Decoding and asserts
// ---------------------------------------------------------------------------------------

/** Decodes one BMP message with a fresh session (or the one given). */
export function decodeBmp(bytes: Uint8Array, session = new BmpSession()): BmpMessage {
  return session.decode(bytes, 0);
}

/** JSON text with sorted keys and bigint as `123n`: what the asserts compare. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === "bigint") return `${x}n`;
    if (x && typeof x === "object" && !Array.isArray(x)) {
      return Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    return x;
  });
}

/** Throws unless `cond` is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Deep equality as JSON (keys with undefined values count as absent). */
export function assertEquals(actual: unknown, expected: unknown, msg = ""): void {
  const a = canonical(actual);
  const e = canonical(expected);
  if (a !== e) throw new Error(`${msg}\n  actual:   ${a}\n  expected: ${e}`);
}

function subsetDiff(actual: unknown, expected: unknown, path: string): string | undefined {
  if (expected === null || typeof expected !== "object") {
    return canonical(actual) === canonical(expected)
      ? undefined
      : `${path}: ${canonical(actual)} !== ${canonical(expected)}`;
  }
  if (actual === null || typeof actual !== "object") return `${path}: ${canonical(actual)}`;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return `${path}: ${canonical(actual)} !== ${canonical(expected)}`;
    }
  }
  for (const [k, v] of Object.entries(expected)) {
    const d = subsetDiff((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

/** Checks that every field of `expected` (recursively) has the same value in `actual`;
 * arrays must have the same length. */
export function assertMatch(actual: unknown, expected: unknown, msg = ""): void {
  const d = subsetDiff(actual, expected, "$");
  if (d) throw new Error(`${msg} ${d}\n  actual: ${canonical(actual)}`);
}

/** Runs `fn` and returns the `DecodeError` it throws, checking its code when given. */
export function assertDecodeError(fn: () => unknown, code?: DecodeErrorCode): DecodeError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DecodeError)) throw new Error(`expected a DecodeError, got ${e}`);
    if (code !== undefined && e.code !== code) {
      throw new Error(`expected DecodeError ${code}, got ${e.code}: ${e.message}`);
    }
    return e;
  }
  throw new Error(`expected a DecodeError${code ? " " + code : ""}, nothing thrown`);
}

/** An EVPN MAC/IP Advertisement route (RFC 7432 §7.2): ESI 0, tag 10, MAC 00:11:22:33:44:55,
 * IP 10.0.0.1, label 1000, under Route Distinguisher `rd`. */
export const evpnMacIp = (rd: number[]): Uint8Array =>
  evpn(2, [
    ...rd,
    ...esi(0),
    ...u32(10),
    48,
    0,
    0x11,
    0x22,
    0x33,
    0x44,
    0x55,
    32,
    ...ip("10.0.0.1"),
    ...label(1000),
  ]);
