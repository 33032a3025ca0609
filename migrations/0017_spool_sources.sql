-- Spool marks by source. `serve` numbers its spool records 1, 2, 3 …, and `bmpmon consume`
-- uses a stream's sequence numbers in their place: into one database, the two (or two
-- consume members, each with lanes of its own) would take each other's numbers as
-- already applied and skip writes. Each writer now keeps its marks under its own source:
-- '' for serve's spool (the rows already here are serve's or a single consume's), and
-- 'bus:<stream>:<member>/<members>' for a consume member.
ALTER TABLE spool_lanes ADD COLUMN IF NOT EXISTS source text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE spool_lanes DROP CONSTRAINT IF EXISTS spool_lanes_pkey;
ALTER TABLE spool_lanes ADD PRIMARY KEY (source, lane);
ALTER TABLE spool_applied ADD COLUMN IF NOT EXISTS source text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE spool_applied DROP CONSTRAINT IF EXISTS spool_applied_pkey;
ALTER TABLE spool_applied ADD PRIMARY KEY (source, seq);
