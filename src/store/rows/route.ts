/**
 * Route rows (tables `route_history`, `rib`): one per NLRI of a Route Monitoring message
 * (RFC 7854 §4.6), announcement or withdrawal. Pure functions: they take the ids the store
 * gave the router and the peer and touch no database.
 *
 * RFC 7606 §2: in a pre-policy Adj-RIB-In, the announcements of an UPDATE with
 * `treatAsWithdraw` set become withdrawals that keep a reference to the faulty attribute
 * set; views of routes the router holds keep them (`reportsHeldRoutes`).
 *
 * @module
 */

import { AttrType } from "../../bgp/constants.ts";
import { evpnRouteKey } from "../../bgp/nlri/evpn.ts";
import type { BgpLsNlri } from "../../bgp/nlri/bgp_ls.ts";
import type { FlowspecRule } from "../../bgp/nlri/flowspec.ts";
import type { MupRoute } from "../../bgp/nlri/mup.ts";
import type { RtcMembership } from "../../bgp/nlri/rtc.ts";
import type { SrPolicyNlri } from "../../bgp/nlri/sr_policy.ts";
import type { EvpnRoute, Nlri } from "../../bgp/nlri/types.ts";
import { forEachRoute } from "../../bgp/routes.ts";
import type { RouteMonitoringMessage } from "../../bmp/message.ts";
import type { PerPeerHeader } from "../../bmp/per_peer_header.ts";
import { PeerType } from "../../bmp/constants.ts";
import { type AttrRow, attrRow } from "./attrs.ts";
import { peerTime, type RouteRowsOptions } from "./time.ts";

/** One announcement or withdrawal (tables `route_history`, `rib`). */
export interface RouteRow {
  /** timestamptz text. */
  time: string;
  routerId: number;
  peerId: number;
  afi: number;
  safi: number;
  /** Route distinguisher text, "" when none. */
  rd: string;
  /** CIDR text: IP prefix, EVPN type 5 prefix or type 2 host; null for other EVPN routes. */
  prefix: string | null;
  /** The route's identity within its family and RD: the prefix, or the EVPN key. */
  routeKey: string;
  /** Add-Path identifier, 0 when the session carries none. */
  pathId: number;
  labels: number[] | null;
  withdrawn: boolean;
  /** The attribute set: announcements, and RFC 7606 treat-as-withdraw withdrawals. */
  attrs: AttrRow | null;
  evpn: EvpnRoute | null;
  /** Column `nlri`: the decoded NLRI of Flowspec, RTC, SR Policy, MUP and BGP-LS routes. */
  nlri: FlowspecRule | RtcMembership | SrPolicyNlri | MupRoute | BgpLsNlri | null;
}

/** The identity of a route within its family: the EVPN key, the typed families' key
 * (`Nlri.key`), else the prefix. */
export function routeKeyOf(n: Nlri): string {
  return n.evpn ? evpnRouteKey(n.evpn) : n.key ?? n.prefix;
}

/**
 * Whether a RIB view reports routes the router holds rather than UPDATEs it received:
 * post-policy Adj-RIB-In (L flag), Adj-RIB-Out (O flag, RFC 8671) and Loc-RIB (peer type
 * 3, RFC 9069). RFC 7606 tells a receiving speaker what to do with a faulty UPDATE; in
 * these views treat-as-withdraw would make the stored RIB disagree with the router's.
 *
 * @param h the per-peer header of the message
 * @returns false for a pre-policy Adj-RIB-In, the only view where the router itself
 *   would have withdrawn
 *
 * @example
 * ```ts ignore
 * if (reportsHeldRoutes(message.peer)) keepFaultyRoutes();
 * ```
 */
export function reportsHeldRoutes(h: PerPeerHeader): boolean {
  return h.peerType === PeerType.LocRibInstance || h.postPolicy || h.adjRibOut;
}

/**
 * One row per NLRI of a Route Monitoring message, in the order of `forEachRoute`
 * (withdrawals first). Announcements of an UPDATE marked `treatAsWithdraw` (RFC 7606)
 * become withdrawals that keep the attribute set in a pre-policy Adj-RIB-In; in views
 * that report held routes ({@linkcode reportsHeldRoutes}) they stay announcements, the
 * faulty attribute absent and the problems in the set. A repeated MP_REACH_NLRI leaves
 * which routes the router meant unknown, so its routes are withdrawn in every view.
 *
 * @param m the decoded message
 * @param routerId the router's id in the store
 * @param peerId the id of the peer (RIB view) in the store
 * @returns the rows; announcements of one next hop share one {@linkcode AttrRow}
 *
 * @example
 * ```ts ignore
 * const rows = routeRows(message, routerId, peerId);
 * ```
 */
export function routeRows(
  m: RouteMonitoringMessage,
  routerId: number,
  peerId: number,
  opts: RouteRowsOptions = {},
): RouteRow[] {
  const out: RouteRow[] = [];
  const time = peerTime(m.peer, opts.nowMs);
  const u = m.update;
  const faulty = u.treatAsWithdraw === true;
  const asWithdraw = faulty && !reportsHeldRoutes(m.peer);
  // A repeated MP_REACH_NLRI (RFC 7606 §3.g): which copy the router meant is unknown, so
  // the kept first copy's routes are not taken as held. One that failed has no rows at all.
  const doubtful = faulty && !asWithdraw && u.attributes.mpReach &&
      u.problems.some((p) => p.action === "session-reset" && p.attribute === AttrType.MpReachNlri)
    ? new Set(u.attributes.mpReach.nlri)
    : null;
  let attrs: AttrRow | null = null;
  let attrsHop: string | undefined;
  forEachRoute(u, (afi, safi, withdrawn, n, nextHop) => {
    let row: AttrRow | null = null;
    if (!withdrawn) {
      if (attrs === null || attrsHop !== nextHop) {
        attrs = attrRow(u.attributes, nextHop, u.problems);
        attrsHop = nextHop;
      }
      row = attrs;
    }
    const evpn = n.evpn ?? null;
    out.push({
      time,
      routerId,
      peerId,
      afi,
      safi,
      rd: n.rd ?? "",
      prefix: n.prefix === "" ? null : n.prefix,
      routeKey: evpn ? evpnRouteKey(evpn) : n.key ?? n.prefix,
      pathId: n.pathId ?? 0,
      labels: n.labels ?? evpn?.labels ?? null,
      withdrawn: withdrawn || asWithdraw || (doubtful !== null && doubtful.has(n)) ||
        n.bgpLs?.malformed !== undefined, // RFC 9552 §8.2.2: that NLRI only
      attrs: row,
      evpn,
      nlri: n.key === undefined
        ? null
        : n.flowspec ?? n.rtc ?? n.srPolicy ?? n.mup ?? n.bgpLs ?? null,
    });
  });
  return out;
}
