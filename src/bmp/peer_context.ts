/**
 * What a router session knows about each monitored peer, derived from its Peer Ups:
 * which families carry Add-Path identifiers in each direction (RFC 7911 §4, RFC 8671,
 * RFC 9069) so Route Monitoring can be decoded exactly, and the other negotiated
 * capabilities. Peer Ups without a Peer Down between merge (IOS-XR sends one per family).
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

/** Per-peer decoding state: what the Peer Ups since the last Peer Down negotiated. */
export interface PeerContext {
  /** Families with path IDs in routes the peer sent (Adj-RIB-In, Loc-RIB). */
  addPathIn: Set<number>;
  /** Families with path IDs in routes sent to the peer (Adj-RIB-Out). */
  addPathOut: Set<number>;
  /** Families both OPENs list in a multiprotocol capability (either, for Loc-RIB). */
  multiprotocol: Set<number>;
  /** Both OPENs carry the 4-octet AS capability (either, for Loc-RIB; RFC 6793). */
  asn4: boolean;
  /** Both OPENs carry the extended message capability (either, for Loc-RIB; RFC 8654). */
  extendedMessage: boolean;
  /** Peer Ups merged into this context (more than 1: IOS-XR's one per family). */
  peerUps: number;
}

function hasCapability(open: BgpOpen | undefined, code: number): boolean {
  return open?.capabilities.some((c) => c.code === code) ?? false;
}

function multiprotocolFamilies(open: BgpOpen | undefined): Set<number> {
  const s = new Set<number>();
  for (const c of open?.capabilities ?? []) {
    if (c.code === CapabilityCode.Multiprotocol && c.afi !== undefined && c.safi !== undefined) {
      s.add(familyKey(c.afi, c.safi));
    }
  }
  return s;
}

/**
 * Builds a peer's context from the OPENs of its Peer Up. `sent` is the OPEN the monitored
 * router sent, `received` the one it got from the peer.
 *
 * For Loc-RIB (RFC 9069 §5.3) both OPENs describe the router itself; a family is taken to
 * carry path IDs when either advertises Add-Path for it, and so for the other capabilities.
 */
export function peerContextFromOpens(
  peerType: number,
  sent: BgpOpen | undefined,
  received: BgpOpen | undefined,
): PeerContext {
  const local = addPathModes(sent);
  const remote = addPathModes(received);
  const locRib = peerType === PeerType.LocRibInstance;
  const addPathIn = new Set<number>();
  const addPathOut = new Set<number>();
  const keys = new Set([...local.keys(), ...remote.keys()]);
  for (const k of keys) {
    const l = local.get(k) ?? 0;
    const r = remote.get(k) ?? 0;
    if (locRib) {
      if (l || r) {
        addPathIn.add(k);
        addPathOut.add(k);
      }
      continue;
    }
    if ((r & SEND) && (l & RECEIVE)) addPathIn.add(k);
    if ((l & SEND) && (r & RECEIVE)) addPathOut.add(k);
  }
  const both = (code: number) =>
    locRib
      ? hasCapability(sent, code) || hasCapability(received, code)
      : hasCapability(sent, code) && hasCapability(received, code);
  const mpSent = multiprotocolFamilies(sent);
  const mpReceived = multiprotocolFamilies(received);
  const multiprotocol = new Set<number>();
  for (const k of mpSent) if (locRib || mpReceived.has(k)) multiprotocol.add(k);
  if (locRib) { for (const k of mpReceived) multiprotocol.add(k); }
  return {
    addPathIn,
    addPathOut,
    multiprotocol,
    asn4: both(CapabilityCode.FourOctetAs),
    extendedMessage: both(CapabilityCode.ExtendedMessage),
    peerUps: 1,
  };
}

/**
 * Merges the context of a further Peer Up of the same peer (no Peer Down between) into
 * `prev`, per family: IOS-XR sends one Peer Up per AFI/SAFI for a Loc-RIB peer, each with
 * the Add-Path capability of its family only, so keeping the last would lose the others.
 * A capability once negotiated stays until the Peer Down.
 *
 * @example
 * ```ts
 * import { mergePeerContext, peerContextFromOpens } from "./peer_context.ts";
 * const a = peerContextFromOpens(3, undefined, undefined);
 * a.addPathIn.add(384); // 1/128
 * const b = peerContextFromOpens(3, undefined, undefined);
 * b.addPathIn.add(260); // 1/4
 * const m = mergePeerContext(a, b);
 * if (!m.addPathIn.has(384) || !m.addPathIn.has(260) || m.peerUps !== 2) throw new Error();
 * ```
 */
export function mergePeerContext(prev: PeerContext, next: PeerContext): PeerContext {
  return {
    addPathIn: new Set([...prev.addPathIn, ...next.addPathIn]),
    addPathOut: new Set([...prev.addPathOut, ...next.addPathOut]),
    multiprotocol: new Set([...prev.multiprotocol, ...next.multiprotocol]),
    asn4: prev.asn4 || next.asn4,
    extendedMessage: prev.extendedMessage || next.extendedMessage,
    peerUps: prev.peerUps + next.peerUps,
  };
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
