/**
 * The queries of issue 11 on a loaded store: ROUTERS routers (default 4), each a distinct
 * router sending the Juniper M320 full table (707,580 NLRI, so its own peer view), written
 * through the store writer; then each query's median time over warm runs and the indexes
 * its plan uses (EXPLAIN), against the bar. Peer Down is the UPDATE the writer runs
 * (src/store/events.ts), timed with the BRIN on peer_id and again with a btree instead;
 * queries fetch the columns `show routes` does. No assertions.
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

/**
 * The columns `show routes` / `GET /routes` fetch (src/control/handlers.ts ROUTE_COLUMNS):
 * what a query costs an operator includes sending and parsing them, and `SELECT *` of
 * the view's 50 columns took 26 ms for 1,536 rows against 3 ms of server time.
 */
const COLS = `router, host(peer) AS peer, peer_asn, peer_type, post_policy,
  adj_rib_out, loc_rib, table_name, afi, safi, rd, text(prefix) AS prefix, path_id,
  as_path_text, host(next_hop) AS next_hop, communities, large_communities, last_change`;

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
  // Communities by routes carrying them: the 11th (a blanket tag on a third of the table),
  // the 100th and the 1000th (the specific tags an operator looks up).
  const comms = await sql`SELECT c, count(*)::int AS n FROM rib JOIN path_attrs a ON a.id = attr_id,
    unnest(a.communities) AS c WHERE NOT withdrawn GROUP BY 1 ORDER BY 2 DESC`;
  const c = comms[10];
  const [{ id: peer, n: viewRoutes }] = await sql`SELECT peer_id AS id, count(*)::int AS n
    FROM rib GROUP BY 1 ORDER BY 2 DESC LIMIT 1`;

  const Q: [string, number, string][] = [
    [
      `longest match of ${a.addr}, all views`,
      5,
      `SELECT ${COLS} FROM (SELECT *, rank() OVER (PARTITION BY peer_id, rd
         ORDER BY masklen(prefix) DESC) AS lpm FROM v_routes
         WHERE prefix = ANY(covering('${a.addr}'))) v WHERE lpm = 1`,
    ],
    [`exact match ${a.p}, all views`, 5, `SELECT ${COLS} FROM v_routes WHERE prefix = '${a.p}'`],
    [
      `more-specifics of ${s.net} (<<)`,
      20,
      `SELECT ${COLS} FROM v_routes WHERE prefix << '${s.net}'`,
    ],
    [
      `history of ${a.p}`,
      10,
      `SELECT * FROM v_route_history WHERE prefix = '${a.p}' ORDER BY time DESC`,
    ],
    [
      `current routes of origin AS ${o.origin_as}`,
      100,
      `SELECT ${COLS} FROM v_routes WHERE origin_as = ${o.origin_as}`,
    ],
    [
      `routes with community ${c.c}`,
      100,
      `SELECT ${COLS} FROM v_routes WHERE communities @> ARRAY['${c.c}']`,
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
  await candidates(sql, {
    Q,
    peer,
    origin: o.origin_as,
    comms: [10, 100, 1000].map((i) => comms[Math.min(i, comms.length - 1)].c),
  });
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

/** MiB of a relation. */
async function mib(sql: Sql, rel: string): Promise<string> {
  const [r] = await sql`SELECT pg_relation_size(${rel}::regclass) AS n`;
  return `${(Number(r.n) / 2 ** 20).toFixed(0)} MiB`;
}

/**
 * A re-announcement storm of one view as the upsert leaves it: every route of `peer`
 * given other attributes (attr_id changed, last_change bumped), then set back. Non-HOT
 * for every row once an index covers attr_id.
 */
async function storm(sql: Sql, peer: number): Promise<string> {
  const t = performance.now();
  await sql.unsafe(`UPDATE rib SET attr_id = attr_id # 1, last_change = now()
    WHERE peer_id = ${peer}`);
  const ms = performance.now() - t;
  await sql.unsafe(`UPDATE rib SET attr_id = attr_id # 1 WHERE peer_id = ${peer}`);
  const [h] = await sql`SELECT n_tup_upd::float8 AS u, n_tup_hot_upd::float8 AS hot
    FROM pg_stat_user_tables WHERE relname = 'rib'`;
  await sql.unsafe("VACUUM ANALYZE rib");
  return `${(ms / 1000).toFixed(2)} s (${
    (100 * h.hot / Math.max(h.u, 1)).toFixed(0)
  } % HOT so far)`;
}

/**
 * The candidate indexes of issue 11, measured on the same load: history without its
 * prefix index (dropped in a transaction that is rolled back); the attribute queries and
 * a storm with `rib (attr_id)` (0009), without it, and with `rib (origin_as)` instead.
 */
async function candidates(
  sql: Sql,
  a: { Q: [string, number, string][]; peer: number; origin: number; comms: string[] },
): Promise<void> {
  const hist = a.Q.find(([n]) => n.startsWith("history"))!;
  const rollback = new Error("rollback");
  await sql.begin(async (tx) => {
    await tx.unsafe("DROP INDEX route_history_prefix");
    const r = await time(tx as unknown as Sql, hist[2], 3);
    line(
      `${hist[0]}, no (prefix, time) index`,
      hist[1],
      r.ms,
      r.rows,
      await plan(tx as unknown as Sql, hist[2]),
    );
    throw rollback;
  }).catch((e) => {
    if (e !== rollback) throw e;
  });

  const page = "ORDER BY router, peer, prefix, path_id LIMIT 1001"; // show routes' page
  const attrQ: [string, number, string][] = [
    [
      `current routes of origin AS ${a.origin}`,
      100,
      `SELECT ${COLS} FROM v_routes WHERE origin_as = ${a.origin}`,
    ],
    ...a.comms.flatMap((c): [string, number, string][] => [
      [
        `routes with community ${c}`,
        100,
        `SELECT ${COLS} FROM v_routes WHERE communities @> ARRAY['${c}']`,
      ],
      [
        `  same, first page (1,001)`,
        100,
        `SELECT ${COLS} FROM v_routes WHERE communities @> ARRAY['${c}'] ${page}`,
      ],
    ]),
  ];
  const run = async (title: string) => {
    console.log(`  ${title}:`);
    for (const [name, bar, q] of attrQ) {
      const r = await time(sql, q, 3);
      line(name, bar, r.ms, r.rows, await plan(sql, q));
    }
  };
  await run(`attribute queries, as shipped (rib_attr, ${await mib(sql, "rib_attr")})`);
  console.log(`  storm of a view (${a.peer}), as shipped: ${await storm(sql, a.peer)}`);

  await sql.unsafe("DROP INDEX rib_attr");
  await sql.unsafe("ANALYZE rib");
  await run("without rib (attr_id) (0008)");
  console.log(`  storm of a view, without rib (attr_id): ${await storm(sql, a.peer)}`);

  // rib.origin_as alone: a storm that keeps each route's origin stays HOT.
  let t = performance.now();
  await sql.unsafe("CREATE INDEX rib_origin ON rib (origin_as)");
  await sql.unsafe("ANALYZE rib");
  console.log(
    `  btree rib (origin_as) instead, built in ${
      (performance.now() - t).toFixed(0)
    } ms, ${await mib(sql, "rib_origin")}:`,
  );
  const direct = `SELECT ${COLS} FROM v_routes v WHERE peer_id IS NOT NULL AND (peer_id, afi,
    safi, rd, route_key, path_id) IN (SELECT peer_id, afi, safi, rd, route_key, path_id
    FROM rib WHERE rib.origin_as = ${a.origin})`;
  const r = await time(sql, direct, 3);
  line("origin AS on rib.origin_as", 100, r.ms, r.rows, await plan(sql, direct));
  console.log(`  storm of a view, with rib (origin_as): ${await storm(sql, a.peer)}`);
  await sql.unsafe("DROP INDEX rib_origin");

  t = performance.now();
  await sql.unsafe("CREATE INDEX rib_attr ON rib (attr_id)");
  await sql.unsafe("ANALYZE rib");
  console.log(`  rib_attr rebuilt in ${(performance.now() - t).toFixed(0)} ms`);
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
