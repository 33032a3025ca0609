-- The MRT files `bmpmon import` has loaded (src/store/mrt_imports.ts), so that importing
-- a file again writes nothing twice. A file is known by the SHA-256 of its decompressed
-- bytes: rib.gz and the same rib uncompressed are one file, whatever their names.
CREATE TABLE IF NOT EXISTS mrt_imports (
  sha256 text PRIMARY KEY,
  router_id integer NOT NULL REFERENCES routers (id),
  file text NOT NULL,
  bytes bigint NOT NULL,
  records bigint NOT NULL,
  errors bigint NOT NULL,
  first_time timestamptz,
  last_time timestamptz,
  imported_at timestamptz NOT NULL DEFAULT now()
);
