-- RPKI (issue 13): the validated ROA payloads (RFC 6811 §2, RFC 8210 §5.6/5.7) of each
-- source, as the RTR client or the VRP file reader last received them. One source's set
-- is changed in one transaction per serial (a Reset Query or a file replaces it whole, a
-- Serial Query applies its announcements and withdrawals), so a reader never sees half of
-- an update. Validation itself is SQL over this table (a later migration).
CREATE TABLE IF NOT EXISTS rpki_vrps (
  -- 'rtr:HOST:PORT' or 'file:PATH'
  source text NOT NULL,
  prefix cidr NOT NULL,
  max_length smallint NOT NULL CHECK (max_length BETWEEN masklen(prefix) AND
    CASE WHEN family(prefix) = 4 THEN 32 ELSE 128 END),
  asn bigint NOT NULL CHECK (asn BETWEEN 0 AND 4294967295),
  PRIMARY KEY (source, prefix, max_length, asn)
);

-- One row per source: where its set stands. state: 'syncing' | 'current' | 'stale'
-- (refresh missed, still inside expire) | 'expired' (VRPs dropped) | 'error'.
CREATE TABLE IF NOT EXISTS rpki_sources (
  source text PRIMARY KEY,
  protocol_version smallint,
  session_id integer,
  serial bigint,
  state text NOT NULL,
  vrps bigint NOT NULL DEFAULT 0,
  refresh_s integer,
  retry_s integer,
  expire_s integer,
  updated_at timestamptz,
  error text
);
