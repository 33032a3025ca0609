-- Route Origin Validation (RFC 6811 §2) in SQL over rpki_vrps (0010), and hijack and leak
-- suspect views beside v_moas (issue 13). Nothing here touches the write path: states are
-- computed when a query asks for them, and rpki_record_changes() (called after a VRP update
-- and by the collector's periodic job) is the only writer of rpki_route_states/rpki_changes.
--
-- States: 'valid' | 'invalid' | 'not-found', and 'unknown' while no source is usable (no
-- row of rpki_sources is 'current' or 'stale': none configured, or every one expired or
-- failing), so "no RPKI data" never reads as "not covered". VRPs of all sources count
-- together; a VRP held by several sources is one VRP.

-- Covering VRPs of one route by `prefix >>= route`: SP-GiST inet_ops, a radix tree walked
-- down one path (M320 with 553k VRPs: 33 µs a route; GiST inet_ops 400 µs, a btree probed
-- with `= ANY(covering(route))` 57 µs; docs/schema.md, "Route Origin Validation").
CREATE INDEX IF NOT EXISTS rpki_vrps_prefix ON rpki_vrps USING spgist (prefix inet_ops);

-- Whether validation has data: some source is current, or stale but inside its expire.
CREATE OR REPLACE FUNCTION rpki_usable() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT EXISTS (SELECT 1 FROM rpki_sources WHERE state IN ('current', 'stale'))
$$;

-- The Route Origin ASN of RFC 6811 §2 from a stored path: the rightmost AS of a final
-- AS_SEQUENCE, else NONE (NULL). path_attrs.origin_as also takes a one-ASN AS_SET as the
-- origin (src/bgp/attributes/as_path.ts); RFC 6811 does not. An empty path or a final
-- confederation segment would mean the router's own AS, which a BMP view does not say
-- reliably: NONE as well, so such a route is never valid (documented in docs/schema.md).
CREATE OR REPLACE FUNCTION rpki_route_origin(as_path_text text, origin_as bigint)
RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN as_path_text IS NULL OR as_path_text = '' OR right(as_path_text, 1) IN ('}', ')', ']')
    THEN NULL ELSE origin_as END
$$;

-- The state of one route (RFC 6811 §2): not-found when no VRP covers the prefix; valid
-- when a covering VRP has the origin's ASN and a max length of at least the prefix length;
-- else invalid. AS 0 VRPs (RFC 6483 §4) never match; origin NULL (NONE) matches nothing.
CREATE OR REPLACE FUNCTION rpki_state(prefix inet, origin_as bigint) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN NOT rpki_usable() THEN 'unknown'
    WHEN count(*) = 0 THEN 'not-found'
    WHEN coalesce(bool_or(v.asn = $2 AND v.asn <> 0 AND v.max_length >= masklen($1)), false)
      THEN 'valid'
    ELSE 'invalid' END
  FROM rpki_vrps v WHERE v.prefix >>= $1
$$;

-- The VRPs covering `prefix`, once each, with the sources holding them.
CREATE OR REPLACE FUNCTION rpki_covering_vrps(prefix inet)
RETURNS TABLE (vrp_prefix cidr, max_length smallint, asn bigint, sources text[])
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT v.prefix, v.max_length, v.asn, array_agg(v.source ORDER BY v.source)
  FROM rpki_vrps v WHERE v.prefix >>= $1
  GROUP BY v.prefix, v.max_length, v.asn
  ORDER BY masklen(v.prefix) DESC, v.prefix, v.asn, v.max_length
$$;

-- State, reason and VRPs of one route. reason: 'as' (no covering VRP of the origin's ASN)
-- or 'length' (one has it, but its max length is shorter than the prefix), NULL unless
-- invalid. vrps: the covering VRPs (matching ones first) as [{prefix, max_length, asn}].
CREATE OR REPLACE FUNCTION rpki_validation(prefix inet, origin_as bigint,
  OUT state text, OUT reason text, OUT vrps jsonb)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT s.state,
    CASE WHEN s.state = 'invalid' THEN
      CASE WHEN EXISTS (SELECT 1 FROM rpki_vrps v
        WHERE v.prefix >>= $1 AND v.asn = $2 AND v.asn <> 0) THEN 'length' ELSE 'as' END END,
    CASE WHEN s.state = 'unknown' THEN '[]'::jsonb ELSE
      (SELECT coalesce(jsonb_agg(jsonb_build_object('prefix', c.vrp_prefix,
        'max_length', c.max_length, 'asn', c.asn)
        ORDER BY (c.asn = $2 AND c.asn <> 0) DESC, masklen(c.vrp_prefix) DESC, c.vrp_prefix,
          c.asn, c.max_length), '[]'::jsonb)
       FROM rpki_covering_vrps($1) c) END
  FROM (SELECT rpki_state($1, $2) AS state) s
$$;

-- v_routes of 0006 with the route's RPKI state as its last column: for unicast routes of the
-- global table (no RD; SAFI 1, 2, 4), NULL for VPN, EVPN and other families, where ROAs do
-- not apply. The scalar subquery is computed only when a query reads the column.
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
  a.prefix_sid, a.problems,
  CASE WHEN rib.rd = '' AND rib.afi IN (1, 2) AND rib.safi IN (1, 2, 4) AND rib.prefix IS NOT NULL
    THEN rpki_state(rib.prefix, rpki_route_origin(a.as_path_text, a.origin_as)) END
    AS rpki_state
FROM rib
JOIN peers p ON p.id = rib.peer_id
JOIN routers ro ON ro.id = p.router_id
LEFT JOIN path_attrs a ON a.id = rib.attr_id
WHERE NOT rib.withdrawn;

-- The state of every current unicast route of the global table, set-based: each route's
-- networks at the VRP prefix lengths in use, hash-joined with rpki_vrps (M320: 5.3 s for
-- 707k routes where the per-route index lookup of v_routes takes 23 s).
CREATE OR REPLACE FUNCTION rpki_rib_states()
RETURNS TABLE (peer_id integer, afi smallint, safi smallint, route_key text, path_id bigint,
  prefix inet, origin_as bigint, state text, last_change timestamptz)
LANGUAGE sql STABLE AS $$
  WITH routes AS (
    SELECT r.peer_id, r.afi, r.safi, r.route_key, r.path_id, r.prefix, r.last_change,
      rpki_route_origin(a.as_path_text, a.origin_as) AS origin_as
    FROM rib r LEFT JOIN path_attrs a ON a.id = r.attr_id
    WHERE NOT r.withdrawn AND r.rd = '' AND r.afi IN (1, 2) AND r.safi IN (1, 2, 4)
      AND r.prefix IS NOT NULL
  ), lengths AS (
    -- The (family, length) pairs VRPs have, at most 33 + 129. Through an array: the planner
    -- guesses 10 rows for its unnest, where for SELECT DISTINCT over two expressions it
    -- guessed most of the table's 550k, planned a merge join of 500M rows and ran for over
    -- 11 minutes on the M320 (1 of 2 runs of tests/rpki/rov_rtrlib_test.ts).
    SELECT k >> 8 AS f, k & 255 AS l FROM unnest((SELECT array_agg(DISTINCT
      family(v.prefix) * 256 + masklen(v.prefix)) FROM rpki_vrps v)) AS k
  ), matched AS (
    SELECT x.peer_id, x.afi, x.safi, x.route_key, x.path_id,
      coalesce(bool_or(v.asn = x.origin_as AND v.asn <> 0
        AND v.max_length >= masklen(x.prefix)), false) AS ok
    FROM routes x
    JOIN lengths n ON n.f = family(x.prefix) AND n.l <= masklen(x.prefix)
    JOIN rpki_vrps v ON v.prefix = network(set_masklen(x.prefix, n.l))
    GROUP BY 1, 2, 3, 4, 5
  )
  SELECT x.peer_id, x.afi, x.safi, x.route_key, x.path_id, x.prefix, x.origin_as,
    CASE WHEN NOT rpki_usable() THEN 'unknown' WHEN m.ok IS NULL THEN 'not-found'
      WHEN m.ok THEN 'valid' ELSE 'invalid' END, x.last_change
  FROM routes x LEFT JOIN matched m USING (peer_id, afi, safi, route_key, path_id)
$$;

-- The last recorded state of each current route (rpki_record_changes() keeps it): what
-- rpki_changes compares against, and the "since" of v_rpki_invalid.
CREATE TABLE IF NOT EXISTS rpki_route_states (
  peer_id integer NOT NULL,
  afi smallint NOT NULL,
  safi smallint NOT NULL,
  route_key text COLLATE "C" NOT NULL,
  path_id bigint NOT NULL,
  prefix inet NOT NULL,
  origin_as bigint,
  state text NOT NULL,
  since timestamptz NOT NULL,
  PRIMARY KEY (peer_id, afi, safi, route_key, path_id)
);

-- A route's state changing. cause 'vrps': same route, the VRPs changed; 'route': the route
-- changed (another origin, announced, withdrawn) since the previous run. old_state NULL:
-- the route appeared (recorded only when it is invalid); new_state NULL: it went away
-- (recorded only when it was invalid). time: the route's last change when it appeared or
-- changed origin, else the run's time (when the VRPs' change was seen, or the withdrawal).
CREATE TABLE IF NOT EXISTS rpki_changes (
  time timestamptz NOT NULL,
  peer_id integer NOT NULL,
  afi smallint NOT NULL,
  safi smallint NOT NULL,
  prefix inet NOT NULL,
  path_id bigint,
  old_origin_as bigint,
  origin_as bigint,
  old_state text,
  new_state text,
  cause text NOT NULL CHECK (cause IN ('vrps', 'route'))
);
CREATE INDEX IF NOT EXISTS rpki_changes_time ON rpki_changes (time DESC);
CREATE INDEX IF NOT EXISTS rpki_changes_prefix ON rpki_changes (prefix, time DESC);

-- Compares every current unicast route's state with rpki_route_states, appends the
-- differences to rpki_changes and updates the snapshot; returns the changes recorded. One
-- run at a time (advisory lock); a run while no source is usable records nothing and keeps
-- the snapshot, so states after an outage compare with those before it. The first run
-- only fills the snapshot. Cost: one ROV of the whole RIB (docs/schema.md).
CREATE OR REPLACE FUNCTION rpki_record_changes() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  first_run boolean;
  n bigint;
  t timestamptz := now();
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('bmpmon rpki_record_changes'));
  IF NOT rpki_usable() THEN
    RETURN 0;
  END IF;
  first_run := NOT EXISTS (SELECT 1 FROM rpki_route_states);
  CREATE TEMP TABLE IF NOT EXISTS rpki_now (peer_id integer, afi smallint, safi smallint,
    route_key text COLLATE "C", path_id bigint, prefix inet, origin_as bigint, state text,
    last_change timestamptz) ON COMMIT DROP;
  TRUNCATE rpki_now;
  INSERT INTO rpki_now SELECT * FROM rpki_rib_states();
  IF NOT first_run THEN
    INSERT INTO rpki_changes (time, peer_id, afi, safi, prefix, path_id, old_origin_as,
      origin_as, old_state, new_state, cause)
    SELECT CASE WHEN c.state IS NULL THEN t
        WHEN s.state IS NULL OR s.origin_as IS DISTINCT FROM c.origin_as THEN least(c.last_change, t)
        ELSE t END,
      coalesce(c.peer_id, s.peer_id), coalesce(c.afi, s.afi), coalesce(c.safi, s.safi),
      coalesce(c.prefix, s.prefix), nullif(coalesce(c.path_id, s.path_id), 0), s.origin_as,
      c.origin_as, s.state, c.state,
      -- The prefix is part of the key, so only the origin or the VRPs can change a state.
      CASE WHEN s.state IS NOT NULL AND c.state IS NOT NULL AND s.origin_as IS NOT DISTINCT FROM c.origin_as
        THEN 'vrps' ELSE 'route' END
    FROM rpki_now c FULL JOIN rpki_route_states s USING (peer_id, afi, safi, route_key, path_id)
    WHERE (s.state IS NOT NULL AND c.state IS NOT NULL AND s.state <> c.state)
      OR (s.state IS NULL AND c.state = 'invalid')
      OR (c.state IS NULL AND s.state = 'invalid');
    GET DIAGNOSTICS n = ROW_COUNT;
  ELSE
    n := 0;
  END IF;
  DELETE FROM rpki_route_states s WHERE NOT EXISTS (SELECT 1 FROM rpki_now c
    WHERE (c.peer_id, c.afi, c.safi, c.route_key, c.path_id)
      = (s.peer_id, s.afi, s.safi, s.route_key, s.path_id));
  -- since: when the current state began; a route new to the snapshot starts at its last
  -- change (its announcement), a state change of a known route at this run.
  INSERT INTO rpki_route_states AS s (peer_id, afi, safi, route_key, path_id, prefix,
    origin_as, state, since)
  SELECT c.peer_id, c.afi, c.safi, c.route_key, c.path_id, c.prefix, c.origin_as, c.state,
    least(c.last_change, t)
  FROM rpki_now c
  ON CONFLICT (peer_id, afi, safi, route_key, path_id) DO UPDATE SET
    origin_as = excluded.origin_as, state = excluded.state,
    since = CASE WHEN excluded.origin_as IS DISTINCT FROM s.origin_as THEN excluded.since
      ELSE t END
  WHERE s.state <> excluded.state OR s.origin_as IS DISTINCT FROM excluded.origin_as;
  RETURN n;
