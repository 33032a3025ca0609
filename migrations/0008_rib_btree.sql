-- The current RIB served by one prefix-leading btree instead of the primary key plus a GiST
-- (issue 11): index maintenance was most of the cost of a route, and the GiST alone cost as
-- much as the heap (COPY of the M320's rows: 4.0–4.2 s with no index, +3.9–4.4 s for the
-- PK, +9.6–9.9 s for the GiST, +4.0–4.2 s for this btree, +0.9–1.0 s for the BRIN;
-- docs/schema.md, "Indexes of the RIB").
--
-- rib_key is unique on the old key's columns plus `prefix`, which is a function of them
-- (src/store/rows.ts: the route key is the prefix text for IP families; EVPN keys hold the
-- type 2 IP and type 5 prefix, RFC 7432 §7, and other EVPN routes have prefix NULL). NULLS
-- NOT DISTINCT makes those NULL-prefix rows collide on the other columns as they did in
-- the PK, so the index accepts exactly the rows the PK did (PostgreSQL 15+).
-- Column order: `prefix` first, so exact match (=), more-specifics (<<, <<=, which the
-- planner turns into a btree range) and longest match (= ANY(covering(...))) are index
-- scans; then the view (peer_id), so one view's routes of a prefix are adjacent; then the
-- small fixed-width columns; route_key, the widest and equal to the prefix text for every
-- IP route, last. The writer's upsert names these columns as its ON CONFLICT target.
-- No column a route update changes is indexed: Peer Down and re-announcements stay HOT.
CREATE UNIQUE INDEX IF NOT EXISTS rib_key
  ON rib (prefix, peer_id, path_id, afi, safi, rd, route_key) NULLS NOT DISTINCT;
ALTER TABLE rib DROP CONSTRAINT IF EXISTS rib_pkey;
DROP INDEX IF EXISTS rib_prefix;

-- Per-view access (Peer Down, route counts, "is this view empty"): a view's rows are
-- written in batches of contiguous pages, so a BRIN of 16 pages (≈ 400 rows at fillfactor
-- 50) finds them almost exactly for a fraction of a btree's upkeep. autosummarize: pages
-- a load just filled are summarised soon, not at the next VACUUM (an unsummarised range
-- matches every peer).
CREATE INDEX IF NOT EXISTS rib_peer ON rib USING brin (peer_id)
  WITH (pages_per_range = 16, autosummarize = on);

-- Every network that contains `a` (itself included), from /masklen(a) down to /0: at most
-- 33 (IPv4) or 129 (IPv6) values. Longest match as `prefix = ANY(covering(x))` is that
-- many probes of rib_key, where `prefix >>= x` cannot use a btree at all.
CREATE OR REPLACE FUNCTION covering(a inet) RETURNS inet[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT array_agg(network(set_masklen(a, l))::inet ORDER BY l DESC)
  FROM generate_series(0, masklen(a)) AS l
$$;
