-- bmpmon core schema: routers, peers, events, statistics, route history and current RIB.
-- Plain PostgreSQL (13+). TimescaleDB settings live in the *_timescaledb.sql files.
-- Every statement is idempotent (IF NOT EXISTS) so a half-applied file can be re-run.
-- Conventions: times are timestamptz; 32-bit unsigned wire values (ASN, MED, local pref,
-- path id, Ethernet tag) are bigint; text keys use COLLATE "C" (byte order, fast compare).
-- Route tables have no foreign keys: a check per row costs more than the whole COPY.

-- A BMP speaker (one per TCP connection identity). `key` is chosen by the collector,
-- e.g. "192.0.2.1" or "192.0.2.1:4711" when several routers share an address.
CREATE TABLE IF NOT EXISTS routers (
  id serial PRIMARY KEY,
  key text COLLATE "C" NOT NULL UNIQUE,
  address inet,
  port integer,
  name text,
  sys_name text,
  sys_descr text,
  initiation jsonb,
  termination jsonb,
  termination_reason smallint,
  connected boolean NOT NULL DEFAULT false,
  first_seen timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz NOT NULL DEFAULT now(),
  connected_at timestamptz,
  disconnected_at timestamptz
);

-- Initiation, Termination, connect and disconnect of a router (RFC 7854 §4.3, §4.5).
CREATE TABLE IF NOT EXISTS router_events (
  time timestamptz NOT NULL DEFAULT now(),
  router_id integer NOT NULL,
  event text NOT NULL,
  sys_name text,
  sys_descr text,
  reason smallint,
  reason_name text,
  information jsonb
);
CREATE INDEX IF NOT EXISTS router_events_router_time ON router_events (router_id, time DESC);

-- One monitored RIB view of a BGP peer (RFC 7854 §4.2, RFC 8671, RFC 9069): the peer
-- identity (type, distinguisher, address, Loc-RIB table name) plus which RIB
-- (pre/post-policy, Adj-RIB-In/Out). Peer Up/Down update every view of the peer.
CREATE TABLE IF NOT EXISTS peers (
  id serial PRIMARY KEY,
  router_id integer NOT NULL REFERENCES routers (id),
  peer_type smallint NOT NULL,
  rd text COLLATE "C" NOT NULL DEFAULT '',
  address inet NOT NULL,
  table_name text COLLATE "C" NOT NULL DEFAULT '',
  post_policy boolean NOT NULL DEFAULT false,
  adj_rib_out boolean NOT NULL DEFAULT false,
  loc_rib boolean GENERATED ALWAYS AS (peer_type = 3) STORED,
  asn bigint,
  bgp_id inet,
  flags smallint,
  state text NOT NULL DEFAULT 'unknown' CHECK (state IN ('up', 'down', 'unknown')),
  local_address inet,
  local_port integer,
  remote_port integer,
  local_asn bigint,
  local_bgp_id inet,
  hold_time integer,
  capabilities jsonb,
  information jsonb,
  up_time timestamptz,
  down_time timestamptz,
  down_reason smallint,
  down_reason_name text,
  down_notification jsonb,
  last_stats jsonb,
  last_stats_time timestamptz,
  first_seen timestamptz NOT NULL DEFAULT now(),
  UNIQUE (router_id, peer_type, rd, address, table_name, post_policy, adj_rib_out)
);

-- Every Peer Up and Peer Down (RFC 7854 §4.9, §4.10), and the router-disconnect
-- "down" the collector records for the peers that were up.
CREATE TABLE IF NOT EXISTS peer_events (
  time timestamptz NOT NULL,
  router_id integer NOT NULL,
  peer_id integer NOT NULL,
  event text NOT NULL CHECK (event IN ('up', 'down')),
  reason smallint,
  reason_name text,
  notification jsonb,
  fsm_event integer,
  routes_withdrawn bigint,
  info jsonb
);
CREATE INDEX IF NOT EXISTS peer_events_peer_time ON peer_events (peer_id, time DESC);

-- One row per counter of a Statistics Report (RFC 7854 §4.8).
CREATE TABLE IF NOT EXISTS stats_reports (
  time timestamptz NOT NULL,
  router_id integer NOT NULL,
  peer_id integer NOT NULL,
  type integer NOT NULL,
  name text NOT NULL,
  afi integer,
  safi smallint,
  value numeric,
  raw text
);
CREATE INDEX IF NOT EXISTS stats_reports_peer_time ON stats_reports (peer_id, time DESC);

