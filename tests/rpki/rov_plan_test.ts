/**
 * Whole-RIB origin validation must not depend on the planner's statistics. Right after a
 * full table is committed, rib and path_attrs have none until autovacuum's analyze comes
 * round; the planner then estimates one route and planned rpki_rib_states() as nested
 * loops of the routes with themselves, which on the M320 ran for over 14 minutes in CI
 * (2026-12-03). Migration 0014 plans it without nested loops. This test upgrades a database
 * of 0013 in place, holding 120,000 M320 routes that were never analyzed, and requires the
 * states within a statement timeout that the old plan overran (its quadratic loop needs
 * minutes at this size), equal to the per-route rpki_state() of v_routes.
 */

import { readBmpStream } from "../../src/bmp/stream.ts";
import { readInput } from "../../src/io/file.ts";
import { migrate } from "../../src/store/migrate.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { dbTest } from "../store/_db.ts";
import { addLaterColumns, migrationsBefore } from "../store/_migrations.ts";
import { buildVrps } from "./_vrp_builder.ts";

const OURS = "0014_rpki_plan.sql";
const ROUTES = 120_000;

dbTest("migration 0014: rpki_rib_states() stays fast on a RIB without statistics", async (sql) => {
  const old = await migrationsBefore(OURS);
  try {
    await migrate(sql, { timescaledb: false, dir: old.dir });
    await addLaterColumns(sql, ""); // today's writer writes the columns of later files
    // As autovacuum leaves them for a while after a first load: never analyzed.
    await sql`ALTER TABLE rib SET (autovacuum_enabled = off)`;
    await sql`ALTER TABLE path_attrs SET (autovacuum_enabled = off)`;
    const writer = await StoreWriter.open(sql, { lanes: 2, batchRows: 20_000 });
    const m320 = await writer.router("m320", "192.0.2.1");
    for (const it of readBmpStream(await readInput(fixture("juniper-m320/m320.bmp.xz")))) {
      if (writer.stats.routes >= ROUTES) break;
      if (it.message) await writer.write(m320, it.message);
    }
    await writer.flush();
    await writer.close();
    const pairs = await sql`SELECT DISTINCT text(prefix) AS prefix,
      rpki_route_origin(as_path_text, origin_as)::float8 AS origin
      FROM v_routes WHERE rpki_state IS NOT NULL`;
    const { vrps } = buildVrps(
      pairs.filter((p) => p.origin !== null)
        .map((p) => ({ prefix: String(p.prefix), origin: Number(p.origin) })),
    );
    const rows = vrps.map((v) => ({
      source: "file:x",
      prefix: v.prefix,
      max_length: v.maxLength,
      asn: v.asn,
    }));
    for (let i = 0; i < rows.length; i += 10_000) {
      await sql`INSERT INTO rpki_vrps ${sql(rows.slice(i, i + 10_000))} ON CONFLICT DO NOTHING`;
    }
    await sql`INSERT INTO rpki_sources (source, state) VALUES ('file:x', 'current')`;
    await sql`ANALYZE rpki_vrps`;
    const [{ tuples }] = await sql`SELECT reltuples::float8 AS tuples FROM pg_class
      WHERE relname = 'rib'`;
    assertEquals(tuples, -1, "rib was never analyzed");

    const applied = (await migrate(sql, { timescaledb: false })).applied;
    assertEquals(applied[0], OURS);
    const t0 = performance.now();
    const states = await sql.begin(async (tx) => {
      await tx`SET LOCAL statement_timeout = '60s'`;
      return await tx`SELECT state, count(*)::int AS n FROM rpki_rib_states() GROUP BY 1`;
    });
    const ms = performance.now() - t0;
    const perRoute = await sql`SELECT rpki_state AS state, count(*)::int AS n FROM v_routes
      WHERE rpki_state IS NOT NULL GROUP BY 1`;
    const byState = (rs: readonly { state: string; n: number }[]) =>
      Object.fromEntries(rs.map((r) => [r.state, r.n]).sort());
    assertEquals(byState(states as never), byState(perRoute as never));
    const total = states.reduce((n, r) => n + Number(r.n), 0);
    assert(total >= ROUTES * 0.9, `${total} routes validated`);
    console.log(`  ${total} routes, no statistics: rpki_rib_states() in ${ms.toFixed(0)} ms`);
  } finally {
    await old.remove();
  }
});
