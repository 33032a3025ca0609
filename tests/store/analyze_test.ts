/**
 * The statistics job (src/store/analyze.ts): nothing on an empty rib, an ANALYZE once rib
 * has rows, then again only after it has grown by a fifth and 8 MiB; a longest match then
 * probes rib_key.
 */

import { assert, assertEquals } from "../_assert.ts";
import { startAnalyzer } from "../../src/store/analyze.ts";
import { migrate } from "../../src/store/migrate.ts";
import { dbTest } from "./_db.ts";

dbTest("the statistics job analyzes rib as it grows", async (sql) => {
  await migrate(sql, { timescaledb: false });
  const reltuples = async () =>
    Number((await sql`SELECT reltuples::float8 AS n FROM pg_class WHERE relname = 'rib'`)[0].n);
  const add = (from: number, to: number) =>
    sql`INSERT INTO rib (peer_id, afi, safi, rd, route_key, path_id, prefix, first_seen,
        last_change)
      SELECT 1 + i % 4, 1, 1, '', p, 0, p::inet, now(), now()
      FROM generate_series(${from}::int, ${to}::int) i,
        LATERAL (SELECT ((i >> 16) % 224 + 1) || '.' || (i >> 8) % 256 || '.' || i % 256 || '.0/24') x(p)`;
  const seen: number[] = [];
  const a = startAnalyzer(sql, { everyMs: 3_600_000, onAnalyze: (bytes) => seen.push(bytes) });
  try {
    assertEquals(await a.tick(), false, "an empty rib is not analyzed");
    assertEquals(await reltuples(), -1, "never analyzed");
    await add(1, 200_000);
    const lookup = `EXPLAIN (FORMAT JSON) SELECT * FROM rib
      WHERE prefix = ANY(covering('10.1.2.3'::inet)) AND NOT withdrawn`;
    const plan = async () => JSON.stringify((await sql.unsafe(lookup))[0]["QUERY PLAN"]);
    assertEquals(await a.tick(), true);
    assert(Math.abs(await reltuples() - 200_000) < 1_000, `reltuples ${await reltuples()}`);
    assert((await plan()).includes("rib_key"), await plan());
    assertEquals(await a.tick(), false, "no growth: no second ANALYZE");
    await add(200_001, 205_000);
    assertEquals(await a.tick(), false, "2.5 % more: not yet");
    await add(205_001, 300_000);
    assertEquals(await a.tick(), true, "half as much again");
    assert(Math.abs(await reltuples() - 300_000) < 1_000, `reltuples ${await reltuples()}`);
    assertEquals(seen.length, 2);
    assert(seen[1] > seen[0] * 1.2, String(seen));
  } finally {
    await a.stop();
  }
});
