/**
 * COPY text encoders for the row types of `rows/`, with the column lists they fill.
 *
 * @module
 */

import type { CopyBuffer } from "./copy_buffer.ts";
import { attrColumns, type AttrRow } from "./rows/attrs.ts";
import type { MirroringRow, StatRow } from "./rows/events.ts";
import type { RouteRow } from "./rows/route.ts";

/** Columns of `route_history` that {@linkcode encodeRoute} fills, in order. */
export const ROUTE_COLUMNS = [
  "time",
  "router_id",
  "peer_id",
  "afi",
  "safi",
  "rd",
  "prefix",
  "path_id",
  "labels",
  "withdrawn",
  "attr_id",
  "origin_as",
  "evpn_route_type",
  "evpn_esi",
  "evpn_ethernet_tag",
  "evpn_mac",
  "evpn_ip",
  "evpn_gateway",
  "nlri",
] as const;

/** Columns of the RIB staging table: the route columns, then the route key. */
export const STAGE_COLUMNS = [...ROUTE_COLUMNS, "route_key"] as const;

/** Writes the route columns of `r` (history conventions: no RD or path id is NULL). */
export function encodeRoute(b: CopyBuffer, r: RouteRow): void {
  const e = r.evpn;
  b.raw(r.time).int(r.routerId).int(r.peerId).int(r.afi).int(r.safi);
  if (r.rd === "") b.nul();
  else b.text(r.rd);
  b.raw(r.prefix);
  if (r.pathId === 0) b.nul();
  else b.int(r.pathId);
  b.intArray(r.labels).bool(r.withdrawn);
  if (r.attrs) b.raw(r.attrs.id).int(r.attrs.originAs);
  else b.nul().nul();
  if (e) {
    b.int(e.routeType).text(e.esi).int(e.ethernetTag).raw(e.mac).raw(e.ip || null)
      .raw(e.gateway || null);
  } else b.nul().nul().nul().nul().nul().nul();
  b.json(r.nlri);
}

/** Columns of `path_attrs` that {@linkcode encodeAttrs} fills, in order. */
export const ATTR_COLUMNS = [
  "id",
  "origin",
  "as_path",
  "as_path_text",
  "origin_as",
  "as_path_length",
  "next_hop",
  "med",
  "local_pref",
  "atomic_aggregate",
  "aggregator_asn",
  "aggregator_address",
  "communities",
  "ext_communities",
  "large_communities",
  "originator_id",
  "cluster_list",
  "otc",
  "aigp",
  "pmsi_tunnel",
  "unknown_attrs",
  "problems",
  "prefix_sid",
  "tunnel_encap",
  "bgp_ls",
] as const;

/** Writes one `path_attrs` row. */
export function encodeAttrs(b: CopyBuffer, r: AttrRow): void {
  const a = attrColumns(r);
  b.raw(r.id).int(a.origin).intArray(a.asPath).text(a.asPathText).int(a.originAs)
    .int(a.asPathLength).raw(nextHopInet(a.nextHop)).int(a.med).int(a.localPref)
    .bool(a.atomicAggregate).int(a.aggregatorAsn).raw(a.aggregatorAddress)
    .textArray(a.communities).textArray(a.extCommunities).textArray(a.largeCommunities)
    .raw(a.originatorId).textArray(a.clusterList).int(a.otc).raw(a.aigp).json(a.pmsiTunnel)
    .json(a.unknown).json(a.problems).json(a.prefixSid).json(a.tunnelEncap)
    .json(a.bgpLs);
  b.end();
}

/** A next hop that is not an address (an odd-length field, kept as hex) is not stored. */
function nextHopInet(s: string | null): string | null {
  if (s === null) return null;
  return s.includes(".") || s.includes(":") ? s : null;
}

/** Columns of `stats_reports` that {@linkcode encodeStat} fills, in order. */
export const STAT_COLUMNS = [
  "time",
  "router_id",
  "peer_id",
  "type",
  "name",
  "afi",
  "safi",
  "value",
  "raw",
] as const;

/** Writes one `stats_reports` row. */
export function encodeStat(b: CopyBuffer, s: StatRow): void {
  b.raw(s.time).int(s.routerId).int(s.peerId).int(s.type).text(s.name).int(s.afi).int(s.safi)
    .raw(s.value).text(s.raw).end();
}

/** Columns of `route_mirroring` that {@linkcode encodeMirroring} fills, in order. */
export const MIRRORING_COLUMNS = ["time", "router_id", "peer_id", "info", "raw"] as const;

/** Writes one `route_mirroring` row. */
export function encodeMirroring(b: CopyBuffer, m: MirroringRow): void {
  b.raw(m.time).int(m.routerId).int(m.peerId).json(m.info).bytea(m.raw).end();
}
