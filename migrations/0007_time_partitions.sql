-- Native time partitions for history, events, statistics and mirroring when TimescaleDB is
-- not used, so that retention drops whole partitions instead of deleting rows (DELETE leaves
-- dead tuples and bloated index pages; a dropped partition leaves nothing).
-- A table that is already partitioned or is a hypertable (0003 ran first) is left alone, so
-- this file does nothing with TimescaleDB. A plain table is converted in place, its data
-- kept without a copy:
--   <t>          the partitioned parent, same columns, defaults, CHECKs and index names;
--   <t>_legacy   the old table itself, attached for (MINVALUE) .. (tomorrow 00:00 UTC),
--                when it holds rows (dropped by retention once all of its range expired);
--   <t>_default  the DEFAULT partition: rows no range partition covers never fail a COPY.
-- Range partitions from now on are created ahead by the collector (src/store/partitions.ts)
-- and dropped by its retention job (src/store/retention.ts).
-- Views that read the table are re-created on the new parent (they are bound to the old
-- table's OID, which is now the legacy partition), with their definitions of before.

DO $$
DECLARE
  t text;
  hypertable boolean;
  empty boolean;
  cutover timestamptz := date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
    + INTERVAL '1 day';
  views text[][];
  indexes text[];
  ix text;
  v text[];
  i record;
BEGIN
  FOREACH t IN ARRAY ARRAY['route_history', 'peer_events', 'stats_reports', 'router_events',
    'route_mirroring']
  LOOP
    CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_class
      WHERE oid = to_regclass(quote_ident(t)) AND relkind = 'r');
    hypertable := false;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
      EXECUTE 'SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables
        WHERE hypertable_name = $1)' INTO hypertable USING t;
    END IF;
    CONTINUE WHEN hypertable;

    -- Definitions as they read before the rename (afterwards they would name <t>_legacy).
    SELECT coalesce(array_agg(ARRAY[d.view, d.def]), '{}') INTO views FROM (
      SELECT DISTINCT r.ev_class::regclass::text AS view, pg_get_viewdef(r.ev_class) AS def
      FROM pg_depend dep JOIN pg_rewrite r ON r.oid = dep.objid
      WHERE dep.classid = 'pg_rewrite'::regclass AND dep.refobjid = t::regclass
        AND r.ev_class <> t::regclass) d;
    SELECT coalesce(array_agg(pg_get_indexdef(indexrelid)), '{}') INTO indexes
      FROM pg_index WHERE indrelid = t::regclass;

    EXECUTE format('ALTER TABLE %I RENAME TO %I', t, t || '_legacy');
    FOR i IN SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
      WHERE x.indrelid = (t || '_legacy')::regclass
    LOOP
      EXECUTE format('ALTER INDEX %I RENAME TO %I', i.relname,
        CASE WHEN starts_with(i.relname, t || '_')
          THEN t || '_legacy_' || substr(i.relname, length(t) + 2)
          ELSE i.relname || '_legacy' END);
    END LOOP;
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS
      INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE (time)',
      t, t || '_legacy');
    EXECUTE format('ALTER TABLE %I OWNER TO %I', t,
      (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = (t || '_legacy')::regclass));
    EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', t || '_default', t);
    -- Rows timestamped after the cutover (a router's clock ahead) go to the default partition;
    -- none, usually: this DELETE runs once, at the upgrade.
    EXECUTE format('WITH m AS (DELETE FROM %I WHERE time >= %L RETURNING *)
      INSERT INTO %I SELECT * FROM m', t || '_legacy', cutover, t || '_default');
    -- ATTACH scans the old table once to check its rows against the bound: no copy.
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (MINVALUE) TO (%L)',
      t, t || '_legacy', cutover);
    -- On the parent, each index attaches the legacy partition's identical one (not rebuilt).
    FOREACH ix IN ARRAY indexes LOOP
      EXECUTE ix;
    END LOOP;
    IF array_length(views, 1) > 0 THEN
      FOREACH v SLICE 1 IN ARRAY views LOOP
        EXECUTE format('CREATE OR REPLACE VIEW %s AS %s', v[1], v[2]);
      END LOOP;
    END IF;
    -- A new database has nothing to keep: no legacy partition there.
    EXECUTE format('SELECT NOT EXISTS (SELECT 1 FROM %I)', t || '_legacy') INTO empty;
    IF empty THEN
      EXECUTE format('DROP TABLE %I', t || '_legacy');
    END IF;
  END LOOP;
END $$;
