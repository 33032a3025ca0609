-- Routes by attribute (issue 11): "current routes of origin AS X" and "routes with
-- community C" find their attribute sets in path_attrs' indexes, then need the RIB rows
-- of those sets. Without an index on rib.attr_id that was a hash join over all of rib
-- (4 × M320, 2.83M rows: 450–670 ms for an origin AS, 430 ms for a community on 312
-- routes); with this btree, index probes per set (docs/schema.md, "Indexes of the RIB").
-- The price: a route whose attributes change is no longer a HOT update (a whole view
-- re-announced with other attributes: 1.4 s → 7.1 s per 707k routes). Peer Down,
-- withdrawals and re-announcements of the same attributes keep attr_id and stay HOT.
-- No index on rib.origin_as: path_attrs_origin_as + this one serve the origin query.
CREATE INDEX IF NOT EXISTS rib_attr ON rib (attr_id);
