/**
 * Route Distinguisher text (RFC 4364 §4.2).
 *
 * ```text
 * +--------+--------------------------------+
 * | Type(2)|  Administrator : Assigned Number (6) |
 * +--------+--------------------------------+
 * type 0: 2-byte ASN : 4-byte number   type 1: IPv4 : 2-byte number
 * type 2: 4-byte ASN : 2-byte number
 * ```
 *
 * @module
 */

import { hex, ipv4 } from "../wire/ip.ts";

/**
 * Formats the 8-byte RD at `off` as `type:administrator:assigned`, the type first as
 * pmacct prints it (`0:65000:100`, `1:192.0.2.1:5`, `2:65543:105`), and an unknown type
 * as `type:hex` of its 6 value bytes. Without the type, type 0 `100:5` and type 2 `100:5`
 * would print alike though they are different RDs, and the text is part of the RIB key.
 *
 * @param b the bytes holding the RD
 * @param off where its 8 bytes start
 * @returns the RD text, never empty (callers use "" for "no RD")
 *
 * @example
 * ```ts
 * import { routeDistinguisher } from "./rd.ts";
 * const b = new Uint8Array([0, 0, 0xfd, 0xe8, 0, 0, 0, 100]);
 * if (routeDistinguisher(b, 0) !== "0:65000:100") throw new Error("unexpected");
 * ```
 */
export function routeDistinguisher(b: Uint8Array, off: number): string {
  const type = (b[off] << 8) | b[off + 1];
  const v = new DataView(b.buffer, b.byteOffset + off, 8);
  switch (type) {
    case 0:
      return `0:${v.getUint16(2)}:${v.getUint32(4)}`;
    case 1:
      return `1:${ipv4(b, off + 2)}:${v.getUint16(6)}`;
    case 2:
      return `2:${v.getUint32(2)}:${v.getUint16(6)}`;
    default:
      return `${type}:${hex(b.subarray(off + 2, off + 8))}`;
  }
}

/** True when all 8 RD bytes at `off` are zero. */
export function isZeroRd(b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 8; i++) if (b[off + i] !== 0) return false;
  return true;
}
