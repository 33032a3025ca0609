-- Route Distinguisher text keeps the RD type (issue 10): `type:administrator:assigned`
-- as pmacct prints it, e.g. `0:65000:100`, `1:192.0.2.1:5`, `2:65543:105`. Before, type 0
-- `100:5` and type 2 `100:5` printed alike, and the text is part of the peer and RIB keys.
-- This rewrites every stored RD text from the old form to the new one, in place:
--   a.b.c.d:n                 -> 1:a.b.c.d:n (type 1, IPv4 administrator)
--   x:y with x > 65535        -> 2:x:y       (type 2, 4-byte ASN)
--   other x:y                 -> 0:x:y       (type 0, 2-byte ASN)
--   t:hex12 (unknown type), '' (no RD), and any text with two colons (already typed): kept.
-- ASSUMPTION: the old text cannot tell a type 2 RD whose ASN is 65535 or less from type 0
-- (e.g. type 2 `100:5` was stored as `100:5`); such RDs become type 0 here, and the same
-- route announced again under its true RD is a second row (the old one stays type 0).
--
-- Columns: peers.rd, route_history.rd, rib.rd, the RD field of EVPN route keys
-- (rib.route_key `type|rd|...`, RFC 7432 §7) and "rd" values in the decoded BGP messages
-- of route_mirroring.info. The rewrite is 1:1 and its results (two colons) never equal an
-- old text (one colon), so the unique keys of peers and rib (both hold rd) see no
-- collision. Running it again changes nothing: every new text has two colons.
--
-- TimescaleDB: route_history may be a hypertable with compressed chunks. UPDATE of
-- compressed rows fails on TimescaleDB before 2.11, so the compressed chunks that hold an
-- old RD are decompressed first; the compression policy compresses them again later.

CREATE OR REPLACE FUNCTION bmpmon_rd_typed(rd text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT CASE
    -- Unknown type: `type:hex` of 6 bytes, already typed. A decimal never has 12 digits.
    WHEN rd ~ '^[0-9]+:[0-9a-f]{12}$' THEN rd
    WHEN rd ~ '^[0-9]{1,3}(\.[0-9]{1,3}){3}:[0-9]{1,5}$' THEN '1:' || rd
    WHEN rd ~ '^[0-9]{1,10}:[0-9]{1,10}$' THEN
      CASE WHEN split_part(rd, ':', 1)::bigint > 65535 THEN '2:' ELSE '0:' END || rd
    ELSE rd
  END
$$;

-- Whether `rd` is in the old form (what bmpmon_rd_typed changes).
CREATE OR REPLACE FUNCTION bmpmon_rd_old(rd text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT bmpmon_rd_typed(rd) <> rd
$$;

-- `v` with every string under a key "rd" rewritten, at any depth.
CREATE OR REPLACE FUNCTION bmpmon_rd_typed_json(v jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  CASE jsonb_typeof(v)
    WHEN 'object' THEN
      RETURN coalesce((SELECT jsonb_object_agg(k, CASE
          WHEN k = 'rd' AND jsonb_typeof(x) = 'string' THEN to_jsonb(bmpmon_rd_typed(x #>> '{}'))
          ELSE bmpmon_rd_typed_json(x) END)
        FROM jsonb_each(v) AS e(k, x)), '{}'::jsonb);
    WHEN 'array' THEN
      RETURN coalesce((SELECT jsonb_agg(bmpmon_rd_typed_json(x) ORDER BY i)
        FROM jsonb_array_elements(v) WITH ORDINALITY AS e(x, i)), '[]'::jsonb);
    ELSE
      RETURN v;
  END CASE;
END
$$;

DO $$
DECLARE
  chunks regclass[];
  chunk regclass;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    -- Collected first: a chunk cannot be decompressed while a query still reads it.
    EXECUTE $q$
      SELECT array_agg(DISTINCT h.tableoid::regclass) FROM route_history h
      WHERE h.rd <> '' AND bmpmon_rd_old(h.rd)
        AND h.tableoid::regclass IN (
          SELECT format('%I.%I', c.chunk_schema, c.chunk_name)::regclass
          FROM timescaledb_information.chunks c
          WHERE c.hypertable_name = 'route_history' AND c.is_compressed)
    $q$ INTO chunks;
    FOREACH chunk IN ARRAY coalesce(chunks, '{}') LOOP
      EXECUTE format('SELECT decompress_chunk(%L::regclass, true)', chunk);
    END LOOP;
  END IF;
END $$;

UPDATE peers SET rd = bmpmon_rd_typed(rd) WHERE rd <> '' AND bmpmon_rd_old(rd);
UPDATE route_history SET rd = bmpmon_rd_typed(rd) WHERE rd <> '' AND bmpmon_rd_old(rd);
-- EVPN route keys hold the same RD text as the row's rd (evpnRouteKey() in
-- src/bgp/nlri/evpn.ts), so the key's RD field is replaced by the new rd.
UPDATE rib SET
  route_key = CASE WHEN afi = 25 AND safi = 70 AND split_part(route_key, '|', 2) = rd
    THEN split_part(route_key, '|', 1) || '|' || bmpmon_rd_typed(rd) ||
      substr(route_key, length(split_part(route_key, '|', 1)) + length(rd) + 2)
    ELSE route_key END,
  rd = bmpmon_rd_typed(rd)
WHERE rd <> '' AND bmpmon_rd_old(rd);
UPDATE route_mirroring SET info = bmpmon_rd_typed_json(info)
WHERE info::text LIKE '%"rd"%' AND info IS DISTINCT FROM bmpmon_rd_typed_json(info);

DROP FUNCTION bmpmon_rd_typed_json(jsonb);
DROP FUNCTION bmpmon_rd_old(text);
DROP FUNCTION bmpmon_rd_typed(text);
