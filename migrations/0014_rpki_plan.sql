-- rpki_rib_states() joins every current route with the VRPs. Before rib and path_attrs have
-- statistics (a first full table committed, autovacuum's analyze not yet run), the planner
-- estimates one route, and plans nested loops of the routes with themselves: over the M320
-- that ran for more than 14 minutes (a CI run, 2026-12-03) where the hash joins take 13–17 s.
-- Without nested loops it takes 29 s with no statistics and the same 16–17 s with them
-- (docs/schema.md). The function is only ever read whole, so losing its inlining costs nothing.
ALTER FUNCTION rpki_rib_states() SET enable_nestloop = off;
