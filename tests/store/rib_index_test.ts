/**
 * Migration 0008: the RIB's primary key and GiST give way to one unique prefix-leading
 * btree (`rib_key`) and a BRIN on peer_id; `covering(inet)` serves longest match.
 * Checked: an upgrade in place of a database written before 0008, that the new key dedupes
 * as the old one did (EVPN rows with prefix NULL included), that the planner takes
 * `rib_key` for exact, more-specific and covering queries, and that those queries return
 * what the old operators (`>>=`, and `<<`/`<<=` evaluated row by row) return on real
 * captures.
 */

import type { Sql } from "postgres";
import { assert, assertEquals } from "../_assert.ts";
import { migrate } from "../../src/store/migrate.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import type { BmpMessage } from "../../src/bmp/message.ts";
import { fixtureMessages } from "../_data.ts";
import { dbTest } from "./_db.ts";
import { addLaterColumns, migrationsBefore } from "./_migrations.ts";

const OURS = "0008_rib_btree.sql";

const previousMigrations = async () => (await migrationsBefore(OURS)).dir;

/** Real captures: IPv4/IPv6 unicast over several views (pre/post-policy), and EVPN. */
const CAPTURES = [
  "gobgp-frr-lab/gobgp-3.10-all-1k.bmp",
  "gobgp-frr-lab/frr-8.4-prepost-1k.bmp",
  "netgauze/evpn/evpn.pcap",
];

async function write(sql: Sql, msgs: BmpMessage[][]): Promise<void> {
  const writer = await StoreWriter.open(sql, { lanes: 1 });
  try {
    for (const [i, list] of msgs.entries()) {
      const routerId = await writer.router(`r${i}`, `192.0.2.${i + 1}`);
      for (const m of list) {
        const wait = writer.write(routerId, m);
        if (wait) await wait;
      }
    }
    await writer.flush();
  } finally {
    await writer.close();
  }
}

const RIB_ROWS = `SELECT peer_id, afi, safi, rd, route_key, path_id, text(prefix) AS prefix,
  attr_id::text, withdrawn FROM rib ORDER BY peer_id, afi, safi, rd, route_key, path_id`;

async function indexes(sql: Sql): Promise<Record<string, string>> {
  const rows = await sql`SELECT c.relname, am.amname, x.indisunique, x.indnullsnotdistinct
    FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_am am ON am.oid = c.relam
    WHERE x.indrelid = 'rib'::regclass`;
  return Object.fromEntries(rows.map((r) => [
    r.relname,
    `${r.amname}${r.indisunique ? " unique" : ""}${
      r.indnullsnotdistinct ? " nulls-not-distinct" : ""
    }`,
  ]));
}

dbTest("migration 0008 moves a database written before it to rib_key in place", async (sql) => {
  const msgs = await Promise.all(CAPTURES.map(fixtureMessages));
  const first = await migrate(sql, { timescaledb: false, dir: await previousMigrations() });
  assert(first.applied.includes("0007_time_partitions.sql") && !first.applied.includes(OURS));
  // Written by the collector on the old schema. Its upsert now names rib_key's columns, so
  // a unique index on them stands in while it writes (the PK still holds every row).
  await sql`CREATE UNIQUE INDEX stand_in ON rib (prefix, peer_id, path_id, afi, safi, rd,
    route_key) NULLS NOT DISTINCT`;
  // And the columns later migrations add (0012: rib.nlri), which it writes too.
  await addLaterColumns(sql, "0010");
  await write(sql, msgs);
  await sql`DROP INDEX stand_in`;
  assertEquals(Object.keys(await indexes(sql)).sort(), ["rib_pkey", "rib_prefix"]);
  const before = await sql.unsafe(RIB_ROWS);
  const nullPrefix = before.filter((r) => r.prefix === null).length;
  assert(nullPrefix > 0, "the EVPN capture has routes without a prefix");
  assert(before.length > 1000);

  // Up to this migration only: 0009 adds rib_attr (tests/store/rib_attr_test.ts).
  const upTo = await migrationsBefore("0009");
  const second = await migrate(sql, { timescaledb: false, dir: upTo.dir });
  await upTo.remove();
  assertEquals(second.applied, [OURS]);
  assertEquals(await sql.unsafe(RIB_ROWS), before);
  assertEquals(await indexes(sql), {
    rib_key: "btree unique nulls-not-distinct",
    rib_peer: "brin",
  });

  // Every route flagged withdrawn (as by a Peer Down), then the same captures again: each
  // route goes through the upsert on rib_key and its row is back as it was; none is added.
  await sql`UPDATE rib SET withdrawn = true, withdrawn_time = now()`;
  const [{ h0 }] = await sql`SELECT count(*)::int AS h0 FROM route_history`;
  await write(sql, msgs);
  assertEquals(await sql.unsafe(RIB_ROWS), before);
  const [{ h1 }] = await sql`SELECT count(*)::int AS h1 FROM route_history`;
  assertEquals(h1, 2 * h0);

  // A second row of a NULL-prefix EVPN route collides as it did with the PK.
  const [evpn] = await sql`SELECT * FROM rib WHERE prefix IS NULL LIMIT 1`;
  const copy = sql`INSERT INTO rib (peer_id, afi, safi, rd, route_key, path_id, first_seen,
    last_change) VALUES (${evpn.peer_id}, ${evpn.afi}, ${evpn.safi}, ${evpn.rd},
    ${evpn.route_key}, ${evpn.path_id}, now(), now())`;
  const err = await copy.then(() => null, (e) => e);
  assertEquals(err?.code, "23505");
});

