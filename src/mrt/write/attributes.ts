/**
 * BGP path attributes (RFC 4271 §4.3) written back from a stored attribute set (the
 * columns of `path_attrs`), as a TABLE_DUMP_V2 RIB entry carries them (RFC 6396 §4.3.4):
 * AS_PATH with four-octet ASNs, and for a next hop of the other family or an IPv6 route
 * the abbreviated MP_REACH_NLRI (next-hop length and next hop only).
 *
 * What the columns do not hold exactly cannot be written: PMSI tunnel, Prefix-SID and
 * Tunnel Encapsulation are kept as decoded JSON, and a few extended communities lose
 * their T bit in text. Such attributes are left out and named in `skipped`, so the
 * export can say how many sets lost what.
 *
 * @module
 */

import { WELL_KNOWN_COMMUNITIES } from "../../bgp/constants.ts";
import { parsePrefix } from "../../rpki/vrp.ts";
import { extendedCommunityBytes } from "./ext_community_bytes.ts";

/** A `path_attrs` row as the export selects it. */
export interface StoredAttrs {
  origin: number | null;
  as_path_text: string | null;
  next_hop: string | null;
  med: string | number | null;
  local_pref: string | number | null;
  atomic_aggregate: boolean;
  aggregator_asn: string | number | null;
  aggregator_address: string | null;
  communities: string[] | null;
  ext_communities: string[] | null;
  large_communities: string[] | null;
  originator_id: string | null;
  cluster_list: string[] | null;
  otc: string | number | null;
  aigp: string | null;
  unknown_attrs: { type: number; flags: number; value: string }[] | null;
  pmsi_tunnel: unknown;
  prefix_sid: unknown;
  tunnel_encap: unknown;
}

/** Encoded attributes and what could not be written. */
export interface EncodedAttrs {
  bytes: Uint8Array;
  skipped: string[];
}

const COMMUNITY_VALUES: Record<string, number> = Object.fromEntries(
  Object.entries(WELL_KNOWN_COMMUNITIES).map(([v, name]) => [name, Number(v)]),
);

/** The address bytes of `text` (IPv4 or IPv6), or undefined. */
export function addressBytes(text: string): Uint8Array | undefined {
  const addr = text.includes("/") ? text.slice(0, text.indexOf("/")) : text;
  return parsePrefix(`${addr}/${addr.includes(":") ? 128 : 32}`)?.bytes;
}

/**
 * Encodes attribute set `a` for a route of address family `afi` (1 IPv4, 2 IPv6).
 *
 * @example
 * ```ts
 * import { encodeStoredAttrs } from "./attributes.ts";
 * const { bytes } = encodeStoredAttrs({
 *   origin: 0, as_path_text: "65001 65002", next_hop: "192.0.2.1", med: null,
 *   local_pref: null, atomic_aggregate: false, aggregator_asn: null,
 *   aggregator_address: null, communities: null, ext_communities: null,
 *   large_communities: null, originator_id: null, cluster_list: null, otc: null,
 *   aigp: null, unknown_attrs: null, pmsi_tunnel: null, prefix_sid: null,
 *   tunnel_encap: null,
 * }, 1);
 * if (bytes.length !== 4 + 13 + 7) throw new Error(`unexpected ${bytes.length}`);
 * ```
 */
