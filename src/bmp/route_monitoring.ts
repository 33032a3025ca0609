/**
 * Route Monitoring (RFC 7854 §4.6), with the BMPv4 TLV encodings routers send
 * (draft-ietf-grow-bmp-tlv):
 *
 * ```text
 * v3:               Per-Peer Header | BGP UPDATE PDU
 * v4 (TLV form):    Per-Peer Header | TLV* where TLV = Type (2) | Length (2) | Index (2) | Value
 *                   (type 4 holds the BGP PDU; 1 stateless parsing, 2 group, 3 VRF/table,
 *                   5 path marking)
 * v4 (early form):  Per-Peer Header | BGP UPDATE PDU | TLV* without Index (Huawei VRP 8)
 * ```
 *
 * @module
 */

import { CapabilityCode, familyKey } from "../bgp/constants.ts";
import { BGP_HEADER_LENGTH, bgpMessageLength } from "../bgp/message.ts";
import type { BgpUpdate } from "../bgp/update.ts";
import { DecodeError } from "../wire/errors.ts";
import { hex } from "../wire/ip.ts";
import type { WireReader } from "../wire/reader.ts";
import { BmpV4TlvType, PATH_STATUS_NAMES } from "./constants.ts";
import { type PeerContext, updateContextFor } from "./peer_context.ts";
import type { PerPeerHeader } from "./per_peer_header.ts";
import { decodeUpdateRecovering } from "./quirk_recovery.ts";

// ignoreBOM: a leading U+FEFF is part of the text, not a marker to strip.
const UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** A BMPv4 Route Monitoring TLV. */
export interface RouteMonitoringTlv {
  type: number;
  /** Index (G bit 0x8000 marks a group index); absent in the early trailer form. */
  index?: number;
  name: string;
  /** Decoded value: group indexes, VRF name, path status, stateless parsing families. */
  value: unknown;
}

/** Path status of a path marking TLV. */
export interface PathMarking {
  status: number;
  statusNames: string[];
  reason?: number;
}

/** A decoded Route Monitoring message body. */
export interface RouteMonitoring {
  update: BgpUpdate;
  tlvs?: RouteMonitoringTlv[];
}

function pathMarking(b: Uint8Array, off: number, len: number): PathMarking {
  const dv = new DataView(b.buffer, b.byteOffset);
  const status = len >= 4 ? dv.getUint32(off) : 0;
  const out: PathMarking = {
    status,
    statusNames: PATH_STATUS_NAMES.filter(([bit]) => status & bit).map(([, n]) => n),
  };
  if (len >= 6) out.reason = dv.getUint16(off + 4);
  return out;
}

function decodeIndexedTlv(
  b: Uint8Array,
  type: number,
  index: number,
  off: number,
  len: number,
): RouteMonitoringTlv {
  const dv = new DataView(b.buffer, b.byteOffset);
  switch (type) {
    case BmpV4TlvType.Group: {
      const idx: number[] = [];
      for (let p = off; p + 2 <= off + len; p += 2) idx.push(dv.getUint16(p));
      return { type, index, name: "group", value: idx };
    }
    case BmpV4TlvType.VrfTableName:
      return {
        type,
        index,
        name: "vrf_table_name",
        value: UTF8.decode(b.subarray(off, off + len)),
      };
    case BmpV4TlvType.PathMarking:
      return { type, index, name: "path_marking", value: pathMarking(b, off, len) };
    case BmpV4TlvType.StatelessParsing: {
      const families: { afi: number; safi: number; sendReceive: number }[] = [];
      // A BGP capability: Code (1) | Length (1) | Value; ADD-PATH lists AFI/SAFI/Send-Receive.
      if (len >= 2 && b[off] === CapabilityCode.AddPath) {
        for (let p = off + 2; p + 4 <= off + Math.min(len, 2 + b[off + 1]); p += 4) {
          families.push({ afi: dv.getUint16(p), safi: b[p + 2], sendReceive: b[p + 3] });
        }
      }
      // An empty TLV has no capability code: b[off] would be the next TLV's first byte.
      const capability = len > 0 ? b[off] : undefined;
      return { type, index, name: "stateless_parsing", value: { capability, families } };
    }
  }
  return { type, index, name: `tlv_${type}`, value: hex(b.subarray(off, off + len)) };
}

