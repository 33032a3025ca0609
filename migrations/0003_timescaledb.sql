-- bmpmon:requires timescaledb
-- Applied only when the timescaledb extension can be created (src/store/migrate.ts);
-- skipped, and not recorded, otherwise, so it runs once TimescaleDB becomes available.
-- Compression age and retention are set by migrate() on every run (its options).

SELECT create_hypertable('route_history', 'time', chunk_time_interval => INTERVAL '1 day',
  if_not_exists => true, migrate_data => true);
SELECT create_hypertable('peer_events', 'time', chunk_time_interval => INTERVAL '30 days',
  if_not_exists => true, migrate_data => true);
SELECT create_hypertable('stats_reports', 'time', chunk_time_interval => INTERVAL '7 days',
  if_not_exists => true, migrate_data => true);
SELECT create_hypertable('router_events', 'time', chunk_time_interval => INTERVAL '30 days',
  if_not_exists => true, migrate_data => true);
SELECT create_hypertable('route_mirroring', 'time', chunk_time_interval => INTERVAL '7 days',
  if_not_exists => true, migrate_data => true);

-- Compressed chunks are segmented by peer: one peer's history decompresses alone.
ALTER TABLE route_history SET (timescaledb.compress,
  timescaledb.compress_segmentby = 'peer_id', timescaledb.compress_orderby = 'time DESC');
ALTER TABLE stats_reports SET (timescaledb.compress,
  timescaledb.compress_segmentby = 'peer_id', timescaledb.compress_orderby = 'time DESC');
ALTER TABLE peer_events SET (timescaledb.compress,
  timescaledb.compress_segmentby = 'peer_id', timescaledb.compress_orderby = 'time DESC');

-- The plain views of 0002 give way to continuous aggregates of the same shape.
DROP VIEW IF EXISTS route_activity_hourly_peer;
DROP VIEW IF EXISTS route_activity_hourly_origin;

CREATE MATERIALIZED VIEW IF NOT EXISTS route_activity_hourly_peer
WITH (timescaledb.continuous) AS
SELECT time_bucket(INTERVAL '1 hour', time) AS bucket, peer_id,
  sum(CASE WHEN withdrawn THEN 0 ELSE 1 END) AS announcements,
  sum(CASE WHEN withdrawn THEN 1 ELSE 0 END) AS withdrawals
FROM route_history
GROUP BY bucket, peer_id
WITH NO DATA;

CREATE MATERIALIZED VIEW IF NOT EXISTS route_activity_hourly_origin
WITH (timescaledb.continuous) AS
SELECT time_bucket(INTERVAL '1 hour', time) AS bucket, origin_as,
  sum(CASE WHEN withdrawn THEN 0 ELSE 1 END) AS announcements,
  sum(CASE WHEN withdrawn THEN 1 ELSE 0 END) AS withdrawals
FROM route_history
GROUP BY bucket, origin_as
WITH NO DATA;

-- Real-time aggregates: recent buckets not yet materialised are computed on the fly.
ALTER MATERIALIZED VIEW route_activity_hourly_peer SET (timescaledb.materialized_only = false);
ALTER MATERIALIZED VIEW route_activity_hourly_origin
  SET (timescaledb.materialized_only = false);

SELECT add_continuous_aggregate_policy('route_activity_hourly_peer',
  start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour',
  schedule_interval => INTERVAL '30 minutes', if_not_exists => true);
SELECT add_continuous_aggregate_policy('route_activity_hourly_origin',
  start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour',
  schedule_interval => INTERVAL '30 minutes', if_not_exists => true);
