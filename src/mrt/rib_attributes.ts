/**
 * Path attributes of MRT RIB entries, decoded by the BGP UPDATE decoder
 * (`src/bgp/update.ts`) with the MP_REACH_NLRI abbreviation of RFC 6396 §4.3.4 undone.
 *
 * ```text
 * TABLE_DUMP_V2 MP_REACH_NLRI value: Next Hop Length (1) | Next Hop (var)
 * full MP_REACH_NLRI value:          AFI (2) | SAFI (1) | NH Len (1) | Next Hop | Reserved (1) | NLRI
 * ```
 *
 * The attributes are wrapped as the body of an UPDATE with no routes, and an abbreviated
 * MP_REACH_NLRI is widened to a full one for the record's family, so that attributes
 * have one parser in the project.
 *
 * @module
 */

import { AttrFlag, AttrType } from "../bgp/constants.ts";
import { decodeUpdate } from "../bgp/update.ts";
import { DecodeError } from "../wire/errors.ts";
import type { MrtAttributes } from "./types.ts";

const NO_ADD_PATH = () => false;

/**
 * Widens the abbreviated MP_REACH_NLRI of a RIB entry's attribute list `bytes[start, end)`
 * to a full one for `afi`/`safi`, with `nlri` (encoded NLRI) as its routes. Given `nlri`,
 * a full MP_REACH_NLRI is rewritten too: its next hop with `nlri`, not the routes in it.
 *
 * @returns the attribute list (a copy when widened; `bytes[start, end)` otherwise)
 *
 * @example
 * ```ts
 * import { widenMpReach } from "./rib_attributes.ts";
 * const b = new Uint8Array([0x80, 14, 5, 4, 10, 0, 0, 1]); // next hop 10.0.0.1
 * const w = widenMpReach(b, 0, b.length, 1, 2);
 * if (w.length !== 4 + 3 + 5 + 1 || w[6] !== 2) throw new Error("unexpected");
 * ```
 */
export function widenMpReach(
  bytes: Uint8Array,
  start: number,
  end: number,
  afi: number,
  safi: number,
  nlri: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const parts: Uint8Array[] = [];
  let from = start;
  for (let p = start; p < end;) {
    if (end - p < 3) break; // left for the UPDATE decoder to report
    const flags = bytes[p];
    const type = bytes[p + 1];
    const ext = (flags & AttrFlag.ExtendedLength) !== 0;
    if (ext && end - p < 4) break;
    const len = ext ? (bytes[p + 2] << 8) | bytes[p + 3] : bytes[p + 2];
    const v = p + (ext ? 4 : 3);
    if (v + len > end) break;
    const abbreviated = len >= 1 && bytes[v] === len - 1;
    // A full attribute (some writers stored the UPDATE's, with other routes in it): its
    // next hop, with `nlri` as the routes, when `nlri` is given.
    const full = !abbreviated && nlri.length > 0 && len >= 5 && 4 + bytes[v + 3] < len;
    if (type === AttrType.MpReachNlri && (abbreviated || full)) {
      const nh = abbreviated
        ? bytes.subarray(v, v + len)
        : bytes.subarray(v + 3, v + 4 + bytes[v + 3]);
      parts.push(bytes.subarray(from, p));
      const wlen = 3 + nh.length + 1 + nlri.length;
      const wide = new Uint8Array(4 + wlen);
      wide[0] = flags | AttrFlag.ExtendedLength;
      wide[1] = type;
      wide[2] = wlen >> 8;
      wide[3] = wlen & 0xff;
      wide[4] = afi >> 8;
      wide[5] = afi & 0xff;
      wide[6] = safi;
      wide.set(nh, 7); // next hop length and next hop; reserved 0
      wide.set(nlri, 8 + nh.length);
      parts.push(wide);
      from = v + len;
    }
    p = v + len;
  }
  if (parts.length === 0) return bytes.subarray(start, end);
  parts.push(bytes.subarray(from, end));
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of parts) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}

/**
 * Decodes the attribute list `bytes[start, end)` of a RIB entry.
 *
 * @param asn4 4-byte ASNs in AS_PATH and AGGREGATOR (always in TABLE_DUMP_V2, RFC 6396
 *   §4.3.4; never in TABLE_DUMP)
 * @param afi the family of the entry's prefix, for an abbreviated MP_REACH_NLRI
 * @throws {DecodeError} when an attribute header crosses the list's end, or the widened
 *   list no longer fits an UPDATE.
 *
 * @example
 * ```ts
 * import { decodeRibAttributes } from "./rib_attributes.ts";
 * // ORIGIN IGP, then MP_REACH_NLRI abbreviated to an IPv6 next hop (2001:db8::1).
 * const nh = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
 * const b = new Uint8Array([0x40, 1, 1, 0, 0x80, 14, 17, 16, ...nh]);
 * const { attributes } = decodeRibAttributes(b, 0, b.length, { asn4: true, afi: 2, safi: 1 });
 * if (attributes.mpReach?.nextHop !== "2001:db8::1") throw new Error("unexpected");
 * ```
 */
export function decodeRibAttributes(
  bytes: Uint8Array,
  start: number,
  end: number,
  family: { asn4: boolean; afi: number; safi: number },
): MrtAttributes {
  const attrs = widenMpReach(bytes, start, end, family.afi, family.safi);
  const attrLen = attrs.length;
  if (attrLen > 0xffff) {
    throw new DecodeError(
      "too-large",
      start,
      `Cannot decode RIB entry attributes: ${attrLen} bytes once MP_REACH_NLRI is widened`,
    );
  }
  const body = new Uint8Array(4 + attrLen);
  body[2] = attrLen >> 8;
  body[3] = attrLen & 0xff;
  body.set(attrs, 4);
  const u = decodeUpdate(body, 0, body.length, { asn4: family.asn4, addPath: NO_ADD_PATH });
  // Offsets back into the record (exact before a widened MP_REACH_NLRI, near after it).
  for (const p of u.problems) if (p.offset >= 4) p.offset = Math.min(end, start + p.offset - 4);
  return { attributes: u.attributes, problems: u.problems };
}
