-- Views for people: names instead of ids, NULL instead of the key placeholders ('' RD,
-- path id 0), attributes joined from path_attrs. Same views with and without TimescaleDB.

CREATE OR REPLACE VIEW v_peers AS
SELECT p.id AS peer_id, r.id AS router_id, coalesce(r.name, r.key) AS router,
  p.peer_type, nullif(p.rd, '') AS rd, p.address, p.asn, p.bgp_id,
  nullif(p.table_name, '') AS table_name,
  CASE WHEN p.loc_rib THEN 'loc-rib' WHEN p.adj_rib_out THEN 'adj-rib-out'
    ELSE 'adj-rib-in' END AS rib,
  CASE WHEN p.loc_rib THEN NULL WHEN p.post_policy THEN 'post-policy' ELSE 'pre-policy' END
    AS policy,
  p.post_policy, p.adj_rib_out, p.loc_rib, p.flags, p.state, p.up_time, p.down_time,
  p.down_reason, p.down_reason_name, p.down_notification, p.local_address, p.local_asn,
  p.hold_time, p.capabilities, p.last_stats, p.last_stats_time,
  (SELECT count(*) FROM rib WHERE rib.peer_id = p.id AND NOT rib.withdrawn) AS routes
FROM peers p JOIN routers r ON r.id = p.router_id;

CREATE OR REPLACE VIEW v_routes AS
SELECT coalesce(ro.name, ro.key) AS router, p.address AS peer, p.asn AS peer_asn,
  p.peer_type, nullif(p.table_name, '') AS table_name, p.post_policy, p.adj_rib_out,
  p.loc_rib, rib.peer_id, p.router_id, rib.afi, rib.safi, nullif(rib.rd, '') AS rd,
  rib.prefix, rib.route_key, nullif(rib.path_id, 0) AS path_id, rib.labels,
  a.origin, a.as_path, a.as_path_text, a.origin_as, a.as_path_length, a.next_hop, a.med,
  a.local_pref, a.atomic_aggregate, a.aggregator_asn, a.aggregator_address, a.communities,
  a.ext_communities, a.large_communities, a.originator_id, a.cluster_list, a.otc, a.aigp,
  a.unknown_attrs, rib.evpn_route_type, rib.evpn_esi, rib.evpn_ethernet_tag, rib.evpn_mac,
  rib.evpn_ip, rib.evpn_gateway, rib.attr_id, rib.first_seen, rib.last_change
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
  h.evpn_ethernet_tag, h.evpn_mac, h.evpn_ip, h.evpn_gateway, h.attr_id
FROM route_history h
JOIN peers p ON p.id = h.peer_id
JOIN routers ro ON ro.id = p.router_id
LEFT JOIN path_attrs a ON a.id = h.attr_id;

CREATE OR REPLACE VIEW v_evpn_routes AS
SELECT router, peer, peer_asn, post_policy, adj_rib_out, loc_rib, peer_id, rd,
  evpn_route_type AS route_type, evpn_esi AS esi, evpn_ethernet_tag AS ethernet_tag,
  evpn_mac AS mac, evpn_ip AS ip, prefix, evpn_gateway AS gateway, labels, next_hop,
  ext_communities, origin_as, route_key, first_seen, last_change
FROM v_routes
WHERE afi = 25 AND safi = 70;

-- Routes by number of changes (announcements + withdrawals) over all of the history;
-- `churn(since)` restricts the window.
CREATE OR REPLACE FUNCTION churn(since timestamptz DEFAULT '-infinity')
RETURNS TABLE (peer_id integer, afi smallint, safi smallint, rd text, prefix inet,
  evpn_route_type smallint, evpn_mac macaddr, changes bigint, announcements bigint,
  withdrawals bigint, first_change timestamptz, last_change timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT h.peer_id, h.afi, h.safi, h.rd, h.prefix, h.evpn_route_type, h.evpn_mac,
    count(*), count(*) FILTER (WHERE NOT h.withdrawn), count(*) FILTER (WHERE h.withdrawn),
    min(h.time), max(h.time)
  FROM route_history h
  WHERE h.time >= since
  GROUP BY h.peer_id, h.afi, h.safi, h.rd, h.prefix, h.evpn_route_type, h.evpn_ethernet_tag,
    h.evpn_mac, h.evpn_ip, h.evpn_esi, h.path_id
$$;

CREATE OR REPLACE VIEW v_churn AS
SELECT c.*, p.address AS peer, p.router_id
FROM churn() c JOIN peers p ON p.id = c.peer_id
ORDER BY c.changes DESC;

-- Prefixes currently announced with more than one origin AS (hijack suspects).
CREATE OR REPLACE VIEW v_moas AS
SELECT rib.afi, rib.safi, nullif(rib.rd, '') AS rd, rib.prefix,
  array_agg(DISTINCT rib.origin_as ORDER BY rib.origin_as) AS origin_asns,
  count(DISTINCT rib.peer_id) AS peers, max(rib.last_change) AS last_change
FROM rib
WHERE NOT rib.withdrawn AND rib.prefix IS NOT NULL AND rib.origin_as IS NOT NULL
GROUP BY rib.afi, rib.safi, rib.rd, rib.prefix
HAVING count(DISTINCT rib.origin_as) > 1;

-- Hourly announcements/withdrawals per peer and per origin AS. Plain views here;
-- 0003_timescaledb.sql replaces them with continuous aggregates of the same shape.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_matviews WHERE matviewname = 'route_activity_hourly_peer')
    AND NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    CREATE OR REPLACE VIEW route_activity_hourly_peer AS
    SELECT date_trunc('hour', time) AS bucket, peer_id,
      count(*) FILTER (WHERE NOT withdrawn) AS announcements,
      count(*) FILTER (WHERE withdrawn) AS withdrawals
    FROM route_history GROUP BY 1, 2;
    CREATE OR REPLACE VIEW route_activity_hourly_origin AS
    SELECT date_trunc('hour', time) AS bucket, origin_as,
      count(*) FILTER (WHERE NOT withdrawn) AS announcements,
      count(*) FILTER (WHERE withdrawn) AS withdrawals
    FROM route_history GROUP BY 1, 2;
  END IF;
END $$;
