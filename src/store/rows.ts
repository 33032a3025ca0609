/**
 * Row values for the store, from decoded BMP messages (RFC 7854 §4): one route row per
 * NLRI (announcement or withdrawal), path attribute sets keyed by a content hash, and
 * the rows of statistics, peer events, router events and route mirroring.
 *
 * Pure functions: they take the ids the store gave the router and the peer and touch
 * no database. RFC 7606 §2: in a pre-policy Adj-RIB-In, the announcements of an UPDATE
 * with `treatAsWithdraw` set become withdrawals that keep a reference to the faulty
 * attribute set; views of routes the router holds keep them (`reportsHeldRoutes`).
 *
 * @module
 */

import { asPathText, flattenAsPath, originAs, pathLength } from "../bgp/attributes/as_path.ts";
import { communityText, largeCommunityText } from "../bgp/attributes/communities.ts";
import { AttrType } from "../bgp/constants.ts";
import { evpnRouteKey } from "../bgp/nlri/evpn.ts";
import type { EvpnRoute, Nlri } from "../bgp/nlri/types.ts";
import { forEachRoute } from "../bgp/routes.ts";
import type { PathAttributes, UpdateProblem } from "../bgp/update.ts";
import type {
  InitiationMessage,
  PeerDownMessage,
  PeerUpMessage,
  RouteMirroringMessage,
  RouteMonitoringMessage,
  StatisticsReportMessage,
  TerminationMessage,
} from "../bmp/message.ts";
import type { PerPeerHeader } from "../bmp/per_peer_header.ts";
import { PeerType } from "../bmp/constants.ts";

/**
 * One path attribute set (table `path_attrs`), shared by the routes of an UPDATE that
 * have the same next hop. Only the hash and the origin AS are computed up front; the
 * column values come from {@linkcode attrColumns} when the set is new to the store.
 */
export interface AttrRow {
  /** 64-bit content hash as signed decimal text (the `bigint` key). */
  id: string;
  originAs: number | null;
  attributes: PathAttributes;
  nextHop: string | null;
  problems: UpdateProblem[] | null;
}

/** The column values of an attribute set. */
export interface AttrColumns {
  origin: number | null;
  /** ASNs in order, sets and confederation segments flattened. */
  asPath: number[] | null;
  /** AS path text with sets in braces, confederations in parentheses. */
  asPathText: string | null;
  originAs: number | null;
  asPathLength: number | null;
  nextHop: string | null;
  med: number | null;
  localPref: number | null;
  atomicAggregate: boolean;
  aggregatorAsn: number | null;
  aggregatorAddress: string | null;
  communities: string[] | null;
  extCommunities: string[] | null;
  largeCommunities: string[] | null;
  originatorId: string | null;
  clusterList: string[] | null;
  otc: number | null;
  aigp: string | null;
  pmsiTunnel: unknown;
  /** BGP Prefix-SID (RFC 8669, RFC 9252), as decoded. */
  prefixSid: unknown;
  /** Attributes without a decoder (type, flags, value hex). */
  unknown: unknown;
  /** RFC 7606 problems of the UPDATE. */
  problems: UpdateProblem[] | null;
}

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
}

const tsCache = { sec: -1, text: "" };

/**
 * timestamptz text for seconds and microseconds since the epoch.
 *
 * @example
 * ```ts
 * import { timestampText } from "./rows.ts";
 * if (timestampText(0, 5) !== "1970-01-01T00:00:00.000005Z") throw new Error("unexpected");
 * ```
 */
export function timestampText(sec: number, usec: number): string {
  if (sec !== tsCache.sec) {
    tsCache.sec = sec;
    tsCache.text = new Date(sec * 1000).toISOString().slice(0, 19);
  }
  return usec ? `${tsCache.text}.${String(usec).padStart(6, "0")}Z` : tsCache.text + "Z";
}

/** The time of a per-peer header, or `nowMs` when the router left it zero. */
export function peerTime(h: PerPeerHeader, nowMs = Date.now()): string {
  if (h.tsSec === 0 && h.tsUsec === 0) {
    return timestampText(Math.floor(nowMs / 1000), (nowMs % 1000) * 1000);
  }
  return timestampText(h.tsSec, h.tsUsec);
}

/** Incremental 64-bit hash: two 32-bit multiplicative hashes fed numbers and strings. */
class Hash64 {
  h1 = 0x811c9dc5 | 0;
  h2 = 0x27d4eb2f | 0;

  num(v: number): void {
    const lo = v >>> 0;
    const hi = (v / 4294967296) >>> 0;
    this.h1 = Math.imul(this.h1 ^ lo, 0x01000193);
    this.h2 = Math.imul(this.h2 ^ lo, 0x5bd1e995);
    this.h2 ^= this.h2 >>> 15;
    this.h1 = Math.imul(this.h1 ^ hi, 0x01000193);
    this.h2 = Math.imul(this.h2 ^ hi, 0x5bd1e995);
    this.h2 ^= this.h2 >>> 15;
  }

  /** Marks an absent value or the end of a list, so that [1],[2] differs from [1,2],[]. */
  mark(tag: number): void {
    this.num(0x9e3779b9 + tag);
  }

