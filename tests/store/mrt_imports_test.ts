/**
 * Migration 0015 (`mrt_imports`, the ledger of `bmpmon import`) upgrades a database of
 * 0014 in place: its routes stay, and an import afterwards is recorded and not repeated.
 *
 * @module
 */

import { migrate } from "../../src/store/migrate.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { importInto } from "../cli/_import.ts";
import { dbTest } from "./_db.ts";
import { migrateBefore, storeLabRoutes } from "./_migrations.ts";

dbTest(
  "migration 0015: a database of 0014 with routes gets mrt_imports; imports then skip a file seen",
  async (sql) => {
    await migrateBefore(sql, "0015_mrt_imports.sql");
    const [{ t }] = await sql`SELECT to_regclass('mrt_imports')::text AS t`;
    assertEquals(t, null);
    // Routes stored under 0014 (0015 adds a table only: today's writer writes the rest).
    await storeLabRoutes(sql, "gobgp-frr-lab/frr-8.4-prepost-1k.bmp");
    const [{ last }] = await sql`SELECT max(name) AS last FROM schema_migrations`;
    assertEquals(last, "0014_rpki_plan.sql");
    const [before] = await sql`SELECT count(*)::int AS n, md5(string_agg(prefix::text, ',' ORDER BY
    prefix, peer_id, path_id)) AS md5 FROM rib`;
    const upgraded = await migrate(sql);
    assertEquals(upgraded.applied[0], "0015_mrt_imports.sql");
    const [{ applied }] = await sql`SELECT count(*)::int AS applied FROM schema_migrations
    WHERE name = '0015_mrt_imports.sql'`;
    assertEquals(applied, 1);
    assert(before.n > 1000, `${before.n} routes before`);
    const rib = fixture("mrt/mrtparse/quagga_rib");
    const first = await importInto(sql, [rib]);
    assertEquals(first.imported, [rib]);
    const again = await importInto(sql, [rib]);
    assertEquals(again.imported, []);
    const [after] = await sql`SELECT count(*)::int AS n, md5(string_agg(prefix::text, ',' ORDER BY
    prefix, peer_id, path_id)) AS md5 FROM rib WHERE peer_id IN (SELECT p.id FROM peers p
    JOIN routers r ON r.id = p.router_id WHERE r.key NOT LIKE 'mrt:%')`;
    assertEquals({ ...after }, { ...before });
  },
);
