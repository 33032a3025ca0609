-- BGP-LS (AFI 16388, SAFI 71 and 72; RFC 9552, RFC 9085, RFC 9514; issue 16 part 2).
-- As with 0012's families, BGP-LS NLRI live in rib and route_history like every route:
-- current state per peer view, history, Peer Down withdrawal and retention come with them.
-- route_key is the NLRI's text form (src/bgp/nlri/bgp_ls.ts, bgpLsNlriKey), prefix is
-- NULL and nlri (0012) holds the decoded NLRI: nlriType, protocolId, identifier,
-- localNode, remoteNode, link, prefix, srv6Sid. The views below read them per kind.
--
-- The BGP-LS attribute (type 29) as decoded: node, link and prefix attribute TLVs with the
-- SR TLVs of RFC 9085 and RFC 9514 (src/bgp/attributes/bgp_ls_attr.ts). Sets stored before
-- keep it raw in unknown_attrs ({type: 29, ...}); the id hashes the decoded attribute, so
-- the next announcement stores a new set with it.
ALTER TABLE path_attrs ADD COLUMN IF NOT EXISTS bgp_ls jsonb;

-- The Protocol-ID's name (IANA "BGP-LS Protocol-IDs").
CREATE OR REPLACE FUNCTION ls_protocol_name(id int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE id WHEN 1 THEN 'isis-l1' WHEN 2 THEN 'isis-l2' WHEN 3 THEN 'ospfv2'
    WHEN 4 THEN 'direct' WHEN 5 THEN 'static' WHEN 6 THEN 'ospfv3' WHEN 7 THEN 'bgp'
    WHEN 8 THEN 'rsvp-te' WHEN 9 THEN 'sr' ELSE 'proto' || id END
$$;

-- Current BGP-LS Node NLRI (type 1) with their node attributes, per peer view.
CREATE OR REPLACE VIEW ls_nodes AS
SELECT coalesce(ro.name, ro.key) AS router, p.address AS peer, p.asn AS peer_asn,
  p.post_policy, p.adj_rib_out, p.loc_rib, rib.peer_id, p.router_id, rib.safi,
  nullif(rib.rd, '') AS rd, ls_protocol_name((rib.nlri ->> 'protocolId')::int) AS protocol,
  (rib.nlri ->> 'identifier')::numeric AS identifier,
  (rib.nlri #>> '{localNode,asn}')::bigint AS asn,
  (rib.nlri #>> '{localNode,bgpLsId}')::bigint AS bgp_ls_id,
  rib.nlri #>> '{localNode,ospfAreaId}' AS ospf_area,
  rib.nlri #>> '{localNode,igpRouterId}' AS igp_router_id,
  (rib.nlri #>> '{localNode,bgpRouterId}')::inet AS bgp_router_id,
  (rib.nlri #>> '{localNode,memberAsn}')::bigint AS member_asn,
  a.bgp_ls ->> 'nodeName' AS node_name, (a.bgp_ls ->> 'nodeFlags')::int AS node_flags,
  a.bgp_ls -> 'isisAreaIds' AS isis_area_ids,
  (a.bgp_ls ->> 'localRouterIdV4')::inet AS router_id_v4,
  (a.bgp_ls ->> 'localRouterIdV6')::inet AS router_id_v6,
  a.bgp_ls -> 'srCapabilities' AS sr_capabilities, a.bgp_ls -> 'srAlgorithms' AS sr_algorithms,
  a.bgp_ls -> 'srLocalBlock' AS sr_local_block, rib.nlri -> 'localNode' AS node,
  a.bgp_ls AS attributes, rib.route_key, nullif(rib.path_id, 0) AS path_id, rib.attr_id,
  rib.first_seen, rib.last_change
FROM rib
JOIN peers p ON p.id = rib.peer_id
JOIN routers ro ON ro.id = p.router_id
LEFT JOIN path_attrs a ON a.id = rib.attr_id
WHERE NOT rib.withdrawn AND rib.afi = 16388 AND rib.safi IN (71, 72)
  AND (rib.nlri ->> 'nlriType')::int = 1;

-- Current BGP-LS Link NLRI (type 2): both ends, the link descriptors and link attributes.
-- Bandwidths are in bytes per second (IEEE floats on the wire, RFC 9552 §5.3.2).
CREATE OR REPLACE VIEW ls_links AS
SELECT coalesce(ro.name, ro.key) AS router, p.address AS peer, p.asn AS peer_asn,
  p.post_policy, p.adj_rib_out, p.loc_rib, rib.peer_id, p.router_id, rib.safi,
  nullif(rib.rd, '') AS rd, ls_protocol_name((rib.nlri ->> 'protocolId')::int) AS protocol,
  (rib.nlri ->> 'identifier')::numeric AS identifier,
  (rib.nlri #>> '{localNode,asn}')::bigint AS local_asn,
  rib.nlri #>> '{localNode,igpRouterId}' AS local_igp_router_id,
  (rib.nlri #>> '{localNode,bgpRouterId}')::inet AS local_bgp_router_id,
  (rib.nlri #>> '{remoteNode,asn}')::bigint AS remote_asn,
  rib.nlri #>> '{remoteNode,igpRouterId}' AS remote_igp_router_id,
  (rib.nlri #>> '{remoteNode,bgpRouterId}')::inet AS remote_bgp_router_id,
  (rib.nlri #>> '{link,localLinkId}')::bigint AS local_link_id,
  (rib.nlri #>> '{link,remoteLinkId}')::bigint AS remote_link_id,
  coalesce(rib.nlri #>> '{link,ipv4InterfaceAddress}', rib.nlri #>> '{link,ipv6InterfaceAddress}')::inet
    AS interface_address,
  coalesce(rib.nlri #>> '{link,ipv4NeighborAddress}', rib.nlri #>> '{link,ipv6NeighborAddress}')::inet
    AS neighbor_address,
  rib.nlri #> '{link,mtId}' AS mt_id,
  (a.bgp_ls ->> 'igpMetric')::bigint AS igp_metric,
  (a.bgp_ls ->> 'teDefaultMetric')::bigint AS te_metric,
  (a.bgp_ls ->> 'adminGroup')::bigint AS admin_group,
  (a.bgp_ls ->> 'maxLinkBandwidth')::float8 AS max_bandwidth,
  (a.bgp_ls ->> 'maxReservableBandwidth')::float8 AS max_reservable_bandwidth,
  a.bgp_ls -> 'unreservedBandwidth' AS unreserved_bandwidth, a.bgp_ls -> 'srlg' AS srlg,
  a.bgp_ls ->> 'linkName' AS link_name, a.bgp_ls -> 'adjacencySids' AS adjacency_sids,
  a.bgp_ls -> 'lanAdjacencySids' AS lan_adjacency_sids,
  a.bgp_ls -> 'srv6EndXSids' AS srv6_end_x_sids, rib.nlri -> 'localNode' AS local_node,
  rib.nlri -> 'remoteNode' AS remote_node, a.bgp_ls AS attributes, rib.route_key,
  nullif(rib.path_id, 0) AS path_id, rib.attr_id, rib.first_seen, rib.last_change
FROM rib
JOIN peers p ON p.id = rib.peer_id
JOIN routers ro ON ro.id = p.router_id
LEFT JOIN path_attrs a ON a.id = rib.attr_id
WHERE NOT rib.withdrawn AND rib.afi = 16388 AND rib.safi IN (71, 72)
  AND (rib.nlri ->> 'nlriType')::int = 2;

-- Current BGP-LS IPv4/IPv6 Topology Prefix NLRI (types 3 and 4) with prefix attributes.
CREATE OR REPLACE VIEW ls_prefixes AS
SELECT coalesce(ro.name, ro.key) AS router, p.address AS peer, p.asn AS peer_asn,
  p.post_policy, p.adj_rib_out, p.loc_rib, rib.peer_id, p.router_id, rib.safi,
  nullif(rib.rd, '') AS rd, ls_protocol_name((rib.nlri ->> 'protocolId')::int) AS protocol,
  (rib.nlri ->> 'identifier')::numeric AS identifier,
  (rib.nlri #>> '{localNode,asn}')::bigint AS asn,
  rib.nlri #>> '{localNode,igpRouterId}' AS igp_router_id,
  (rib.nlri #>> '{prefix,prefix}')::cidr AS prefix, rib.nlri #> '{prefix,mtId}' AS mt_id,
  (rib.nlri #>> '{prefix,ospfRouteType}')::int AS ospf_route_type,
  (a.bgp_ls ->> 'prefixMetric')::bigint AS prefix_metric,
  (a.bgp_ls ->> 'igpFlags')::int AS igp_flags, a.bgp_ls -> 'routeTags' AS route_tags,
  a.bgp_ls -> 'prefixSids' AS prefix_sids, rib.nlri -> 'localNode' AS node,
  a.bgp_ls AS attributes, rib.route_key, nullif(rib.path_id, 0) AS path_id, rib.attr_id,
  rib.first_seen, rib.last_change
FROM rib
JOIN peers p ON p.id = rib.peer_id
JOIN routers ro ON ro.id = p.router_id
LEFT JOIN path_attrs a ON a.id = rib.attr_id
WHERE NOT rib.withdrawn AND rib.afi = 16388 AND rib.safi IN (71, 72)
  AND (rib.nlri ->> 'nlriType')::int IN (3, 4);

-- Every announcement and withdrawal of a BGP-LS NLRI (node, link, prefix, SRv6 SID).
CREATE OR REPLACE VIEW ls_history AS
SELECT h.time, coalesce(ro.name, ro.key) AS router, p.address AS peer, p.post_policy,
  p.adj_rib_out, p.loc_rib, h.peer_id, h.safi, nullif(h.rd, '') AS rd,
  CASE (h.nlri ->> 'nlriType')::int WHEN 1 THEN 'node' WHEN 2 THEN 'link'
    WHEN 3 THEN 'prefix4' WHEN 4 THEN 'prefix6' WHEN 6 THEN 'srv6-sid'
    ELSE 'type' || (h.nlri ->> 'nlriType') END AS kind,
  ls_protocol_name((h.nlri ->> 'protocolId')::int) AS protocol,
  CASE WHEN NOT h.withdrawn THEN 'announce' WHEN h.attr_id IS NOT NULL
    THEN 'treat-as-withdraw' ELSE 'withdraw' END AS action,
  h.nlri, a.bgp_ls AS attributes, h.attr_id
FROM route_history h
JOIN peers p ON p.id = h.peer_id
JOIN routers ro ON ro.id = p.router_id
LEFT JOIN path_attrs a ON a.id = h.attr_id
WHERE h.afi = 16388 AND h.safi IN (71, 72);

-- The IGP topology as an edge list: one row per current link, its two ends named by the
-- Node NLRI of the same peer view, protocol, identifier and node descriptors (NULL names
-- when the node is not, or not yet, announced).
CREATE OR REPLACE VIEW v_ls_topology AS
SELECT l.router, l.peer, l.peer_id, l.post_policy, l.adj_rib_out, l.loc_rib, l.rd,
  l.protocol, l.identifier, l.local_igp_router_id AS local_node, ln.node_name AS local_name,
  l.remote_igp_router_id AS remote_node, rn.node_name AS remote_name, l.igp_metric,
  l.te_metric, l.max_bandwidth, l.interface_address, l.neighbor_address, l.local_link_id,
  l.remote_link_id, l.link_name, l.last_change
FROM ls_links l
LEFT JOIN LATERAL (SELECT n.node_name FROM ls_nodes n WHERE n.peer_id = l.peer_id
  AND n.rd IS NOT DISTINCT FROM l.rd AND n.protocol = l.protocol
  AND n.identifier = l.identifier AND n.node = l.local_node LIMIT 1) ln ON true
LEFT JOIN LATERAL (SELECT n.node_name FROM ls_nodes n WHERE n.peer_id = l.peer_id
  AND n.rd IS NOT DISTINCT FROM l.rd AND n.protocol = l.protocol
  AND n.identifier = l.identifier AND n.node = l.remote_node LIMIT 1) rn ON true;