/** The captures, and with `many` rows enough for the planner to prefer an index. */
async function fill(sql: Sql, many: boolean): Promise<void> {
  await migrate(sql, { timescaledb: false });
  await write(sql, await Promise.all(CAPTURES.map(fixtureMessages)));
  // 2 views × 64k IPv4 /24s.
  if (!many) return;
  await sql`INSERT INTO rib (peer_id, afi, safi, rd, route_key, path_id, prefix, first_seen,
      last_change)
    SELECT 1000 + v, 1, 1, '', text(p), 0, p, now(), now()
    FROM generate_series(0, 1) AS v,
      LATERAL (SELECT set_masklen(('20.0.0.0'::inet + (i << 8)), 24) AS p
        FROM generate_series(0, 65535) AS i) s`;
  await sql`ANALYZE rib`;
}

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

dbTest("rib_key serves exact, <<, <<= and covering() queries (EXPLAIN)", async (sql) => {
  await fill(sql, true);
  for (
    const where of [
      "prefix = '20.1.2.0/24'",
      "prefix << '20.1.0.0/16'",
      "prefix <<= '20.1.0.0/16'",
      "prefix = ANY(covering('20.1.2.3'))",
      "prefix = ANY(covering('2001:db8::1'))",
    ]
  ) {
    const names = await planIndexes(sql, `SELECT * FROM rib WHERE ${where}`);
    assertEquals(names, ["rib_key"], where);
  }
  // Through the view, and with a generic plan of the control API's parameterised query.
  assert((await planIndexes(sql, `SELECT * FROM v_routes WHERE prefix = ANY(covering('20.1.2.3'))`))
    .includes("rib_key"));
  const conn = await sql.reserve();
  try {
    await conn.unsafe(`SET plan_cache_mode = force_generic_plan;
      PREPARE lpm(inet) AS SELECT * FROM rib WHERE prefix = ANY(covering($1))`);
    assertEquals(await planIndexes(conn, "EXECUTE lpm('20.1.2.3')"), ["rib_key"]);
  } finally {
    conn.release();
  }
  // Per view: the BRIN.
  assert((await planIndexes(sql, "SELECT count(*) FROM rib WHERE peer_id = 1001"))
    .includes("rib_peer"));
});

dbTest("covering() and the btree give the old operators' results on real captures", async (sql) => {
  await fill(sql, false);
  const probes = (await sql`SELECT DISTINCT prefix FROM rib WHERE prefix IS NOT NULL`).map((r) =>
    r.prefix as string
  );
  assert(probes.length > 500, `${probes.length} prefixes`);
  // Each prefix, its first address and a wider net around it.
  const addrs = probes.flatMap((
    p,
  ) => [
    p,
    p.split("/")[0],
    `${p.split("/")[0]}/${Math.max(0, Number(p.split("/")[1] ?? 32) - 4)}`,
  ]);
  const KEY = "peer_id, afi, safi, rd, route_key, path_id";
  const conn = await sql.reserve();
  const result = (where: string) =>
    conn.unsafe(
      `SELECT q, array_agg(${KEY.replaceAll(", ", " || '/' || ")} ORDER BY ${KEY})
      AS rows FROM unnest($1::inet[]) AS q JOIN rib ON ${where} GROUP BY q ORDER BY q`,
      [addrs],
    );
  const byIndex = async (where: string) => {
    await conn.unsafe("SET enable_seqscan = off");
    try {
      return await result(where);
    } finally {
      await conn.unsafe("RESET enable_seqscan");
    }
  };
  // Row by row, no index can apply: the operators' own answer.
  const byScan = async (where: string) => {
    await conn.unsafe("SET enable_indexscan = off; SET enable_bitmapscan = off");
    try {
      return await result(where);
    } finally {
      await conn.unsafe("RESET enable_indexscan; RESET enable_bitmapscan");
    }
  };
  try {
    const longest = await byIndex("prefix = ANY(covering(q))");
    assertEquals(longest, await byScan("prefix >>= q"));
    assert(longest.length >= probes.length);
    for (const op of ["<<", "<<=", "="]) {
      assertEquals(await byIndex(`prefix ${op} q`), await byScan(`prefix ${op} q`), op);
    }
  } finally {
    conn.release();
  }
});
