/**
 * The queries of issue 11 on a loaded store: ROUTERS routers (default 4), each a distinct
 * router sending the Juniper M320 full table (707,580 NLRI, so its own peer view), written
 * through the store writer; then each query's median time over warm runs and the indexes
 * its plan uses (EXPLAIN), against the bar. Peer Down is the UPDATE the writer runs
 * (src/store/events.ts), timed with the BRIN on peer_id and again with a btree instead.
 * No assertions.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:55433/postgres ROUTERS=4 deno task bench:queries
 *   ROUTERS=1 deno task bench:queries --embedded       # PGlite (the embedded store)
 *
 * @module
 */

import postgres, { type Sql } from "postgres";
import { readBmpStream } from "../src/bmp/stream.ts";
import { readInput } from "../src/io/file.ts";
import { openEmbedded } from "../src/store/embedded/mod.ts";
import { migrate } from "../src/store/migrate.ts";
import { StoreWriter } from "../src/store/writer.ts";
import { ScratchDatabases } from "./_floor.ts";

const FILE = new URL("../tests/fixtures/juniper-m320/m320.bmp.xz", import.meta.url).pathname;
const ROUTERS = Number(Deno.env.get("ROUTERS") ?? 4);
const RUNS = 7;
const embedded = Deno.args.includes("--embedded");
const url = Deno.env.get("DATABASE_URL");
if (!embedded && !url) {
  console.log("queries: no DATABASE_URL (or --embedded), skipped");
  Deno.exit(0);
}

/** Index names and scanned tables of a plan. */
async function plan(sql: Sql, q: string): Promise<string> {
  const [row] = await sql.unsafe(`EXPLAIN (FORMAT JSON) ${q}`);
  const ix = new Set<string>();
  const seq = new Set<string>();
  const walk = (n: Record<string, unknown>) => {
    if (typeof n["Index Name"] === "string") ix.add(n["Index Name"]);
    if (n["Node Type"] === "Seq Scan") seq.add(String(n["Relation Name"]));
    for (const c of (n.Plans as Record<string, unknown>[] | undefined) ?? []) walk(c);
  };
  walk((row["QUERY PLAN"] as { Plan: Record<string, unknown> }[])[0].Plan);
  const parts = [ix.size ? `index ${[...ix].join(", ")}` : "NO INDEX"];
  if (seq.size) parts.push(`seq scan ${[...seq].join(", ")}`);
  return parts.join("; ");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time(sql: Sql, q: string, runs = RUNS): Promise<{ ms: number; rows: number }> {
  let rows = 0;
  const ms: number[] = [];
  await sql.unsafe(q); // warm
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    rows = (await sql.unsafe(q)).length;
    ms.push(performance.now() - t);
  }
  return { ms: median(ms), rows };
}

function line(name: string, bar: number, ms: number, rows: number, how: string): void {
  const ok = ms <= bar ? "ok " : "OVER";
  console.log(
    `  ${ok} ${name.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms (bar ${bar} ms, ` +
      `${rows} rows)  ${how}`,
  );
}

async function load(sql: Sql): Promise<void> {
  const bytes = await readInput(FILE);
  const writer = await StoreWriter.open(sql, { lanes: 2 });
  const t = performance.now();
  await Promise.all(Array.from({ length: ROUTERS }, async (_, i) => {
    const routerId = await writer.router(`m320-${i + 1}`, `192.0.2.${i + 1}`);
    for (const it of readBmpStream(bytes)) {
      if (!it.message) continue;
      const wait = writer.write(routerId, it.message);
      if (wait) await wait;
    }
  }));
  await writer.flush();
  await writer.close();
  const [c] = await sql`SELECT (SELECT count(*) FROM rib)::int AS rib,
    (SELECT count(*) FROM route_history)::int AS history,
    (SELECT count(*) FROM peers)::int AS views`;
  console.log(
    `loaded ${ROUTERS} × M320 in ${((performance.now() - t) / 1000).toFixed(1)} s: ` +
      `rib ${c.rib}, history ${c.history}, ${c.views} views`,
  );
  const v = performance.now();
  await sql.unsafe("VACUUM ANALYZE");
  console.log(`VACUUM ANALYZE ${((performance.now() - v) / 1000).toFixed(1)} s`);
}

/** The UPDATE of a Peer Down (src/store/events.ts), then the routes back, per run. */
async function peerDown(sql: Sql, peer: number, runs: number): Promise<number> {
  const down = `UPDATE rib SET withdrawn = true, withdrawn_time = now()
    WHERE peer_id = ANY('{${peer}}'::int[]) AND NOT withdrawn AND last_change <= now()`;
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await sql.unsafe(down);
    ms.push(performance.now() - t);
    await sql.unsafe(`UPDATE rib SET withdrawn = false, withdrawn_time = NULL
      WHERE peer_id = ${peer}`);
  }
  return median(ms);
}

