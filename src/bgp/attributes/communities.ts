/**
 * COMMUNITIES (RFC 1997) and LARGE_COMMUNITY (RFC 8092).
 *
 * @module
 */

import { WELL_KNOWN_COMMUNITIES } from "../constants.ts";

/** A large community: global administrator, local data part 1, local data part 2. */
export type LargeCommunity = [number, number, number];

/** Reads 4-byte communities from `b[off, end)`. */
export function decodeCommunities(b: Uint8Array, off: number, end: number): number[] {
  const out = new Array<number>((end - off) >> 2);
  for (let p = off, i = 0; p + 4 <= end; p += 4, i++) {
    out[i] = ((b[p] << 24) >>> 0) + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
  }
  return out;
}

/** Reads 12-byte large communities from `b[off, end)`. */
export function decodeLargeCommunities(b: Uint8Array, off: number, end: number): LargeCommunity[] {
  const dv = new DataView(b.buffer, b.byteOffset);
  const out: LargeCommunity[] = [];
  for (let p = off; p + 12 <= end; p += 12) {
    out.push([dv.getUint32(p), dv.getUint32(p + 4), dv.getUint32(p + 8)]);
  }
  return out;
}

/**
 * Text of a community: its well-known name, else `asn:value`.
 *
 * @example
 * ```ts
 * import { communityText } from "./communities.ts";
 * if (communityText(0xffffff01) !== "NO_EXPORT") throw new Error("unexpected");
 * if (communityText(65001 * 65536 + 999) !== "65001:999") throw new Error("unexpected");
 * ```
 */
export function communityText(c: number): string {
  return WELL_KNOWN_COMMUNITIES[c] ?? `${c >>> 16}:${c & 0xffff}`;
}

/** Text of a large community, `ga:ld1:ld2`. */
export function largeCommunityText(c: LargeCommunity): string {
  return `${c[0]}:${c[1]}:${c[2]}`;
}
