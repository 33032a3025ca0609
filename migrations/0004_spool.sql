-- What the collector's spool (DATA_DIR/spool) has applied, so that replaying it after a
-- crash or a database outage writes each record once. A route batch records the highest
-- spool mark of its lane in the same transaction (every route of the lane up to `seq` is
-- committed, and those of the messages in `extra`, committed ahead); other writes (peer events,
-- statistics, router events, mirroring, decode errors) record their own sequence number.
CREATE TABLE IF NOT EXISTS spool_lanes (
  lane integer PRIMARY KEY,
  seq bigint NOT NULL,
  extra bigint[] NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS spool_applied (
  seq bigint PRIMARY KEY
);