export function encodeStoredAttrs(a: StoredAttrs, afi: number): EncodedAttrs {
  const out: number[] = [];
  const skipped: string[] = [];
  const attr = (flags: number, type: number, value: ArrayLike<number>) => {
    const ext = value.length > 255;
    out.push(ext ? flags | 0x10 : flags & ~0x10, type);
    if (ext) out.push(value.length >> 8);
    out.push(value.length & 0xff);
    for (let i = 0; i < value.length; i++) out.push(value[i]);
  };
  const u32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  const present = (v: unknown) => v !== null && v !== undefined;

  if (a.origin !== null) attr(0x40, 1, [a.origin]);
  if (a.as_path_text !== null) attr(0x40, 2, asPathBytes(a.as_path_text));
  const nh = a.next_hop ? addressBytes(a.next_hop) : undefined;
  const mpNextHop = nh && (afi !== 1 || nh.length !== 4);
  if (nh && !mpNextHop) attr(0x40, 3, nh);
  if (present(a.med)) attr(0x80, 4, u32(Number(a.med)));
  if (present(a.local_pref)) attr(0x40, 5, u32(Number(a.local_pref)));
  if (a.atomic_aggregate) attr(0x40, 6, []);
  if (present(a.aggregator_asn) && a.aggregator_address) {
    attr(0xc0, 7, [...u32(Number(a.aggregator_asn)), ...addressBytes(a.aggregator_address)!]);
  }
  if (a.communities?.length) {
    attr(0xc0, 8, a.communities.flatMap((c) => u32(communityValue(c))));
  }
  if (a.originator_id) attr(0x80, 9, addressBytes(a.originator_id)!);
  if (a.cluster_list?.length) {
    attr(0x80, 10, a.cluster_list.flatMap((c) => [...addressBytes(c)!]));
  }
  if (mpNextHop) attr(0x80, 14, [nh.length, ...nh]);
  if (a.ext_communities?.length) {
    const value: number[] = [];
    for (const c of a.ext_communities) {
      const b = extendedCommunityBytes(c);
      if (b) value.push(...b);
      else skipped.push(`extended community ${c}`);
    }
    if (value.length) attr(0xc0, 16, value);
  }
  if (a.aigp !== null) {
    const v = BigInt(a.aigp);
    const value = [1, 0, 11];
    for (let i = 7; i >= 0; i--) value.push(Number((v >> BigInt(8 * i)) & 255n));
    attr(0x80, 26, value);
  }
  if (a.large_communities?.length) {
    attr(0xc0, 32, a.large_communities.flatMap((c) => c.split(":").flatMap((n) => u32(+n))));
  }
  if (present(a.otc)) attr(0xc0, 35, u32(Number(a.otc)));
  for (const u of a.unknown_attrs ?? []) attr(u.flags, u.type, hexBytes(u.value));
  if (present(a.pmsi_tunnel)) skipped.push("PMSI tunnel");
  if (present(a.prefix_sid)) skipped.push("Prefix-SID");
  if (present(a.tunnel_encap)) skipped.push("Tunnel Encapsulation");
  return { bytes: sortByType(Uint8Array.from(out)), skipped };
}

/** AS_PATH segments from the stored text: `{…}` AS_SET, `(…)` / `[…]` confederation. */
function asPathBytes(text: string): number[] {
  const out: number[] = [];
  const segment = (type: number, asns: number[]) => {
    for (let i = 0; i < asns.length; i += 255) {
      const part = asns.slice(i, i + 255);
      out.push(type, part.length);
      for (const n of part) out.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
    }
  };
  let seq: number[] = [];
  for (const m of text.matchAll(/\{([^}]*)\}|\(([^)]*)\)|\[([^\]]*)\]|(\d+)/g)) {
    if (m[4] !== undefined) {
      seq.push(Number(m[4]));
      continue;
    }
    if (seq.length) segment(2, seq), seq = [];
    const body = (m[1] ?? m[2] ?? m[3]).split(/[ ,]+/).filter(Boolean).map(Number);
    segment(m[1] !== undefined ? 1 : m[2] !== undefined ? 3 : 4, body);
  }
  if (seq.length) segment(2, seq);
  return out;
}

function communityValue(text: string): number {
  const known = COMMUNITY_VALUES[text];
  if (known !== undefined) return known;
  const [hi, lo] = text.split(":").map(Number);
  return ((hi << 16) >>> 0) + lo;
}

function hexBytes(h: string): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < h.length; i += 2) out.push(parseInt(h.slice(i, i + 2), 16));
  return out;
}

/** Attributes in type order (RFC 4271 §5: "SHOULD be ordered"), whatever order they came. */
function sortByType(b: Uint8Array): Uint8Array {
  const parts: { type: number; start: number; end: number }[] = [];
  for (let p = 0; p < b.length;) {
    const len = b[p] & 0x10 ? (b[p + 2] << 8) | b[p + 3] : b[p + 2];
    const end = p + (b[p] & 0x10 ? 4 : 3) + len;
    parts.push({ type: b[p + 1], start: p, end });
    p = end;
  }
  parts.sort((x, y) => x.type - y.type);
  const out = new Uint8Array(b.length);
  let at = 0;
  for (const s of parts) out.set(b.subarray(s.start, s.end), at), at += s.end - s.start;
  return out;
}
