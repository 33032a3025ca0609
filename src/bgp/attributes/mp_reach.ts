/**
 * MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760 §3, §4).
 *
 * ```text
 * MP_REACH_NLRI:   AFI (2) | SAFI (1) | NH Len (1) | Next Hop (var) | Reserved (1) | NLRI
 * MP_UNREACH_NLRI: AFI (2) | SAFI (1) | Withdrawn Routes (var)
 * ```
 *
 * @module
 */

import { hex, ipAddress } from "../../wire/ip.ts";
import type { WireReader } from "../../wire/reader.ts";
import { Afi } from "../constants.ts";
import { decodeNlri, isDecodedFamily } from "../nlri/decode.ts";
import type { Nlri } from "../nlri/types.ts";

/** Routes of one family announced through MP_REACH_NLRI. */
export interface MpReachNlri {
  afi: number;
  safi: number;
  /** Global next hop (RD of VPN next hops dropped). */
  nextHop: string;
  /** IPv6 link-local next hop, when 32 (or 48 for VPN) bytes were given. */
  nextHopLinkLocal?: string;
  nlri: Nlri[];
  /** Hex of the NLRI bytes for families that are not decoded. */
  raw?: string;
}

/** Routes of one family withdrawn through MP_UNREACH_NLRI. */
export interface MpUnreachNlri {
  afi: number;
  safi: number;
  nlri: Nlri[];
  raw?: string;
}

/** Formats a next hop field of `len` bytes at `off` (RFC 4760, RFC 4659 §3.2, RFC 8950). */
function nextHops(b: Uint8Array, off: number, len: number): [string, string | undefined] {
  switch (len) {
    case 0:
      return ["", undefined];
    case 4:
    case 16:
      return [ipAddress(b, off, len), undefined];
    case 32:
      return [ipAddress(b, off, 16), ipAddress(b, off + 16, 16)];
    case 12: // RD + IPv4 (VPN)
    case 24: // RD + IPv6 (VPN)
      return [ipAddress(b, off + 8, len - 8), undefined];
    case 48:
      return [ipAddress(b, off + 8, 16), ipAddress(b, off + 32, 16)];
    default:
      return [hex(b.subarray(off, off + len)), undefined];
  }
}

/** Decodes MP_REACH_NLRI from `r` up to `r.end`. */
export function decodeMpReach(
  r: WireReader,
  addPath: (afi: number, safi: number) => boolean | undefined,
): MpReachNlri {
  const afi = r.u16();
  const safi = r.u8();
  const nhLen = r.u8();
  r.need(nhLen);
  const [nextHop, nextHopLinkLocal] = nextHops(r.bytes, r.pos, nhLen);
  r.pos += nhLen;
  r.u8(); // reserved (RFC 4760: formerly SNPA count)
  const out: MpReachNlri = { afi, safi, nextHop, nlri: [] };
  if (nextHopLinkLocal !== undefined) out.nextHopLinkLocal = nextHopLinkLocal;
  if (isDecodedFamily(afi, safi)) decodeNlri(r, afi, safi, addPath(afi, safi), false, out.nlri);
  else out.raw = hex(r.rest());
  return out;
}

/** Decodes MP_UNREACH_NLRI from `r` up to `r.end`. */
export function decodeMpUnreach(
  r: WireReader,
  addPath: (afi: number, safi: number) => boolean | undefined,
): MpUnreachNlri {
  const afi = r.u16();
  const safi = r.u8();
  const out: MpUnreachNlri = { afi, safi, nlri: [] };
  if (isDecodedFamily(afi, safi)) decodeNlri(r, afi, safi, addPath(afi, safi), true, out.nlri);
  else out.raw = hex(r.rest());
  return out;
}

/** True for an IPv4 or IPv6 address family. */
export function isIpAfi(afi: number): boolean {
  return afi === Afi.Ipv4 || afi === Afi.Ipv6;
}
