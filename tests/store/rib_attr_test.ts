/**
 * Migration 0009: a btree on rib (attr_id) serves routes by origin AS and by community.
 * Checked on the start of a real full table (M320): an upgrade in place of a database written before 0009, that
 * the origin and community queries of `show routes` can probe it and then return what a
 * scan returns, and that a Peer Down stays a HOT update while an attribute change is not
 * (the price the index was measured for, docs/schema.md).
 */

import type { Sql } from "postgres";
import { assert, assertEquals } from "../_assert.ts";
import { migrate } from "../../src/store/migrate.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import type { BmpMessage } from "../../src/bmp/message.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { readInput } from "../../src/io/file.ts";
import { fixture } from "../_data.ts";
import { dbTest } from "./_db.ts";
import { addLaterColumns, migrationsBefore } from "./_migrations.ts";

const OURS = "0009_rib_attr.sql";

/** The start of the M320 full table (IPv4, communities on most routes), as two routers. */
const M320 = fixture("juniper-m320/m320.bmp.xz");
const MESSAGES = 4000;

async function write(sql: Sql): Promise<void> {
  const msgs: BmpMessage[] = [];
  for (const it of readBmpStream(await readInput(M320))) {
    if (it.message) msgs.push(it.message);
    if (msgs.length === MESSAGES) break;
  }
  const writer = await StoreWriter.open(sql, { lanes: 1 });
  try {
    for (const i of [0, 1]) {
      const routerId = await writer.router(`r${i}`, `192.0.2.${i + 1}`);
      for (const m of msgs) {
        const wait = writer.write(routerId, m);
        if (wait) await wait;
      }
    }
    await writer.flush();
  } finally {
    await writer.close();
  }
}

const RIB_ROWS = `SELECT peer_id, afi, safi, rd, route_key, path_id, attr_id::text, withdrawn
  FROM rib ORDER BY peer_id, afi, safi, rd, route_key, path_id`;

/** Index names in the plan of `q`. */
async function planIndexes(sql: Pick<Sql, "unsafe">, q: string): Promise<string[]> {
  const [row] = await sql.unsafe(`EXPLAIN (FORMAT JSON) ${q}`);
  const names: string[] = [];
  const walk = (n: Record<string, unknown>) => {
    if (typeof n["Index Name"] === "string") names.push(n["Index Name"]);
    for (const c of (n.Plans as Record<string, unknown>[] | undefined) ?? []) walk(c);
  };
  walk((row["QUERY PLAN"] as { Plan: Record<string, unknown> }[])[0].Plan);
  return names;
}

dbTest("migration 0009 adds rib (attr_id) to a database written before it", async (sql) => {
  const before = await migrationsBefore(OURS);
  try {
    const first = await migrate(sql, { timescaledb: false, dir: before.dir });
    assert(first.applied.includes("0008_rib_btree.sql") && !first.applied.includes(OURS));
  } finally {
    await before.remove();
  }
  // Today's writer also writes the columns later migrations add (0012: rib.nlri).
  await addLaterColumns(sql, "0010");
  await write(sql);
  const rows = await sql.unsafe(RIB_ROWS);
  assert(rows.length > 1000, `${rows.length} RIB rows`);
  const [{ n }] = await sql`SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'rib_attr'`;
  assertEquals(n, 0);

  const second = await migrate(sql, { timescaledb: false });
  assertEquals(second.applied[0], OURS); // later files follow it
  const [ix] = await sql`SELECT indexdef FROM pg_indexes WHERE indexname = 'rib_attr'`;
  assertEquals(ix.indexdef, "CREATE INDEX rib_attr ON public.rib USING btree (attr_id)");
  assertEquals(await sql.unsafe(RIB_ROWS), rows);
});

dbTest("rib_attr serves origin AS and community queries with a scan's results", async (sql) => {
  await migrate(sql, { timescaledb: false });
  await write(sql);
  // Arguments from the data: the busiest origin AS and community of the captures.
  const [o] = await sql`SELECT origin_as FROM v_routes WHERE origin_as IS NOT NULL
    GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`;
  const [c] = await sql`SELECT c FROM v_routes, unnest(communities) AS c
    GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`;
  assert(o && c, "the captures carry origin ASes and communities");
  const queries = [
    `SELECT text(prefix) AS p, peer_id, path_id FROM v_routes WHERE origin_as = ${o.origin_as}
      ORDER BY router, peer, prefix, path_id, peer_id`,
    `SELECT text(prefix) AS p, peer_id, path_id FROM v_routes
      WHERE communities @> ARRAY['${c.c}'] ORDER BY router, peer, prefix, path_id, peer_id`,
  ];
  const conn = await sql.reserve();
  try {
    for (const q of queries) {
      // Small tables: the planner would scan; forbid it to see the index can be probed.
      await conn.unsafe("SET enable_seqscan = off");
      assert((await planIndexes(conn, q)).includes("rib_attr"), q);
      const byIndex = await conn.unsafe(q);
      await conn.unsafe("RESET enable_seqscan");
      await conn.unsafe("SET enable_indexscan = off; SET enable_bitmapscan = off");
      const byScan = await conn.unsafe(q);
      await conn.unsafe("RESET enable_indexscan; RESET enable_bitmapscan");
      assert(byScan.length > 10, `${byScan.length} rows for ${q}`);
      assertEquals([...byIndex], [...byScan]);
    }
  } finally {
    conn.release();
  }
});

dbTest("with rib_attr, Peer Down stays HOT and an attribute change does not", async (sql) => {
  await migrate(sql, { timescaledb: false });
  await write(sql);
  await sql`VACUUM rib`;
  const [{ peer }] = await sql`SELECT peer_id AS peer FROM rib GROUP BY 1
    ORDER BY count(*) DESC LIMIT 1`;
  /** Rows `stmt` updated and how many of them HOT, counted inside its own transaction. */
  const updates = (stmt: string) =>
    sql.begin(async (tx) => {
      await tx.unsafe(stmt);
      const [r] = await tx`SELECT pg_stat_get_xact_tuples_updated('rib'::regclass)::int AS n,
        pg_stat_get_xact_tuples_hot_updated('rib'::regclass)::int AS hot`;
      return r;
    });
  // The Peer Down statement of src/store/events.ts.
  const down = await updates(`UPDATE rib SET withdrawn = true, withdrawn_time = now()
    WHERE peer_id = ANY('{${peer}}'::int[]) AND NOT withdrawn AND last_change <= now()`);
  // A few rows find no room on their page (then no update can be HOT); the rest are.
  assert(down.n > 1000 && down.hot > 0.9 * down.n, `${down.hot} of ${down.n} HOT`);
  await sql`VACUUM rib`;
  const changed = await updates(`UPDATE rib SET attr_id = attr_id # 1, last_change = now()
    WHERE peer_id = ${peer}`);
  assertEquals(changed.n, down.n);
  assertEquals(changed.hot, 0);
});