END
$$;

-- Current invalid announcements: one row per (family, prefix, origin) with the reason, the
-- covering VRPs, the RIB views that carry it, and since when (the earliest of its routes'
-- recorded "since", else their announcement: rpki_route_states is as fresh as the last
-- rpki_record_changes() run).
CREATE OR REPLACE VIEW v_rpki_invalid AS
SELECT r.afi, r.safi, r.prefix, r.origin_as, val.reason, val.vrps,
  array_agg(DISTINCT host(p.address) || ' @ ' || coalesce(ro.name, ro.key)) AS peers,
  array_agg(DISTINCT r.peer_id ORDER BY r.peer_id) AS peer_ids, count(*) AS routes,
  min(coalesce(CASE WHEN st.state = 'invalid' AND st.origin_as IS NOT DISTINCT FROM r.origin_as
    THEN st.since END, r.last_change)) AS since,
  (array_agg(r.as_path_text ORDER BY r.peer_id))[1] AS as_path_text
FROM (
  SELECT rib.peer_id, rib.afi, rib.safi, rib.route_key, rib.path_id, rib.prefix,
    rib.last_change, a.as_path_text, rpki_route_origin(a.as_path_text, a.origin_as) AS origin_as
  FROM rib LEFT JOIN path_attrs a ON a.id = rib.attr_id
  WHERE NOT rib.withdrawn AND rib.rd = '' AND rib.afi IN (1, 2) AND rib.safi IN (1, 2, 4)
    AND rib.prefix IS NOT NULL
) r
JOIN peers p ON p.id = r.peer_id
JOIN routers ro ON ro.id = p.router_id
LEFT JOIN rpki_route_states st USING (peer_id, afi, safi, route_key, path_id)
CROSS JOIN LATERAL rpki_validation(r.prefix, r.origin_as) val
WHERE val.state = 'invalid'
GROUP BY r.afi, r.safi, r.prefix, r.origin_as, val.reason, val.vrps;

