/**
 * What a router session knows about each monitored peer, derived from its Peer Up:
 * which families carry Add-Path identifiers in each direction (RFC 7911 §4, RFC 8671,
 * RFC 9069) so Route Monitoring can be decoded exactly.
 *
 * @module
 */

import { CapabilityCode, familyKey } from "../bgp/constants.ts";
import type { BgpOpen } from "../bgp/open.ts";
import type { UpdateContext } from "../bgp/update.ts";
import { PeerType } from "./constants.ts";
import type { PerPeerHeader } from "./per_peer_header.ts";

/** Add-Path send/receive bits per family key of one OPEN. */
function addPathModes(open: BgpOpen | undefined): Map<number, number> {
  const m = new Map<number, number>();
  if (!open) return m;
  for (const c of open.capabilities) {
    if (c.code !== CapabilityCode.AddPath || !c.addPath) continue;
    for (const f of c.addPath) {
      m.set(familyKey(f.afi, f.safi), (m.get(familyKey(f.afi, f.safi)) ?? 0) | f.sendReceive);
    }
  }
  return m;
}

const RECEIVE = 1;
const SEND = 2;

/** Per-peer decoding state. */
export interface PeerContext {
  /** Families with path IDs in routes the peer sent (Adj-RIB-In, Loc-RIB). */
  addPathIn: Set<number>;
  /** Families with path IDs in routes sent to the peer (Adj-RIB-Out). */
  addPathOut: Set<number>;
}

/**
 * Builds a peer's context from the OPENs of its Peer Up. `sent` is the OPEN the monitored
 * router sent, `received` the one it got from the peer.
 *
 * For Loc-RIB (RFC 9069 §5.3) both OPENs describe the router itself; a family is taken to
 * carry path IDs when either advertises Add-Path for it.
 */
export function peerContextFromOpens(
  peerType: number,
  sent: BgpOpen | undefined,
  received: BgpOpen | undefined,
): PeerContext {
  const local = addPathModes(sent);
  const remote = addPathModes(received);
  const addPathIn = new Set<number>();
  const addPathOut = new Set<number>();
  const keys = new Set([...local.keys(), ...remote.keys()]);
  for (const k of keys) {
    const l = local.get(k) ?? 0;
    const r = remote.get(k) ?? 0;
    if (peerType === PeerType.LocRibInstance) {
      if (l || r) {
        addPathIn.add(k);
        addPathOut.add(k);
      }
      continue;
    }
    if ((r & SEND) && (l & RECEIVE)) addPathIn.add(k);
    if ((l & SEND) && (r & RECEIVE)) addPathOut.add(k);
  }
  return { addPathIn, addPathOut };
}

/**
 * The UPDATE decoding context for a Route Monitoring message of `peer`.
 *
 * @param ctx the peer's context, undefined when no Peer Up was seen (Add-Path guessed)
 * @param stateless the monitored router's ADD-PATH send/receive bits per family from the
 *   message's BMPv4 stateless parsing TLV, which win over the session state: routes it
 *   received (Adj-RIB-In) carry path IDs when it may receive them, routes it sends
 *   (Adj-RIB-Out) when it may send them
 */
export function updateContextFor(
  peer: PerPeerHeader,
  ctx: PeerContext | undefined,
  stateless?: Map<number, number>,
): UpdateContext {
  const set = ctx ? (peer.adjRibOut ? ctx.addPathOut : ctx.addPathIn) : undefined;
  const bit = peer.peerType === PeerType.LocRibInstance
    ? RECEIVE | SEND
    : peer.adjRibOut
    ? SEND
    : RECEIVE;
  return {
    asn4: !peer.asn2,
    addPath: (afi, safi) => {
      const k = familyKey(afi, safi);
      const declared = stateless?.get(k);
      if (declared !== undefined) return (declared & bit) !== 0;
      return set ? set.has(k) : undefined;
    },
  };
}
