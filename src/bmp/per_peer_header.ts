/**
 * The BMP per-peer header (RFC 7854 §4.2, RFC 8671 §4, RFC 9069 §4.1).
 *
 * ```text
 * Peer Type (1) | Peer Flags (1) | Peer Distinguisher (8) | Peer Address (16)
 * | Peer AS (4) | Peer BGP ID (4) | Timestamp seconds (4) | Timestamp microseconds (4)
 * flags: V 0x80 (IPv6)  L 0x40 (post-policy)  A 0x20 (2-byte AS_PATH)  O 0x10 (Adj-RIB-Out)
 *        for peer type 3 (Loc-RIB): F 0x80 (filtered)
 * ```
 *
 * @module
 */

import { ipv4, ipv6 } from "../wire/ip.ts";
import type { WireReader } from "../wire/reader.ts";
import { isZeroRd, routeDistinguisher } from "../bgp/rd.ts";
import { PeerFlag, PeerType } from "./constants.ts";

/** Length of the per-peer header. */
export const PER_PEER_HEADER_LENGTH = 42;

/** A decoded per-peer header. */
export interface PerPeerHeader {
  /** 0 global, 1 RD instance, 2 local instance, 3 Loc-RIB instance. */
  peerType: number;
  flags: number;
  /** Peer distinguisher as RFC 4364 text; undefined when zero. */
  rd?: string;
  /** Peer address text ("0.0.0.0" for Loc-RIB). */
  address: string;
  asn: number;
  bgpId: string;
  /** Timestamp: seconds since the epoch and microseconds. */
  tsSec: number;
  tsUsec: number;
  /** L flag: post-policy (peer types 0-2). */
  postPolicy: boolean;
  /** O flag: Adj-RIB-Out (peer types 0-2). */
  adjRibOut: boolean;
  /** A flag: legacy 2-byte AS_PATH (peer types 0-2). */
  asn2: boolean;
  /** F flag: Loc-RIB filtered (peer type 3). */
  filtered: boolean;
  /** A key that identifies this peer within its router session. */
  key: string;
}

/** Decodes the per-peer header at `r.pos`. */
export function decodePerPeerHeader(r: WireReader): PerPeerHeader {
  r.need(PER_PEER_HEADER_LENGTH);
  const b = r.bytes;
  const p = r.pos;
  const peerType = b[p];
  const flags = b[p + 1];
  const locRib = peerType === PeerType.LocRibInstance;
  const v6 = !locRib && (flags & PeerFlag.V) !== 0;
  const rd = isZeroRd(b, p + 2) ? undefined : routeDistinguisher(b, p + 2);
  const address = v6 ? ipv6(b, p + 10) : ipv4(b, p + 22);
  r.pos = p + 26;
  const asn = r.u32();
  const bgpId = ipv4(b, r.pos);
  r.pos += 4;
  const tsSec = r.u32();
  const tsUsec = r.u32();
  return {
    peerType,
    flags,
    rd,
    address,
    asn,
    bgpId,
    tsSec,
    tsUsec,
    postPolicy: !locRib && (flags & PeerFlag.L) !== 0,
    adjRibOut: !locRib && (flags & PeerFlag.O) !== 0,
    asn2: !locRib && (flags & PeerFlag.A) !== 0,
    filtered: locRib && (flags & PeerFlag.F) !== 0,
    key: `${peerType}|${rd ?? ""}|${address}`,
  };
}

/** Flag letters as tshark shows them: `V L A O` for peer types 0-2, `F` for Loc-RIB. */
export function peerFlagsText(h: PerPeerHeader): string {
  if (h.peerType === PeerType.LocRibInstance) return h.filtered ? "F" : "-";
  return ((h.flags & PeerFlag.V) ? "V" : "-") + (h.postPolicy ? "L" : "-") + (h.asn2 ? "A" : "-") +
    (h.adjRibOut ? "O" : "-");
}
