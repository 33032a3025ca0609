/**
 * Migration 0011 (origin validation, suspect views) upgrades a database in use in place:
 * v_routes keeps its columns in order with rpki_state added last, rows are kept, and the
 * new objects answer.
 */

import { assert, assertEquals } from "../_assert.ts";
import { migrate } from "../../src/store/migrate.ts";
import { dbTest } from "./_db.ts";
import { migrationsBefore, tableColumns } from "./_migrations.ts";

const OURS = "0011_rpki_rov.sql";

dbTest(
  "migration 0011 adds rpki_state to v_routes of a database in use, keeping its rows",
  async (sql) => {
    const old = await migrationsBefore(OURS);
    try {
      const first = await migrate(sql, { timescaledb: false, dir: old.dir });
      assert(!first.applied.includes(OURS));
      await sql`INSERT INTO routers (id, key) VALUES (1, 'r1')`;
      await sql`INSERT INTO peers (id, router_id, peer_type, address, post_policy)
      VALUES (1, 1, 0, '192.0.2.1', true)`;
      await sql`INSERT INTO path_attrs (id, origin, as_path, as_path_text, origin_as)
      VALUES (42, 0, '{64500,65001}', '64500 65001', 65001)`;
      await sql`INSERT INTO rib (peer_id, afi, safi, rd, route_key, path_id, prefix, attr_id,
        origin_as, first_seen, last_change)
      VALUES (1, 1, 1, '', '10.1.0.0/16', 0, '10.1.0.0/16', 42, 65001, now(), now())`;
      await sql`INSERT INTO rpki_sources (source, state) VALUES ('file:x', 'current')`;
      await sql`INSERT INTO rpki_vrps VALUES ('file:x', '10.0.0.0/8', 16, 65001)`;
      const before = await tableColumns(sql, "v_routes");
      const routesBefore = await sql`SELECT * FROM v_routes`;
      assert(!before.includes("rpki_state"));

      const second = await migrate(sql, { timescaledb: false });
      assertEquals(second.applied[0], OURS); // later files too
      assertEquals(await tableColumns(sql, "v_routes"), [...before, "rpki_state"]);
      const after = await sql`SELECT * FROM v_routes`;
      assertEquals(after.map(({ rpki_state: _, ...r }) => r), [...routesBefore]);
      assertEquals(after.map((r) => r.rpki_state), ["valid"]);
      for (
        const v of [
          "v_rpki_invalid",
          "v_suspect_subprefix",
          "v_suspect_new_origin",
          "v_suspect_otc",
          "v_suspect_private_asn",
        ]
      ) {
        await sql.unsafe(`SELECT * FROM ${v}`);
      }
      // Applied again: nothing to do.
      assertEquals((await migrate(sql, { timescaledb: false })).applied, []);
    } finally {
      await old.remove();
    }
  },
);
