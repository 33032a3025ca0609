/**
 * Validated ROA payloads (VRPs, RFC 6811 §2): a prefix, a maximum length and an origin
 * AS, as the RTR client and the VRP file reader hand them to the store.
 *
 * Prefixes are kept as canonical text (`192.0.2.0/24`, `2001:db8::/32`, RFC 5952), the
 * form PostgreSQL's `cidr` prints, so a set read back from `rpki_vrps` compares equal to
 * the set that was written.
 *
 * @module
 */

import { prefixText } from "../wire/ip.ts";

/** One validated ROA payload. */
export interface Vrp {
  /** Canonical prefix text. */
  prefix: string;
  maxLength: number;
  asn: number;
}

/** The identity of a VRP in a set: prefix, max length and ASN. */
export function vrpKey(v: Vrp): string {
  return `${v.prefix} ${v.maxLength} ${v.asn}`;
}

/** The VRP of a key made by {@linkcode vrpKey}. */
export function vrpOfKey(key: string): Vrp {
  const [prefix, max, asn] = key.split(" ");
  return { prefix, maxLength: Number(max), asn: Number(asn) };
}

/** A prefix as address bytes (4 or 16) and a length. */
export interface PrefixBytes {
  afi: 1 | 2;
  bytes: Uint8Array;
  length: number;
}

function parseIpv4(s: string, out: Uint8Array, off: number): boolean {
  const parts = s.split(".");
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i]) || Number(parts[i]) > 255) return false;
    out[off + i] = Number(parts[i]);
  }
  return true;
}

function parseIpv6(s: string, out: Uint8Array): boolean {
  const halves = s.split("::");
  if (halves.length > 2) return false;
  const groups = (h: string) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  // A trailing dotted quad (`::ffff:192.0.2.1`) fills the last two groups.
  const all = [...head, ...tail];
  const v4 = all.length > 0 && all[all.length - 1].includes(".");
  const words = head.length + tail.length + (v4 ? 1 : 0);
  if (halves.length === 1 ? words !== 8 : words > 7) return false;
  const put = (list: string[], at: number): boolean => {
    for (let i = 0; i < list.length; i++) {
      const g = list[i];
      if (g.includes(".")) {
        if (at + 2 * i !== 12 || !parseIpv4(g, out, 12)) return false;
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
      const n = parseInt(g, 16);
      out[at + 2 * i] = n >> 8;
      out[at + 2 * i + 1] = n & 255;
    }
    return true;
  };
  const tailBytes = 2 * tail.length + (v4 && tail.length ? 2 : 0);
  return put(head, 0) && put(tail, 16 - tailBytes);
}

/**
 * Parses prefix text into bytes; returns undefined when it is not a prefix, or when bits
 * past its length are set (PostgreSQL's `cidr` refuses those).
 *
 * @example
 * ```ts
 * import { parsePrefix } from "./vrp.ts";
 * const p = parsePrefix("2001:db8::/32")!;
 * if (p.afi !== 2 || p.length !== 32 || p.bytes[1] !== 0x01) throw new Error("unexpected");
 * if (parsePrefix("192.0.2.1/24") !== undefined) throw new Error("host bits accepted");
 * ```
 */
export function parsePrefix(text: string): PrefixBytes | undefined {
  const slash = text.indexOf("/");
  if (slash < 0 || !/^\d{1,3}$/.test(text.slice(slash + 1))) return undefined;
  const addr = text.slice(0, slash);
  const length = Number(text.slice(slash + 1));
  const v6 = addr.includes(":");
  const bytes = new Uint8Array(v6 ? 16 : 4);
  if (!(v6 ? parseIpv6(addr, bytes) : parseIpv4(addr, bytes, 0))) return undefined;
  if (length > bytes.length * 8) return undefined;
  for (let bit = length; bit < bytes.length * 8; bit++) {
    if (bytes[bit >> 3] & (0x80 >> (bit & 7))) return undefined;
  }
  return { afi: v6 ? 2 : 1, bytes, length };
}

/** The canonical text of parsed prefix bytes. */
export function prefixOf(p: PrefixBytes): string {
  return prefixText(p.afi, p.bytes, 0, p.length);
}

/** Why a VRP is not acceptable, or undefined when it is (RFC 6811 §2, RFC 8210 §5.6). */
export function vrpProblem(p: PrefixBytes, maxLength: number, asn: number): string | undefined {
  const maxBits = p.afi === 1 ? 32 : 128;
  if (!Number.isInteger(maxLength) || maxLength < p.length || maxLength > maxBits) {
    return `max length ${maxLength} outside ${p.length}..${maxBits}`;
  }
  if (!Number.isInteger(asn) || asn < 0 || asn > 0xffffffff) return `ASN ${asn} out of range`;
  return undefined;
}
