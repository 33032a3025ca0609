-- BGP Prefix-SID (attribute 40; RFC 8669 label index and originator SRGB, RFC 9252 SRv6
-- services) as decoded, beside the other attributes of a set. Attribute sets stored
-- before this migration keep the attribute raw in unknown_attrs ({type: 40, ...}) and
-- prefix_sid NULL: SQL cannot decode it, and the collector stores a set with the same
-- attributes again, with prefix_sid filled, under a new id (the id hashes the decoded
-- Prefix-SID) the next time a router sends it.
--
-- Transposition (RFC 9252 §4): when srv6*Service.sidInformation[].structure has a
-- transpositionLength above 0, part of the SID travels in the route's label field
-- (route_history.labels / rib.labels); both are stored as received, not merged.
ALTER TABLE path_attrs ADD COLUMN IF NOT EXISTS prefix_sid jsonb;

-- The views of 0002_views.sql with prefix_sid added as their last column, and v_routes also
-- with the attribute set's RFC 7606 problems and recoveries, which v_route_history already
-- had: a route a RIB view holds despite a missing or malformed attribute shows why (CREATE
-- OR REPLACE VIEW may only add columns at the end; v_evpn_routes, built on v_routes, names
-- its columns and is unchanged).
CREATE OR REPLACE VIEW v_routes AS
SELECT coalesce(ro.name, ro.key) AS router, p.address AS peer, p.asn AS peer_asn,
  p.peer_type, nullif(p.table_name, '') AS table_name, p.post_policy, p.adj_rib_out,
  p.loc_rib, rib.peer_id, p.router_id, rib.afi, rib.safi, nullif(rib.rd, '') AS rd,
  rib.prefix, rib.route_key, nullif(rib.path_id, 0) AS path_id, rib.labels,
  a.origin, a.as_path, a.as_path_text, a.origin_as, a.as_path_length, a.next_hop, a.med,
  a.local_pref, a.atomic_aggregate, a.aggregator_asn, a.aggregator_address, a.communities,
  a.ext_communities, a.large_communities, a.originator_id, a.cluster_list, a.otc, a.aigp,
  a.unknown_attrs, rib.evpn_route_type, rib.evpn_esi, rib.evpn_ethernet_tag, rib.evpn_mac,
  rib.evpn_ip, rib.evpn_gateway, rib.attr_id, rib.first_seen, rib.last_change,
  a.prefix_sid, a.problems
FROM rib
JOIN peers p ON p.id = rib.peer_id
JOIN routers ro ON ro.id = p.router_id
LEFT JOIN path_attrs a ON a.id = rib.attr_id
WHERE NOT rib.withdrawn;

CREATE OR REPLACE VIEW v_route_history AS
SELECT h.time, coalesce(ro.name, ro.key) AS router, p.address AS peer, p.asn AS peer_asn,
  p.peer_type, nullif(p.table_name, '') AS table_name, p.post_policy, p.adj_rib_out,
  p.loc_rib, h.peer_id, h.router_id, h.afi, h.safi, h.rd, h.prefix, h.path_id, h.labels,
  CASE WHEN NOT h.withdrawn THEN 'announce' WHEN h.attr_id IS NOT NULL
    THEN 'treat-as-withdraw' ELSE 'withdraw' END AS action,
  h.withdrawn, a.origin, a.as_path, a.as_path_text, coalesce(h.origin_as, a.origin_as)
    AS origin_as, a.next_hop, a.med, a.local_pref, a.communities, a.ext_communities,
  a.large_communities, a.aggregator_asn, a.aggregator_address, a.originator_id,
  a.cluster_list, a.otc, a.unknown_attrs, a.problems, h.evpn_route_type, h.evpn_esi,
  h.evpn_ethernet_tag, h.evpn_mac, h.evpn_ip, h.evpn_gateway, h.attr_id, a.prefix_sid
FROM route_history h
JOIN peers p ON p.id = h.peer_id
JOIN routers ro ON ro.id = p.router_id
LEFT JOIN path_attrs a ON a.id = h.attr_id;
