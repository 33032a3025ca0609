/**
 * SR Policy NLRI (AFI 1 or 2 / SAFI 73), RFC 9830 §2.1. The policy itself (preference,
 * binding SID, segment lists) travels in the Tunnel Encapsulation attribute
 * (`../attributes/tunnel_encap.ts`).
 *
 * ```text
 * [Path Identifier (4)] NLRI Length (1, bits: 96 or 192) | Distinguisher (4)
 *   | Policy Color (4) | Endpoint (4 or 16)
 * ```
 *
 * @module
 */

import { DecodeError } from "../../wire/errors.ts";
import { ipAddress } from "../../wire/ip.ts";
import type { WireReader } from "../../wire/reader.ts";
import type { Nlri } from "./types.ts";

/** The key of one SR Policy candidate path. */
export interface SrPolicyNlri {
  distinguisher: number;
  color: number;
  endpoint: string;
}

/**
 * Decodes one SR Policy NLRI at `r.pos` (after the path identifier).
 *
 * @throws {DecodeError} for a length other than 96 (IPv4) or 192 (IPv6) bits
 */
export function decodeSrPolicy(r: WireReader, afi: number): SrPolicyNlri {
  const at = r.pos;
  const bits = r.u8();
  if (bits !== (afi === 2 ? 192 : 96)) {
    throw new DecodeError("bad-length", at, `Cannot decode SR Policy NLRI: length ${bits}`);
  }
  const distinguisher = r.u32();
  const color = r.u32();
  const n = afi === 2 ? 16 : 4;
  r.need(n);
  const endpoint = ipAddress(r.bytes, r.pos, n);
  r.pos += n;
  return { distinguisher, color, endpoint };
}

/** Reads SR Policy NLRI from `r` up to `r.end` into `out`; the route key is
 * `distinguisher|color|endpoint`. */
export function decodeSrPolicyNlri(r: WireReader, afi: number, addPath: boolean, out: Nlri[]) {
  while (r.pos < r.end) {
    const pathId = addPath ? r.u32() : undefined;
    const srPolicy = decodeSrPolicy(r, afi);
    const key = `${srPolicy.distinguisher}|${srPolicy.color}|${srPolicy.endpoint}`;
    const n: Nlri = { prefix: "", key, srPolicy };
    if (pathId !== undefined) n.pathId = pathId;
    out.push(n);
  }
}
