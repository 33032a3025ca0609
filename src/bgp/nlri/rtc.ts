/**
 * Route Target Constraint NLRI (AFI 1 / SAFI 132), RFC 4684 §4.
 *
 * ```text
 * [Path Identifier (4)] Length (1, bits: 0 or 32-96) | Origin AS (4) | Route Target (0-8)
 * ```
 *
 * Length 0 is the default membership ("send me every route target"); 32 is an origin AS
 * alone; 33-95 a route target prefix; 96 one whole route target.
 *
 * @module
 */

import { DecodeError } from "../../wire/errors.ts";
import { hex } from "../../wire/ip.ts";
import type { WireReader } from "../../wire/reader.ts";
import { extendedCommunityText } from "../attributes/extended_communities.ts";
import type { Nlri } from "./types.ts";

/** One RTC membership. */
export interface RtcMembership {
  /** Prefix length in bits (0, or 32 to 96). */
  bits: number;
  /** Absent for the default membership (length 0). */
  originAs?: number;
  /** A whole route target in extended community text (`rt:65000:100`), or the hex of a
   * partial one (`hex/bits` of the route target bits). */
  routeTarget?: string;
  /** `default`, `<origin AS>`, `<origin AS>:<route target>`: also the route key. */
  text: string;
}

/**
 * Decodes one RTC NLRI at `r.pos` (after the path identifier).
 *
 * @throws {DecodeError} for a length of 1-31 or over 96 bits (RFC 4684 §4)
 */
export function decodeRtc(r: WireReader): RtcMembership {
  const at = r.pos;
  const bits = r.u8();
  if (bits === 0) return { bits, text: "default" };
  if (bits < 32 || bits > 96) {
    throw new DecodeError("bad-length", at, `Cannot decode RTC NLRI: length ${bits}`);
  }
  const originAs = r.u32();
  if (bits === 32) return { bits, originAs, text: String(originAs) };
  const n = (bits - 32 + 7) >> 3;
  r.need(n);
  let routeTarget: string;
  if (bits === 96) routeTarget = extendedCommunityText(r.bytes, r.pos);
  else routeTarget = `${hex(r.bytes.subarray(r.pos, r.pos + n))}/${bits - 32}`;
  r.pos += n;
  return { bits, originAs, routeTarget, text: `${originAs}:${routeTarget}` };
}

/** Reads RTC NLRI from `r` up to `r.end` into `out`; the route key is the text form. */
export function decodeRtcNlri(r: WireReader, addPath: boolean, out: Nlri[]): void {
  while (r.pos < r.end) {
    const pathId = addPath ? r.u32() : undefined;
    const rtc = decodeRtc(r);
    const n: Nlri = { prefix: "", key: rtc.text, rtc };
    if (pathId !== undefined) n.pathId = pathId;
    out.push(n);
  }
}