-- Route Mirroring messages (RFC 7854 §4.7): decoded entries and the raw message.
CREATE TABLE IF NOT EXISTS route_mirroring (
  time timestamptz NOT NULL,
  router_id integer NOT NULL,
  peer_id integer NOT NULL,
  info jsonb,
  raw bytea
);
CREATE INDEX IF NOT EXISTS route_mirroring_peer_time ON route_mirroring (peer_id, time DESC);

-- BMP messages the decoder rejected, kept raw.
CREATE TABLE IF NOT EXISTS decode_errors (
  time timestamptz NOT NULL DEFAULT now(),
  router_id integer,
  message_type smallint,
  code text,
  message text,
  stream_offset bigint,
  raw bytea
);

-- Path attribute sets, stored once and keyed by a 64-bit hash of their content (the
-- writer computes it; see docs/schema.md for why this pays).
CREATE TABLE IF NOT EXISTS path_attrs (
  id bigint PRIMARY KEY,
  origin smallint,
  as_path bigint[],
  as_path_text text,
  origin_as bigint,
  as_path_length integer,
  next_hop inet,
  med bigint,
  local_pref bigint,
  atomic_aggregate boolean NOT NULL DEFAULT false,
  aggregator_asn bigint,
  aggregator_address inet,
  communities text[],
  ext_communities text[],
  large_communities text[],
  originator_id inet,
  cluster_list inet[],
  otc bigint,
  aigp numeric,
  pmsi_tunnel jsonb,
  unknown_attrs jsonb,
  problems jsonb,
  first_seen timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS path_attrs_as_path ON path_attrs USING gin (as_path);
CREATE INDEX IF NOT EXISTS path_attrs_communities ON path_attrs USING gin (communities);
CREATE INDEX IF NOT EXISTS path_attrs_large_communities
  ON path_attrs USING gin (large_communities);
CREATE INDEX IF NOT EXISTS path_attrs_origin_as ON path_attrs (origin_as);

-- Every announcement and withdrawal as received (RFC 7854 §4.6). No RD or path id is
-- NULL here. `withdrawn` with a non-NULL attr_id = RFC 7606 treat-as-withdraw.
CREATE TABLE IF NOT EXISTS route_history (
  time timestamptz NOT NULL,
  router_id integer NOT NULL,
  peer_id integer NOT NULL,
  afi smallint NOT NULL,
  safi smallint NOT NULL,
  rd text COLLATE "C",
  prefix inet,
  path_id bigint,
  labels integer[],
  withdrawn boolean NOT NULL,
  attr_id bigint,
  origin_as bigint,
  evpn_route_type smallint,
  evpn_esi text,
  evpn_ethernet_tag bigint,
  evpn_mac macaddr,
  evpn_ip inet,
  evpn_gateway inet
);
CREATE INDEX IF NOT EXISTS route_history_peer_time ON route_history (peer_id, time DESC);
CREATE INDEX IF NOT EXISTS route_history_prefix ON route_history (prefix, time DESC);

-- Current RIB: one row per (peer view, family, RD, route, path id), latest state.
-- route_key is the prefix text for IP families and the EVPN route key (RFC 7432 §7)
-- for EVPN; rd '' and path_id 0 mean none. Withdrawn routes stay, flagged.
CREATE TABLE IF NOT EXISTS rib (
  peer_id integer NOT NULL,
  afi smallint NOT NULL,
  safi smallint NOT NULL,
  rd text COLLATE "C" NOT NULL,
  route_key text COLLATE "C" NOT NULL,
  path_id bigint NOT NULL,
  prefix inet,
  labels integer[],
  attr_id bigint,
  origin_as bigint,
  evpn_route_type smallint,
  evpn_esi text,
  evpn_ethernet_tag bigint,
  evpn_mac macaddr,
  evpn_ip inet,
  evpn_gateway inet,
  first_seen timestamptz NOT NULL,
  last_change timestamptz NOT NULL,
  withdrawn boolean NOT NULL DEFAULT false,
  withdrawn_time timestamptz,
  PRIMARY KEY (peer_id, afi, safi, rd, route_key, path_id)
) WITH (fillfactor = 50);
-- Only columns a route never changes are indexed, and pages are half empty: a Peer Down
-- (every row of a peer flagged) and re-announcements are HOT updates that touch no
-- index (1.6 s instead of 11 s for 707k rows, docs/schema.md). Routes by origin AS,
-- AS path or community: path_attrs indexes, then a hash join on attr_id.
CREATE INDEX IF NOT EXISTS rib_prefix ON rib USING gist (prefix inet_ops);
