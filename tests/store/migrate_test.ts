import { assert, assertEquals } from "../_assert.ts";
import { migrate, migrationFiles } from "../../src/store/migrate.ts";
import { dbTest } from "./_db.ts";

/** Every migration file but the TimescaleDB one (skipped without the extension). */
const PLAIN = (await migrationFiles(new URL("../../migrations/", import.meta.url)))
  .filter((f) => f !== "0003_timescaledb.sql");

dbTest("migrate() applies every file once and a second run changes nothing", async (sql) => {
  const first = await migrate(sql, { timescaledb: false });
  assertEquals(first.applied, PLAIN);
  assertEquals(first.skipped, ["0003_timescaledb.sql"]);
  const tables = await sql`SELECT count(*)::int AS n FROM information_schema.tables
    WHERE table_schema = 'public'`;
  const second = await migrate(sql, { timescaledb: false });
  assertEquals(second.applied, []);
  assertEquals(second.skipped, ["0003_timescaledb.sql"]);
  const again = await sql`SELECT count(*)::int AS n FROM information_schema.tables
    WHERE table_schema = 'public'`;
  assertEquals(again[0].n, tables[0].n);
  const recorded = await sql`SELECT name FROM schema_migrations ORDER BY name`;
  assertEquals(recorded.map((r) => r.name), PLAIN);
  for (
    const v of [
      "v_routes",
      "v_route_history",
      "v_peers",
      "v_evpn_routes",
      "v_churn",
      "v_moas",
      "route_activity_hourly_peer",
      "route_activity_hourly_origin",
    ]
  ) {
    await sql.unsafe(`SELECT * FROM ${v} LIMIT 1`);
  }
});

dbTest("migrate() re-applies the files itself when they are run again by hand", async (sql) => {
  await migrate(sql, { timescaledb: false });
  // Every statement is idempotent: a file half-applied by hand can be run again. Except
  // 0002 once 0006 is applied: 0006 adds a column to 0002's v_routes and v_route_history
  // and PostgreSQL cannot drop view columns, so 0006 is the file to re-run for them. Likewise
  // 0006 once 0011 is applied (0011 adds rpki_state to v_routes; 0011 re-runs for it).
  for (const f of PLAIN.filter((f) => f !== "0002_views.sql" && f !== "0006_prefix_sid.sql")) {
    await sql.unsafe(await Deno.readTextFile(new URL(`../../migrations/${f}`, import.meta.url)));
  }
});

dbTest("migrate() rejects a retention that is not an interval", async (sql) => {
  const e = await migrate(sql, { retention: "5 years; DROP TABLE x" }).catch((e) => e);
  assert(e instanceof RangeError, String(e));
});

dbTest(
  "migrate() calls onApply before each file it applies, with its place and the count",
  async (sql) => {
    const seen: [string, number, number][] = [];
    const first = await migrate(sql, {
      timescaledb: false,
      onApply: (name, i, n) => seen.push([name, i, n]),
    });
    assertEquals(seen, first.applied.map((f, i) => [f, i + 1, first.applied.length]));
    assertEquals(first.applied, PLAIN);
    seen.length = 0;
    await migrate(sql, { timescaledb: false, onApply: (name, i, n) => seen.push([name, i, n]) });
    assertEquals(seen, [], "nothing left to apply: not called");
  },
);
