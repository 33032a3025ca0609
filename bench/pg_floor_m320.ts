/**
 * PostgreSQL's own floor for the M320 full table: the rows bmpmon stores for it (history,
 * current RIB, attribute sets), already encoded, COPYed by two connections at once (one
 * per core of the 2-vCPU machine) into fresh tables. No decoding, no upsert, no client
 * work but sending bytes: whatever the collector does, a load cannot be faster than this
 * on the same server. Prints seconds and routes/s per index set. No assertions.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:55432/postgres deno run -A bench/pg_floor_m320.ts
 *
 * @module
 */

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

/** Index sets measured: what is dropped after the migrations. */
const VARIANTS: { name: string; drop: string[] }[] = [
  { name: "as shipped (rib PK + GiST, history (peer, time) + (prefix, time), GIN ×3)", drop: [] },
  {
    name: "the issue's minimum (no history (prefix, time))",
    drop: ["DROP INDEX route_history_prefix"],
  },
  {
    name: "the issue's minimum, SP-GiST instead of GiST on rib",
    drop: [
      "DROP INDEX route_history_prefix",
      "DROP INDEX rib_prefix",
      "CREATE INDEX rib_prefix ON rib USING spgist (prefix inet_ops)",
    ],
  },
  {
    name: "rib: one unique prefix-leading btree + BRIN (peer_id), history and GIN as shipped",
    drop: [
      "ALTER TABLE rib DROP CONSTRAINT rib_pkey",
      "DROP INDEX rib_prefix",
      "CREATE UNIQUE INDEX rib_key ON rib (prefix, peer_id, path_id, afi, safi, rd, route_key) " +
      "NULLS NOT DISTINCT",
      "CREATE INDEX rib_peer ON rib USING brin (peer_id)",
    ],
  },
  {
    name: "same, without history (prefix, time)",
    drop: [
      "ALTER TABLE rib DROP CONSTRAINT rib_pkey",
      "DROP INDEX rib_prefix",
      "CREATE UNIQUE INDEX rib_key ON rib (prefix, peer_id, path_id, afi, safi, rd, route_key) " +
      "NULLS NOT DISTINCT",
      "CREATE INDEX rib_peer ON rib USING brin (peer_id)",
      "DROP INDEX route_history_prefix",
    ],
  },
  { name: "no index at all (heap only)", drop: ["*"] },
];

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

  for (const v of VARIANTS) {
    const sql = await dbs.create();
    if (v.drop[0] === "*") await dropAllIndexes(sql);
    else for (const s of v.drop) await sql.unsafe(s);
    const secs = await copySeconds(sql, rows);
    await sql.end();
    console.log(
      `  ${v.name}: ${secs.toFixed(2)} s = ${
        Math.round(NLRI / secs).toLocaleString("en-US")
      } routes/s`,
    );
  }
} finally {
  await dbs.drop();
}
