-- The GIN on path_attrs (as_path) cost 0.3-0.65 s of every M320 load (1.90-2.14 s for the
-- attribute sets without it, 2.45-2.57 s with it: docs/schema.md) and served no shipped query
-- or view: `x = ANY (as_path)`, which they and README use, cannot use it; only `@>` could.
-- A query through one AS reads path_attrs (one row per distinct attribute set, 114,294 for the
-- M320) without it; docs/schema.md gives the times.
DROP INDEX IF EXISTS path_attrs_as_path;