  str(s: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    this.h1 = h1;
    this.h2 = h2;
    this.mark(1);
  }

  digest(): string {
    let h1 = this.h1 ^ (this.h1 >>> 16);
    h1 = Math.imul(h1, 0x85ebca6b);
    h1 ^= h1 >>> 13;
    let h2 = Math.imul(this.h2 ^ (this.h2 >>> 16), 0xc2b2ae35);
    h2 ^= h2 >>> 16;
    return BigInt.asIntN(64, (BigInt(h1 >>> 0) << 32n) | BigInt(h2 >>> 0)).toString();
  }
}

/**
 * A 64-bit hash of a string, as signed decimal text for a `bigint` column.
 *
 * @example
 * ```ts
 * import { hash64 } from "./rows.ts";
 * if (hash64("a") === hash64("b") || hash64("a") !== hash64("a")) throw new Error("unexpected");
 * ```
 */
export function hash64(s: string): string {
  const h = new Hash64();
  h.str(s);
  return h.digest();
}

function optNum(h: Hash64, v: number | undefined): void {
  if (v === undefined) h.mark(2);
  else h.num(v);
}

function optStr(h: Hash64, v: string | undefined | null): void {
  if (v == null) h.mark(2);
  else h.str(v);
}

function optJson(h: Hash64, v: unknown): void {
  if (v == null) h.mark(2);
  else h.str(JSON.stringify(v, (_k, x) => typeof x === "bigint" ? `${x}` : x));
}

/**
 * The attribute set of an UPDATE for routes with next hop `nextHop`, with its content
 * hash. MP_REACH/MP_UNREACH are not part of the set (their routes are rows).
 *
 * @example
 * ```ts
 * import { attrColumns, attrRow } from "./rows.ts";
 * const a = attrRow({ origin: 0, asPath: [{ type: 2, asns: [65001, 65002] }] }, "192.0.2.1", []);
 * if (a.originAs !== 65002) throw new Error("unexpected");
 * if (attrColumns(a).asPath?.join() !== "65001,65002") throw new Error("unexpected");
 * ```
 */
export function attrRow(
  a: PathAttributes,
  nextHop: string | undefined,
  problems: UpdateProblem[],
): AttrRow {
  const h = new Hash64();
  optNum(h, a.origin);
  if (a.asPath) {
    for (const s of a.asPath) {
      h.mark(10 + s.type);
      for (const asn of s.asns) h.num(asn);
    }
  }
  h.mark(3);
  optStr(h, nextHop || null);
  optNum(h, a.med);
  optNum(h, a.localPref);
  h.mark(a.atomicAggregate ? 4 : 5);
  optNum(h, a.aggregator?.asn);
  optStr(h, a.aggregator?.address);
  if (a.communities) { for (const c of a.communities) h.num(c); }
  h.mark(6);
  if (a.extendedCommunities) { for (const c of a.extendedCommunities) h.str(c); }
  h.mark(7);
  if (a.largeCommunities) {
    for (const c of a.largeCommunities) h.num(c[0]), h.num(c[1]), h.num(c[2]);
  }
  h.mark(8);
  optStr(h, a.originatorId);
  if (a.clusterList) { for (const c of a.clusterList) h.str(c); }
  h.mark(9);
  optNum(h, a.otc);
  optStr(h, a.aigp === undefined ? undefined : String(a.aigp));
  optJson(h, a.pmsiTunnel);
  optJson(h, a.unknown);
  optJson(h, problems.length ? problems : null);
  // Hashed only when present, so that sets without one keep the ids they had before.
  if (a.prefixSid) optJson(h, a.prefixSid);
  return {
    id: h.digest(),
    originAs: originAs(a.asPath) ?? null,
    attributes: a,
    nextHop: nextHop || null,
    problems: problems.length ? problems : null,
  };
}

/** The column values of an attribute set (text forms of communities and the AS path). */
export function attrColumns(r: AttrRow): AttrColumns {
  const a = r.attributes;
  return {
    origin: a.origin ?? null,
    asPath: a.asPath ? flattenAsPath(a.asPath) : null,
    asPathText: a.asPath ? asPathText(a.asPath) : null,
    originAs: r.originAs,
    asPathLength: a.asPath ? pathLength(a.asPath) : null,
    nextHop: r.nextHop,
    med: a.med ?? null,
    localPref: a.localPref ?? null,
    atomicAggregate: a.atomicAggregate === true,
    aggregatorAsn: a.aggregator?.asn ?? null,
    aggregatorAddress: a.aggregator?.address ?? null,
    communities: a.communities ? a.communities.map(communityText) : null,
    extCommunities: a.extendedCommunities ?? null,
    largeCommunities: a.largeCommunities ? a.largeCommunities.map(largeCommunityText) : null,
    originatorId: a.originatorId ?? null,
    clusterList: a.clusterList ?? null,
    otc: a.otc ?? null,
    aigp: a.aigp === undefined ? null : String(a.aigp),
    pmsiTunnel: a.pmsiTunnel ?? null,
    prefixSid: a.prefixSid ?? null,
    unknown: a.unknown ?? null,
    problems: r.problems,
  };
}

