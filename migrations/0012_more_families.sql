-- Flowspec (SAFI 133/134), RTC (SAFI 132), SR Policy (SAFI 73) and MUP (SAFI 85) routes
-- (issue 16) live in rib and route_history like every route: current state, history, Peer
-- Down withdrawal and retention come with them (docs/schema.md, "Families without a
-- prefix"). Their identity is rib.route_key (the decoders' text forms, src/bgp/nlri/*.ts),
-- prefix is NULL, and the decoded NLRI is the new jsonb column `nlri`, NULL for every
-- other family. Rows stored before this migration have nlri NULL: the collector kept
-- these families' NLRI raw then and wrote no rows for them.
ALTER TABLE route_history ADD COLUMN IF NOT EXISTS nlri jsonb;
ALTER TABLE rib ADD COLUMN IF NOT EXISTS nlri jsonb;

-- TUNNEL_ENCAPSULATION (attribute 23, RFC 9012) as decoded, SR Policy sub-TLVs included
-- (RFC 9830 §2.4). Sets stored before keep it raw in unknown_attrs ({type: 23, ...}); the
-- id hashes the decoded attribute, so the next announcement stores a new set with it.
ALTER TABLE path_attrs ADD COLUMN IF NOT EXISTS tunnel_encap jsonb;

-- Current Flowspec rules (RFC 8955/8956) with their actions: the extended communities of
-- RFC 8955 §7 (traffic-rate, traffic-rate-packets, traffic-action, redirect,
-- traffic-marking) in src/bgp/attributes/extended_communities.ts text form. A rule
-- without one is "accept" (RFC 8955 §7: the default action).
CREATE OR REPLACE VIEW v_flowspec AS
SELECT coalesce(ro.name, ro.key) AS router, p.address AS peer, p.asn AS peer_asn,
  p.post_policy, p.adj_rib_out, p.loc_rib, rib.peer_id, p.router_id, rib.afi, rib.safi,
  nullif(rib.rd, '') AS rd, rib.route_key AS rule, rib.nlri -> 'components' AS components,
  coalesce((SELECT array_agg(c) FROM unnest(a.ext_communities) c
    WHERE c LIKE 'traffic-%' OR c LIKE 'redirect:%'), ARRAY['accept']) AS actions,
  a.next_hop, a.ext_communities, a.communities, a.origin_as, nullif(rib.path_id, 0)
    AS path_id, rib.attr_id, rib.first_seen, rib.last_change
FROM rib
JOIN peers p ON p.id = rib.peer_id
JOIN routers ro ON ro.id = p.router_id
LEFT JOIN path_attrs a ON a.id = rib.attr_id
WHERE NOT rib.withdrawn AND rib.safi IN (133, 134) AND rib.afi IN (1, 2);

-- Every announcement and withdrawal of a Flowspec rule (the DDoS mitigation log).
CREATE OR REPLACE VIEW v_flowspec_history AS
SELECT h.time, coalesce(ro.name, ro.key) AS router, p.address AS peer, p.post_policy,
  p.adj_rib_out, p.loc_rib, h.peer_id, h.afi, h.safi, h.rd, h.nlri ->> 'text' AS rule,
  CASE WHEN NOT h.withdrawn THEN 'announce' WHEN h.attr_id IS NOT NULL
    THEN 'treat-as-withdraw' ELSE 'withdraw' END AS action,
  CASE WHEN NOT h.withdrawn THEN coalesce((SELECT array_agg(c) FROM unnest(a.ext_communities) c
    WHERE c LIKE 'traffic-%' OR c LIKE 'redirect:%'), ARRAY['accept']) END AS actions,
  h.nlri -> 'components' AS components, h.attr_id
FROM route_history h
JOIN peers p ON p.id = h.peer_id
JOIN routers ro ON ro.id = p.router_id
LEFT JOIN path_attrs a ON a.id = h.attr_id
WHERE h.safi IN (133, 134) AND h.afi IN (1, 2);

-- Current RTC memberships (RFC 4684): which route targets a peer asks for. origin_as and
-- route_target are NULL for the default membership (length 0).
CREATE OR REPLACE VIEW v_rtc AS
SELECT coalesce(ro.name, ro.key) AS router, p.address AS peer, p.asn AS peer_asn,
  p.post_policy, p.adj_rib_out, p.loc_rib, rib.peer_id, p.router_id,
  rib.route_key AS membership, (rib.nlri ->> 'originAs')::bigint AS origin_as,
  rib.nlri ->> 'routeTarget' AS route_target, (rib.nlri ->> 'bits')::int AS bits,
  a.next_hop, nullif(rib.path_id, 0) AS path_id, rib.attr_id, rib.first_seen,
  rib.last_change
FROM rib
JOIN peers p ON p.id = rib.peer_id
JOIN routers ro ON ro.id = p.router_id
LEFT JOIN path_attrs a ON a.id = rib.attr_id
WHERE NOT rib.withdrawn AND rib.afi = 1 AND rib.safi = 132;

-- Current SR Policy candidate paths (RFC 9830). The headend is the IPv4-address-specific
-- route target the policy carries (RFC 9830 §2.3), NULL when it has none (NO_ADVERTISE
-- form). The sub-TLVs are those of the first tunnel of type 15 in TUNNEL_ENCAPSULATION.
CREATE OR REPLACE VIEW v_sr_policies AS
SELECT coalesce(ro.name, ro.key) AS router, p.address AS peer, p.asn AS peer_asn,
  p.post_policy, p.adj_rib_out, p.loc_rib, rib.peer_id, p.router_id, rib.afi,
  (SELECT substring(c FROM '^rt:([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+):')::inet
    FROM unnest(a.ext_communities) c WHERE c ~ '^rt:[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+:'
    LIMIT 1) AS headend,
  (rib.nlri ->> 'distinguisher')::bigint AS distinguisher,
  (rib.nlri ->> 'color')::bigint AS color, (rib.nlri ->> 'endpoint')::inet AS endpoint,
  (t.sr ->> 'preference')::bigint AS preference, t.sr ->> 'bindingSid' AS binding_sid,
  (t.sr ->> 'priority')::int AS priority, (t.sr ->> 'enlp')::int AS enlp,
  t.sr ->> 'policyName' AS policy_name, t.sr ->> 'candidatePathName' AS candidate_path_name,
  t.sr -> 'segmentLists' AS segment_lists, a.next_hop, a.ext_communities, rib.route_key,
  nullif(rib.path_id, 0) AS path_id, rib.attr_id, rib.first_seen, rib.last_change
FROM rib
JOIN peers p ON p.id = rib.peer_id
JOIN routers ro ON ro.id = p.router_id
LEFT JOIN path_attrs a ON a.id = rib.attr_id
LEFT JOIN LATERAL (SELECT x -> 'srPolicy' AS sr
  FROM jsonb_array_elements(a.tunnel_encap -> 'tunnels') x
  WHERE (x ->> 'tunnelType')::int = 15 LIMIT 1) t ON true
WHERE NOT rib.withdrawn AND rib.afi IN (1, 2) AND rib.safi = 73;

-- Current MUP routes (draft-mpmz-bess-mup-safi): ISD, DSD, T1ST and T2ST.
CREATE OR REPLACE VIEW v_mup AS
SELECT coalesce(ro.name, ro.key) AS router, p.address AS peer, p.asn AS peer_asn,
  p.post_policy, p.adj_rib_out, p.loc_rib, rib.peer_id, p.router_id, rib.afi,
  nullif(rib.rd, '') AS rd, (rib.nlri ->> 'architectureType')::int AS architecture_type,
  (rib.nlri ->> 'routeType')::int AS route_type,
  CASE (rib.nlri ->> 'routeType')::int WHEN 1 THEN 'isd' WHEN 2 THEN 'dsd' WHEN 3 THEN 't1st'
    WHEN 4 THEN 't2st' END AS route_type_name,
  (rib.nlri ->> 'prefix')::cidr AS prefix, (rib.nlri ->> 'address')::inet AS address,
  (rib.nlri ->> 'endpoint')::inet AS endpoint, (rib.nlri ->> 'source')::inet AS source,
  (rib.nlri ->> 'teid')::bigint AS teid, (rib.nlri ->> 'qfi')::int AS qfi,
  a.next_hop, a.ext_communities, rib.route_key, nullif(rib.path_id, 0) AS path_id,
  rib.attr_id, rib.first_seen, rib.last_change
FROM rib
JOIN peers p ON p.id = rib.peer_id
JOIN routers ro ON ro.id = p.router_id
LEFT JOIN path_attrs a ON a.id = rib.attr_id
WHERE NOT rib.withdrawn AND rib.afi IN (1, 2) AND rib.safi = 85;