-- Sub-prefix suspects: a current route whose closest announced covering prefix (same
-- family, global table) is announced by none of its origin(s). Limits (docs/schema.md):
-- customers announcing their part of a provider's block look alike, so rpki_state is
-- given to tell an authorised one (valid) from the rest; only prefixes this collector sees
-- count; an origin NULL (AS_SET) is left out.
CREATE OR REPLACE VIEW v_suspect_subprefix AS
SELECT r.afi, r.safi, r.prefix, r.origin_as, cov.prefix AS covering_prefix,
  cov.origins AS covering_origins, count(DISTINCT r.peer_id) AS peers,
  min(r.first_seen) AS first_seen, rpki_state(r.prefix, r.origin_as) AS rpki_state
FROM rib r
CROSS JOIN LATERAL (
  SELECT c.prefix, array_agg(DISTINCT c.origin_as ORDER BY c.origin_as) AS origins
  FROM rib c
  WHERE c.prefix = ANY ((covering(r.prefix))[2:]) AND NOT c.withdrawn AND c.rd = ''
    AND c.afi = r.afi AND c.safi = r.safi AND c.origin_as IS NOT NULL
  GROUP BY c.prefix ORDER BY masklen(c.prefix) DESC LIMIT 1
) cov
WHERE NOT r.withdrawn AND r.rd = '' AND r.afi IN (1, 2) AND r.safi IN (1, 2, 4)
  AND r.prefix IS NOT NULL AND r.origin_as IS NOT NULL AND NOT r.origin_as = ANY (cov.origins)
