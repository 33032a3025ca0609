/**
 * Migration 0006 (Prefix-SID column) upgrades a database in place, and the writer fills
 * the column. The old database is built with the migration files before 0006 (copied to
 * a temporary directory, passed to `migrate()` as `dir`).
 */

import { assert, assertEquals } from "../_assert.ts";
import { migrate } from "../../src/store/migrate.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import {
  asPath,
  attr,
  cat,
  decodeBmp,
  fromHex,
  ip6,
  mpReach,
  origin,
  prefix,
  rd0,
  routeMonitoring,
  update,
} from "../_build.ts";
import { dbTest } from "./_db.ts";
import { MIGRATIONS, migrationsBefore, tableColumns } from "./_migrations.ts";

const OURS = "0006_prefix_sid.sql";

/** SRv6 L3 Service TLV of pmacct test 400 (IOS-XR 7.10 SRv6 L3VPN). */
const SRV6_L3 = "0500220001001e0020010db800910000000000000000000000003e00010006201010001030";

const previousMigrations = () => migrationsBefore(OURS);

dbTest(
  "migration 0006 adds path_attrs.prefix_sid to a database in use, keeping its rows",
  async (sql) => {
    const old = await previousMigrations();
    try {
      const first = await migrate(sql, { timescaledb: false, dir: old.dir });
      assert(first.applied.length > 0 && !first.applied.includes(OURS));
      // Rows as a collector before 0006 wrote them: the Prefix-SID raw in unknown_attrs.
      const unknown = [{ type: 40, flags: 0xc0, value: SRV6_L3 }];
      await sql`INSERT INTO routers (id, key) VALUES (1, 'r1')`;
      await sql`INSERT INTO peers (id, router_id, peer_type, address, post_policy)
      VALUES (1, 1, 0, '192.0.2.1', true)`;
      await sql`INSERT INTO path_attrs (id, origin, as_path, next_hop, unknown_attrs)
      VALUES (42, 0, '{65001}', '2001:db8::ff', ${sql.json(unknown)})`;
      await sql`INSERT INTO rib (peer_id, afi, safi, rd, route_key, path_id, prefix, labels,
        attr_id, first_seen, last_change)
      VALUES (1, 2, 1, '', '2001:db8:1::/48', 0, '2001:db8:1::/48', NULL, 42, now(), now())`;
      await sql`INSERT INTO route_history (time, router_id, peer_id, afi, safi, prefix,
        withdrawn, attr_id) VALUES (now(), 1, 1, 2, 1, '2001:db8:1::/48', false, 42)`;
      const before = {
        attrs: await tableColumns(sql, "path_attrs"),
        routes: await tableColumns(sql, "v_routes"),
        history: await tableColumns(sql, "v_route_history"),
      };
      const routesBefore = await sql`SELECT * FROM v_routes`;
      const historyBefore = await sql`SELECT * FROM v_route_history`;
      assert(!before.attrs.includes("prefix_sid"));

      // Up to 0006 only: later files change the same views (0011 adds rpki_state to
      // v_routes), and 0006 run again by hand below must find the views it made.
      const through = await migrationsBefore("0007");
      const second = await migrate(sql, { timescaledb: false, dir: through.dir })
        .finally(() => through.remove());
      assertEquals(second.applied, [OURS]);
      assertEquals(await tableColumns(sql, "path_attrs"), [...before.attrs, "prefix_sid"]);
      // Existing columns keep their order; the new one comes last.
      assertEquals(await tableColumns(sql, "v_routes"), [
        ...before.routes,
        "prefix_sid",
        "problems",
      ]);
      assertEquals(await tableColumns(sql, "v_route_history"), [...before.history, "prefix_sid"]);
      const routesAfter = await sql`SELECT * FROM v_routes`;
      const historyAfter = await sql`SELECT * FROM v_route_history`;
      assertEquals(routesAfter.map(({ prefix_sid: _, problems: _p, ...r }) => r), [
        ...routesBefore,
      ]);
      assertEquals(historyAfter.map(({ prefix_sid: _, ...r }) => r), [...historyBefore]);
      assertEquals(routesAfter.map((r) => r.prefix_sid), [null]);
      const [a] = await sql`SELECT unknown_attrs, prefix_sid FROM path_attrs WHERE id = 42`;
      assertEquals([a.unknown_attrs, a.prefix_sid], [unknown, null]);
      await sql`SELECT * FROM v_evpn_routes`;
      // Run by hand again: the file is idempotent.
      await sql.unsafe(await Deno.readTextFile(new URL(OURS, MIGRATIONS)));
      // And the files after it upgrade that database too.
      const rest = await migrate(sql, { timescaledb: false });
      assert(rest.applied.length > 0 && !rest.applied.includes(OURS));
      assertEquals((await sql`SELECT prefix_sid FROM v_routes`).length, 1);
    } finally {
      await Deno.remove(old.dir, { recursive: true });
    }
  },
);

dbTest("StoreWriter stores the decoded Prefix-SID in path_attrs and the views", async (sql) => {
  await migrate(sql, { timescaledb: false });
  const body = update({
    attrs: [
      origin(0),
      asPath([65001]),
      mpReach(2, 128, cat(Array(8).fill(0), ip6("2001:db8::ff")), [
        prefix("2001:db8:1::/48", { labels: [0x3e8], rd: rd0(65000, 1) }),
      ]),
      attr(40, fromHex(SRV6_L3)),
    ],
  });
  const m = decodeBmp(routeMonitoring(body));
  assert(m.kind === "route_monitoring" && m.update.attributes.prefixSid);
  const writer = await StoreWriter.open(sql, { lanes: 1 });
  try {
    const routerId = await writer.router("r1", "192.0.2.1");
    const wait = writer.write(routerId, m);
    if (wait) await wait;
    await writer.flush();
  } finally {
    await writer.close();
  }
  const [a] = await sql`SELECT prefix_sid, unknown_attrs FROM path_attrs`;
  assertEquals(a.unknown_attrs, null);
  // jsonb reorders keys: compare as canonical JSON.
  assertEquals(a.prefix_sid, JSON.parse(JSON.stringify(m.update.attributes.prefixSid)));
  const sid = a.prefix_sid.srv6L3Service.sidInformation[0];
  assertEquals([sid.sid, sid.endpointBehavior, sid.structure.transpositionOffset], [
    "2001:db8:91::",
    62,
    48,
  ]);
  const [r] = await sql`SELECT prefix_sid->'srv6L3Service'->'sidInformation'->0->>'sid' AS sid,
    labels FROM v_routes`;
  assertEquals([r.sid, r.labels], ["2001:db8:91::", [0x3e8]]);
  const [h] = await sql`SELECT prefix_sid IS NOT NULL AS has FROM v_route_history`;
  assertEquals(h.has, true);
});
