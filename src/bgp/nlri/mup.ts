/**
 * BGP Mobile User Plane NLRI (AFI 1 or 2 / SAFI 85), draft-mpmz-bess-mup-safi §3, as GoBGP
 * sends it.
 *
 * ```text
 * [Path Identifier (4)] Architecture Type (1) | Route Type (2) | Length (1) | body
 * 1 Interwork Segment Discovery: RD (8) | Prefix Length (1) | Prefix (var)
 * 2 Direct Segment Discovery:    RD (8) | Address (4 or 16)
 * 3 Type 1 Session Transformed:  RD (8) | Prefix Length (1) | Prefix (var) | TEID (4)
 *                                | QFI (1) | Endpoint Length (1) | Endpoint (var)
 *                                [| Source Length (1) | Source (var)]
 * 4 Type 2 Session Transformed:  RD (8) | Endpoint Length (1, address + TEID bits)
 *                                | Endpoint (4 or 16) | TEID (0-4, the remaining bits)
 * ```
 *
 * Architecture type 1 is 3GPP 5G. Other architecture or route types keep their body in hex.
 *
 * @module
 */

import { DecodeError } from "../../wire/errors.ts";
import { hex, ipAddress, prefixText } from "../../wire/ip.ts";
import type { WireReader } from "../../wire/reader.ts";
import { routeDistinguisher } from "../rd.ts";
import type { Nlri } from "./types.ts";

/** MUP route types (draft-mpmz-bess-mup-safi §3.1). */
export const MupRouteType = {
  InterworkSegmentDiscovery: 1,
  DirectSegmentDiscovery: 2,
  Type1SessionTransformed: 3,
  Type2SessionTransformed: 4,
} as const;

/** One MUP route. Absent fields are not carried by the route type. */
export interface MupRoute {
  architectureType: number;
  routeType: number;
  rd?: string;
  /** ISD and T1ST: the prefix, CIDR text. */
  prefix?: string;
  /** DSD: the address. */
  address?: string;
  /** T1ST and T2ST: the tunnel endpoint. */
  endpoint?: string;
  /** T1ST: the source address, when given. */
  source?: string;
  /** T1ST and T2ST: GTP tunnel endpoint identifier. */
  teid?: number;
  /** T1ST: QoS flow identifier. */
  qfi?: number;
  /** Hex of the body for types not decoded here. */
  raw?: string;
}

function addressOfBits(r: WireReader, bits: number, at: number): string {
  if (bits !== 32 && bits !== 128) {
    throw new DecodeError("bad-length", at, `Cannot decode MUP address: length ${bits}`);
  }
  r.need(bits >> 3);
  const s = ipAddress(r.bytes, r.pos, bits >> 3);
  r.pos += bits >> 3;
  return s;
}

function prefixOf(r: WireReader, afi: number): string {
  const at = r.pos;
  const bits = r.u8();
  if (bits > (afi === 2 ? 128 : 32)) {
    throw new DecodeError("bad-length", at, `Cannot decode MUP prefix: length ${bits}`);
  }
  const n = (bits + 7) >> 3;
  r.need(n);
  const s = prefixText(afi === 2 ? 2 : 1, r.bytes, r.pos, bits);
  r.pos += n;
  return s;
}

/** Decodes one MUP route body in `r` (bounded to it) of the given types. */
export function decodeMupRoute(
  r: WireReader,
  afi: number,
  architectureType: number,
  routeType: number,
): MupRoute {
  const m: MupRoute = { architectureType, routeType };
  if (architectureType !== 1 || routeType < 1 || routeType > 4) {
    m.raw = hex(r.rest());
    return m;
  }
  r.need(8);
  m.rd = routeDistinguisher(r.bytes, r.pos);
  r.pos += 8;
  const alen = afi === 2 ? 16 : 4;
  switch (routeType) {
    case MupRouteType.InterworkSegmentDiscovery:
      m.prefix = prefixOf(r, afi);
      break;
    case MupRouteType.DirectSegmentDiscovery:
      m.address = addressOfBits(r, alen * 8, r.pos);
      break;
    case MupRouteType.Type1SessionTransformed: {
      m.prefix = prefixOf(r, afi);
      m.teid = r.u32();
      m.qfi = r.u8();
      let at = r.pos;
      m.endpoint = addressOfBits(r, r.u8(), at);
      if (r.pos < r.end) {
        at = r.pos;
        m.source = addressOfBits(r, r.u8(), at);
      }
      break;
    }
    case MupRouteType.Type2SessionTransformed: {
      const at = r.pos;
      const bits = r.u8();
      const teidBits = bits - alen * 8;
      if (teidBits < 0 || teidBits > 32) {
        throw new DecodeError("bad-length", at, `Cannot decode MUP T2ST: length ${bits}`);
      }
      m.endpoint = addressOfBits(r, alen * 8, at);
      const n = (teidBits + 7) >> 3;
      r.need(n);
      let teid = 0;
      for (let i = 0; i < n; i++) teid = teid * 256 + r.bytes[r.pos + i];
      r.pos += n;
      // The TEID bits are the high bits of its 4 octets (draft §3.1.4).
      m.teid = n === 0 ? 0 : (teid * 2 ** (32 - n * 8)) >>> 0;
      break;
    }
  }
  if (r.pos !== r.end) {
    throw new DecodeError(
      "bad-length",
      r.pos,
      `Cannot decode MUP route: ${r.remaining} bytes left`,
    );
  }
  return m;
}

/** The identity of a MUP route: its types, RD and the key fields of its route type. */
export function mupRouteKey(m: MupRoute): string {
  const head = `${m.architectureType}|${m.routeType}|${m.rd ?? ""}`;
  if (m.raw !== undefined) return `${head}|${m.raw}`;
  switch (m.routeType) {
    case MupRouteType.DirectSegmentDiscovery:
      return `${head}|${m.address}`;
    case MupRouteType.Type2SessionTransformed:
      return `${head}|${m.endpoint}|${m.teid}`;
    default:
      return `${head}|${m.prefix}`;
  }
}

/** Reads MUP NLRI from `r` up to `r.end` into `out`. */
export function decodeMupNlri(r: WireReader, afi: number, addPath: boolean, out: Nlri[]): void {
  while (r.pos < r.end) {
    const pathId = addPath ? r.u32() : undefined;
    const architectureType = r.u8();
    const routeType = r.u16();
    const len = r.u8();
    const outer = r.enter(len);
    const mup = decodeMupRoute(r, afi, architectureType, routeType);
    r.leave(outer);
    const n: Nlri = { prefix: "", key: mupRouteKey(mup), mup };
    if (mup.rd !== undefined) n.rd = mup.rd;
    if (pathId !== undefined) n.pathId = pathId;
    out.push(n);
  }
}