GROUP BY r.afi, r.safi, r.prefix, r.origin_as, cov.prefix, cov.origins;

-- New-origin suspects: (prefix, origin) pairs whose first announcement in route_history is
-- after `since`, for a prefix announced before `since` with another origin. Limits: "never
-- seen" means within the history kept (RETENTION) and since the collector started; a
-- prefix first seen inside the window is not listed (no earlier origin to differ from).
CREATE OR REPLACE FUNCTION suspect_new_origin(since timestamptz DEFAULT now() - interval '24 hours')
RETURNS TABLE (afi smallint, safi smallint, prefix inet, origin_as bigint,
  first_seen timestamptz, peers bigint, previous_origins bigint[], current boolean)
LANGUAGE sql STABLE AS $$
  WITH recent AS (
    SELECT h.afi, h.safi, h.prefix, coalesce(h.origin_as, a.origin_as) AS origin_as,
      min(h.time) AS first_seen, count(DISTINCT h.peer_id) AS peers
    FROM route_history h LEFT JOIN path_attrs a ON a.id = h.attr_id
    WHERE h.time >= $1 AND NOT h.withdrawn AND h.prefix IS NOT NULL
      AND coalesce(h.rd, '') = '' AND h.afi IN (1, 2) AND h.safi IN (1, 2, 4)
    GROUP BY 1, 2, 3, 4
  ), earlier AS (
    SELECT r.*, (SELECT array_agg(DISTINCT coalesce(h.origin_as, a.origin_as))
      FROM route_history h LEFT JOIN path_attrs a ON a.id = h.attr_id
      WHERE h.prefix = r.prefix AND h.time < $1 AND NOT h.withdrawn
        AND h.afi = r.afi AND h.safi = r.safi AND coalesce(h.rd, '') = '') AS before
    FROM recent r WHERE r.origin_as IS NOT NULL
  )
  SELECT e.afi, e.safi, e.prefix, e.origin_as, e.first_seen, e.peers, e.before,
    EXISTS (SELECT 1 FROM rib WHERE rib.prefix = e.prefix AND NOT rib.withdrawn
      AND rib.rd = '' AND rib.origin_as = e.origin_as)
  FROM earlier e
  WHERE e.before IS NOT NULL AND NOT e.origin_as = ANY (e.before)
  ORDER BY e.first_seen DESC
