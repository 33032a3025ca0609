/**
 * PostgreSQL's own floor for the M320 full table: the rows bmpmon stores for it (history,
 * current RIB, attribute sets), already encoded, COPYed by two connections at once (one
 * per core of the 2-vCPU machine) into fresh tables. No decoding, no upsert, no client
 * work but sending bytes: whatever the collector does, a load cannot be faster than this
 * on the same server. Prints seconds and routes/s per index set, and what a storm of
 * re-announcements with other attributes then costs (one UPDATE of every RIB row). No
 * assertions.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:55432/postgres deno run -A bench/pg_floor_m320.ts
 *
 * @module
 */

import type { Sql } from "postgres";
import { readBmpStream } from "../src/bmp/stream.ts";
import { readInput } from "../src/io/file.ts";
import { StoreWriter } from "../src/store/writer.ts";
import { copySeconds, dropAllIndexes, dumpMiB, dumpRoutes, ScratchDatabases } from "./_floor.ts";

const url = Deno.env.get("DATABASE_URL");
if (!url) {
  console.log("pg_floor_m320: no DATABASE_URL, skipped");
  Deno.exit(0);
}
const NLRI = 707_580;

/** Index sets measured: what is run after the migrations (0009: rib_key, BRIN, rib_attr). */
const VARIANTS: { name: string; drop: string[] }[] = [
  {
    name: "as shipped: rib_key + BRIN (peer_id) + rib (attr_id), history ×2, GIN ×3",
    drop: [],
  },
  { name: "without rib (attr_id) (= 0008)", drop: ["DROP INDEX rib_attr"] },
  { name: "+ btree rib (origin_as)", drop: ["CREATE INDEX rib_origin ON rib (origin_as)"] },
  {
    name: "btree rib (origin_as) instead of rib (attr_id)",
    drop: ["DROP INDEX rib_attr", "CREATE INDEX rib_origin ON rib (origin_as)"],
  },
  {
    name: "btree rib (peer_id) instead of the BRIN",
    drop: ["DROP INDEX rib_peer", "CREATE INDEX rib_peer ON rib (peer_id)"],
  },
  { name: "without history (prefix, time)", drop: ["DROP INDEX route_history_prefix"] },
  {
    name: "history hash (prefix) instead of (prefix, time)",
    drop: [
      "DROP INDEX route_history_prefix",
      "CREATE INDEX route_history_prefix ON route_history USING hash (prefix)",
    ],
  },
  {
    name: "history (prefix) instead of (prefix, time)",
    drop: [
      "DROP INDEX route_history_prefix",
      "CREATE INDEX route_history_prefix ON route_history (prefix)",
    ],
  },
  { name: "no index at all (heap only)", drop: ["*"] },
];

/**
 * The M320 re-announced with other attributes, as the upsert leaves `rib`: every row's
 * attr_id and last_change changed in one UPDATE (HOT unless an index covers attr_id).
 */
async function stormSeconds(sql: Sql): Promise<number> {
  await sql.unsafe("VACUUM ANALYZE rib");
  const t = performance.now();
  await sql.unsafe("UPDATE rib SET attr_id = attr_id # 1, last_change = now()");
  return (performance.now() - t) / 1000;
}

const dbs = new ScratchDatabases(url);
try {
  // The rows, as the writer stores them.
  const source = await dbs.create();
  const writer = await StoreWriter.open(source, { lanes: 2 });
  const routerId = await writer.router("192.0.2.1", "192.0.2.1");
  const stream = await readInput(
    new URL("../tests/fixtures/juniper-m320/m320.bmp.xz", import.meta.url).pathname,
  );
  for (const it of readBmpStream(stream)) {
    if (!it.message) continue;
    const wait = writer.write(routerId, it.message);
    if (wait) await wait;
  }
  await writer.close();
  const rows = await dumpRoutes(source);
  await source.end();
  console.log(
    `M320 rows (${NLRI.toLocaleString("en-US")} history, RIB and attribute rows: ` +
      `${dumpMiB(rows).toFixed(0)} MiB of COPY text), 2 connections in parallel:`,
  );

  // FLOOR_VARIANTS=regex measures only the variants whose name matches.
  const only = new RegExp(Deno.env.get("FLOOR_VARIANTS") ?? "");
  for (const v of VARIANTS.filter((v) => only.test(v.name))) {
    const sql = await dbs.create();
    if (v.drop[0] === "*") await dropAllIndexes(sql);
    else for (const s of v.drop) await sql.unsafe(s);
    const secs = await copySeconds(sql, rows);
    const storm = await stormSeconds(sql);
    await sql.end();
    console.log(
      `  ${v.name}: ${secs.toFixed(2)} s = ${
        Math.round(NLRI / secs).toLocaleString("en-US")
      } routes/s; storm (every route, other attributes) ${storm.toFixed(2)} s`,
    );
  }
} finally {
  await dbs.drop();
}