/** The identity of a route within its family: the EVPN key, else the prefix. */
export function routeKeyOf(n: Nlri): string {
  return n.evpn ? evpnRouteKey(n.evpn) : n.prefix;
}

/** Options of {@linkcode routeRows}. */
export interface RouteRowsOptions {
  /** Time to use when the per-peer header timestamp is zero (ms since the epoch). */
  nowMs?: number;
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
      routeKey: evpn ? evpnRouteKey(evpn) : n.prefix,
      pathId: n.pathId ?? 0,
      labels: n.labels ?? evpn?.labels ?? null,
      withdrawn: withdrawn || asWithdraw || (doubtful !== null && doubtful.has(n)),
      attrs: row,
      evpn,
    });
  });
  return out;
}

/** One statistic (table `stats_reports`). */
export interface StatRow {
  time: string;
  routerId: number;
  peerId: number;
  type: number;
  name: string;
  afi: number | null;
  safi: number | null;
  /** Decimal text of the counter or gauge; null when only `raw` is known. */
  value: string | null;
  raw: string | null;
}

/** One row per counter of a Statistics Report (RFC 7854 §4.8). */
export function statRows(
  m: StatisticsReportMessage,
  routerId: number,
  peerId: number,
  opts: RouteRowsOptions = {},
): StatRow[] {
  const time = peerTime(m.peer, opts.nowMs);
  return m.stats.map((s) => ({
    time,
    routerId,
    peerId,
    type: s.type,
    name: s.name,
    afi: s.afi ?? null,
    safi: s.safi ?? null,
    value: s.value === undefined ? null : String(s.value),
    raw: s.raw ?? null,
  }));
}

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

/** Values of a `peer_events` row (Peer Up or Peer Down). */
export interface PeerEventRow {
  time: string;
  routerId: number;
  peerId: number;
  event: "up" | "down";
  reason: number | null;
  reasonName: string | null;
  notification: unknown;
  fsmEvent: number | null;
  info: unknown;
}

/** The event row of a Peer Up (RFC 7854 §4.10). */
export function peerUpRow(
  m: PeerUpMessage,
  routerId: number,
  peerId: number,
  opts: RouteRowsOptions = {},
): PeerEventRow {
  return {
    time: peerTime(m.peer, opts.nowMs),
    routerId,
    peerId,
    event: "up",
    reason: null,
    reasonName: null,
    notification: null,
    fsmEvent: null,
    info: {
      localAddress: m.localAddress,
      localPort: m.localPort,
      remotePort: m.remotePort,
      sentOpen: m.sentOpen,
      receivedOpen: m.receivedOpen,
      information: m.information,
    },
  };
}

/** The event row of a Peer Down (RFC 7854 §4.9). */
export function peerDownRow(
  m: PeerDownMessage,
  routerId: number,
  peerId: number,
  opts: RouteRowsOptions = {},
): PeerEventRow {
  return {
    time: peerTime(m.peer, opts.nowMs),
    routerId,
    peerId,
    event: "down",
    reason: m.reason,
    reasonName: m.reasonName,
    notification: m.notification ?? null,
    fsmEvent: m.fsmEvent ?? null,
    info: m.information || m.data ? { information: m.information, data: m.data } : null,
  };
}

/** Values of a `router_events` row (Initiation or Termination). */
export interface RouterEventRow {
  routerId: number;
  event: "initiation" | "termination";
  sysName: string | null;
  sysDescr: string | null;
  reason: number | null;
  reasonName: string | null;
  information: unknown;
}

/** The event row of an Initiation (RFC 7854 §4.3) or Termination (§4.5). */
export function routerEventRow(
  m: InitiationMessage | TerminationMessage,
  routerId: number,
): RouterEventRow {
  if (m.kind === "initiation") {
    return {
      routerId,
      event: "initiation",
      sysName: m.sysName ?? null,
      sysDescr: m.sysDescr ?? null,
      reason: null,
      reasonName: null,
      information: m.information,
    };
  }
  return {
    routerId,
    event: "termination",
    sysName: null,
    sysDescr: null,
    reason: m.reason ?? null,
    reasonName: m.reasonName ?? null,
    information: m.information,
  };
}

/** Values of a `route_mirroring` row. */
export interface MirroringRow {
  time: string;
  routerId: number;
  peerId: number;
  info: unknown;
  raw: Uint8Array | null;
}

/**
 * The row of a Route Mirroring message (RFC 7854 §4.7): the decoded entries as JSON and
 * the raw message bytes (`raw`, e.g. `bytes.subarray(m.offset, m.offset + m.length)`).
 */
export function mirroringRow(
  m: RouteMirroringMessage,
  routerId: number,
  peerId: number,
  raw?: Uint8Array,
  opts: RouteRowsOptions = {},
): MirroringRow {
  return {
    time: peerTime(m.peer, opts.nowMs),
    routerId,
    peerId,
    info: m.entries,
    raw: raw ?? null,
  };
}