$$;

CREATE OR REPLACE VIEW v_suspect_new_origin AS SELECT * FROM suspect_new_origin();

-- OTC leak suspects (RFC 9234 §5): routes in an Adj-RIB-In view carrying Only-to-Customer
-- from a neighbour whose BGP Role capability (the OPEN the router received, code 9) says
-- Customer (3) or RS-Client (2), which must never send it, or Peer (4) with an OTC other
-- than the neighbour's AS. Limits: neighbours without the Role capability are not judged;
-- Loc-RIB and Adj-RIB-Out views are left out (the router itself adds OTC on ingress).
CREATE OR REPLACE VIEW v_suspect_otc AS
SELECT v.router, v.peer, v.peer_asn, v.peer_id, v.post_policy, role.role AS peer_role,
  CASE role.role WHEN 2 THEN 'rs-client' WHEN 3 THEN 'customer' WHEN 4 THEN 'peer' END
    AS peer_role_name,
  v.afi, v.safi, v.rd, v.prefix, v.as_path_text, v.origin_as, v.otc, v.first_seen,
  v.last_change
FROM v_routes v
JOIN peers p ON p.id = v.peer_id
CROSS JOIN LATERAL (
  SELECT (c ->> 'role')::smallint AS role
  FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p.capabilities -> 'received') = 'array'
    THEN p.capabilities -> 'received' ELSE '[]'::jsonb END) c
  WHERE c ->> 'code' = '9' AND c ? 'role' LIMIT 1
) role
WHERE v.otc IS NOT NULL AND NOT p.loc_rib AND NOT p.adj_rib_out
  AND (role.role IN (2, 3) OR (role.role = 4 AND v.otc IS DISTINCT FROM p.asn));

-- Whether `asn` is private or reserved: 0 (RFC 7607), 23456 AS_TRANS (RFC 6793, was RFC
-- 4893), 64496-64511 and 65536-65551 documentation (RFC 5398), 64512-65534 and
-- 4200000000-4294967294 private use (RFC 6996), 65535 and 4294967295 last ASNs (RFC 7300),
-- 65552-131071 reserved (IANA registry).
CREATE OR REPLACE FUNCTION asn_private_or_reserved(asn bigint) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT asn = 0 OR asn = 23456 OR asn BETWEEN 64496 AND 131071
    OR asn BETWEEN 4200000000 AND 4294967295
$$;

-- Paths holding a private or reserved ASN (the ASNs in `bad_asns`). Found per attribute
-- set, then its routes (rib_attr). Limits: labs and networks inside a private AS (or a
-- confederation of private sub-ASes, RFC 5065) see them on every route; an operator
-- strips them at the edge, so check the peer before calling it a leak.
CREATE OR REPLACE VIEW v_suspect_private_asn AS
SELECT v.router, v.peer, v.peer_asn, v.peer_id, v.afi, v.safi, v.rd, v.prefix,
  v.as_path_text, v.origin_as, s.bad_asns, v.first_seen, v.last_change
FROM (
  SELECT a.id, array_agg(DISTINCT x ORDER BY x) AS bad_asns
  FROM path_attrs a, unnest(a.as_path) x
  WHERE asn_private_or_reserved(x)
  GROUP BY a.id
) s
JOIN v_routes v ON v.attr_id = s.id;