function decodeTrailerTlv(
  b: Uint8Array,
  type: number,
  off: number,
  len: number,
): RouteMonitoringTlv {
  const dv = new DataView(b.buffer, b.byteOffset);
  // Huawei VRP 8: type 0 = path marking list: Count (2) | (Type 1 (2) | Length (2) | status)*
  if (type === 0 && len >= 2) {
    const marks: PathMarking[] = [];
    let p = off + 2;
    while (p + 4 <= off + len) {
      const l = dv.getUint16(p + 2);
      if (p + 4 + l > off + len) break;
      marks.push(pathMarking(b, p + 4, l));
      p += 4 + l;
    }
    return { type, name: "path_marking", value: marks };
  }
  return { type, name: `tlv_${type}`, value: hex(b.subarray(off, off + len)) };
}

/** Reads the BGP PDU at `off` that must be an UPDATE ending by `limit`, recovering from
 * the sender quirks `quirk_recovery.ts` lists. */
function readUpdate(
  b: Uint8Array,
  off: number,
  limit: number,
  peer: PerPeerHeader,
  ctx: PeerContext | undefined,
  stateless?: Map<number, number>,
): { update: BgpUpdate; length: number } {
  const length = bgpMessageLength(b, off, limit);
  if (b[off + 18] !== 2) {
    throw new DecodeError(
      "bad-type",
      off + 18,
      `Cannot decode Route Monitoring: BGP message type ${b[off + 18]} is not UPDATE`,
    );
  }
  const update = decodeUpdateRecovering(
    b,
    off + BGP_HEADER_LENGTH,
    off + length,
    updateContextFor(peer, ctx, stateless),
  );
  return { update, length };
}

/** Decodes a Route Monitoring body from `r.pos` (after the per-peer header) to `r.end`. */
export function decodeRouteMonitoring(
  r: WireReader,
  version: number,
  peer: PerPeerHeader,
  ctx: PeerContext | undefined,
): RouteMonitoring {
  const b = r.bytes;
  const startsWithPdu = r.remaining >= 16 && b[r.pos] === 0xff && b[r.pos + 1] === 0xff;
  if (version < 4 || startsWithPdu) {
    const { update, length } = readUpdate(b, r.pos, r.end, peer, ctx);
    r.pos += length;
    if (r.pos === r.end) return { update };
    const tlvs: RouteMonitoringTlv[] = [];
    while (r.pos < r.end) {
      const type = r.u16();
      const len = r.u16();
      r.need(len);
      tlvs.push(decodeTrailerTlv(b, type, r.pos, len));
      r.pos += len;
    }
    return { update, tlvs };
  }
  // Indexed TLVs; the stateless parsing TLVs must be known before the PDU is decoded.
  const tlvs: RouteMonitoringTlv[] = [];
  let pdu = -1;
  let pduLen = 0;
  let stateless: Map<number, number> | undefined;
  while (r.pos < r.end) {
    const type = r.u16();
    const len = r.u16();
    const index = r.u16();
    r.need(len);
    if (type === BmpV4TlvType.BgpPdu) {
      pdu = r.pos;
      pduLen = len;
    } else {
      const tlv = decodeIndexedTlv(b, type, index, r.pos, len);
      tlvs.push(tlv);
      if (tlv.name === "stateless_parsing") {
        stateless ??= new Map();
        for (
          const f
            of (tlv.value as { families: { afi: number; safi: number; sendReceive: number }[] })
              .families
        ) {
          stateless.set(familyKey(f.afi, f.safi), f.sendReceive);
        }
      }
    }
    r.pos += len;
  }
  if (pdu < 0) {
    throw new DecodeError("bad-value", r.end, "Cannot decode Route Monitoring: no BGP PDU TLV");
  }
  const { update } = readUpdate(b, pdu, pdu + pduLen, peer, ctx, stateless);
  return { update, tlvs };
}