async function queries(sql: Sql): Promise<void> {
  // Arguments from the data: a /24's first host, the /16 with most routes, busy AS/community.
  const [a] = await sql`SELECT host(prefix + 1) AS addr, text(prefix) AS p FROM rib
    WHERE family(prefix) = 4 AND masklen(prefix) = 24 ORDER BY prefix OFFSET 100000 LIMIT 1`;
  const [s] = await sql`SELECT text(set_masklen(prefix, 16)::cidr) AS net, count(*) AS n FROM rib
    WHERE family(prefix) = 4 AND masklen(prefix) > 16 GROUP BY 1 ORDER BY 2 DESC LIMIT 1`;
  const [o] = await sql`SELECT origin_as FROM rib WHERE origin_as IS NOT NULL
    GROUP BY 1 ORDER BY count(*) DESC OFFSET 10 LIMIT 1`;
  const [c] = await sql`SELECT c FROM path_attrs, unnest(communities) AS c
    GROUP BY 1 ORDER BY count(*) DESC OFFSET 10 LIMIT 1`;
  const [{ id: peer, n: viewRoutes }] = await sql`SELECT peer_id AS id, count(*)::int AS n
    FROM rib GROUP BY 1 ORDER BY 2 DESC LIMIT 1`;

  const Q: [string, number, string][] = [
    [
      `longest match of ${a.addr}, all views`,
      5,
      `SELECT * FROM (SELECT *, rank() OVER (PARTITION BY peer_id, rd
         ORDER BY masklen(prefix) DESC) AS lpm FROM v_routes
         WHERE prefix = ANY(covering('${a.addr}'))) v WHERE lpm = 1`,
    ],
    [`exact match ${a.p}, all views`, 5, `SELECT * FROM v_routes WHERE prefix = '${a.p}'`],
    [
      `more-specifics of ${s.net} (<<)`,
      20,
      `SELECT * FROM v_routes WHERE prefix << '${s.net}'`,
    ],
    [
      `history of ${a.p}`,
      10,
      `SELECT * FROM v_route_history WHERE prefix = '${a.p}' ORDER BY time DESC`,
    ],
    [
      `current routes of origin AS ${o.origin_as}`,
      100,
      `SELECT * FROM v_routes WHERE origin_as = ${o.origin_as}`,
    ],
    [
      `routes with community ${c.c}`,
      100,
      `SELECT * FROM v_routes WHERE communities @> ARRAY['${c.c}']`,
    ],
    [
      `route count of one view (${viewRoutes} rows)`,
      3000,
      `SELECT count(*) FROM rib WHERE peer_id = ${peer} AND NOT withdrawn`,
    ],
  ];
  for (const [name, bar, q] of Q) {
    const { ms, rows } = await time(sql, q);
    line(name, bar, ms, rows, await plan(sql, q));
  }
  const downQ = `UPDATE rib SET withdrawn = true WHERE peer_id = ANY('{${peer}}'::int[])
    AND NOT withdrawn AND last_change <= now()`;
  const how = await plan(sql, downQ);
  line(
    `Peer Down of a ${viewRoutes}-route view`,
    3000,
    await peerDown(sql, peer, 3),
    viewRoutes,
    how,
  );

  // The same per-view access with a btree on peer_id instead of the BRIN.
  const t = performance.now();
  await sql.unsafe("CREATE INDEX rib_peer_btree ON rib (peer_id)");
  const build = performance.now() - t;
  await sql.unsafe("DROP INDEX rib_peer");
  await sql.unsafe("ANALYZE rib");
  console.log(`  with a btree (peer_id) instead of the BRIN (built in ${build.toFixed(0)} ms):`);
  const [name, bar, q] = Q.at(-1)!;
  const r = await time(sql, q);
  line(name, bar, r.ms, r.rows, await plan(sql, q));
  line(
    `Peer Down of a ${viewRoutes}-route view`,
    3000,
    await peerDown(sql, peer, 3),
    viewRoutes,
    await plan(sql, downQ),
  );
  const [sz] = await sql`SELECT pg_relation_size('rib_key') AS key,
    pg_relation_size('rib_peer_btree') AS btree, pg_relation_size('rib') AS heap`;
  console.log(
    `  sizes: heap ${(Number(sz.heap) / 2 ** 20).toFixed(0)} MiB, rib_key ${
      (Number(sz.key) / 2 ** 20).toFixed(0)
    } MiB, btree (peer_id) ${(Number(sz.btree) / 2 ** 20).toFixed(0)} MiB`,
  );
}

if (embedded) {
  const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-bench-queries-" });
  const store = await openEmbedded({ dataDir });
  const sql = postgres({ ...store.connection, max: 6, onnotice: () => {} });
  try {
    await migrate(sql);
    console.log(`embedded store (PGlite), ROUTERS=${ROUTERS}`);
    await load(sql);
    await queries(sql);
  } finally {
    await sql.end();
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
} else {
  const dbs = new ScratchDatabases(url!);
  try {
    const sql = await dbs.create();
    const [{ v }] = await sql`SELECT current_setting('server_version') AS v`;
    console.log(`PostgreSQL ${v} at ${new URL(url!).host}, ROUTERS=${ROUTERS}`);
    await load(sql);
    await queries(sql);
    await sql.end();
  } finally {
    await dbs.drop();
  }
}
