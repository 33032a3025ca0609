/**
 * Peer identity (table `peers`): the RIB view a per-peer header addresses (RFC 7854 §4.2,
 * RFC 9069 Loc-RIB).
 *
 * @module
 */

import type { PerPeerHeader } from "../../bmp/per_peer_header.ts";
import { PeerType } from "../../bmp/constants.ts";

/** The identity of a peer (RIB view) within its router (table `peers`). */
export interface PeerKey {
  routerId: number;
  peerType: number;
  /** "" when the peer distinguisher is zero. */
  rd: string;
  address: string;
  /** VRF / table name (RFC 9069 Loc-RIB, BMPv4 TLV), "" when none. */
  tableName: string;
  postPolicy: boolean;
  adjRibOut: boolean;
}

/** The peer (RIB view) a per-peer header addresses. */
export function peerKey(routerId: number, h: PerPeerHeader, tableName = ""): PeerKey {
  return {
    routerId,
    peerType: h.peerType,
    rd: h.rd ?? "",
    address: h.address,
    tableName,
    postPolicy: h.postPolicy,
    adjRibOut: h.adjRibOut,
  };
}

/** A string for maps of peer keys. */
export function peerKeyText(k: PeerKey): string {
  return `${k.routerId}|${k.peerType}|${k.rd}|${k.address}|${k.tableName}|${
    k.postPolicy ? "L" : ""
  }${k.adjRibOut ? "O" : ""}`;
}

/** True for a Loc-RIB instance peer (RFC 9069). */
export function isLocRib(h: PerPeerHeader): boolean {
  return h.peerType === PeerType.LocRibInstance;
}

/** The VRF/table name an Information TLV list carries (type 3), or "". */
export function tableNameOf(info: { type: number; value: string }[] | undefined): string {
  return info?.find((t) => t.type === 3)?.value ?? "";
}
