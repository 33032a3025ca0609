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

import postgres, { type Sql } from "postgres";
import { readBmpStream } from "../src/bmp/stream.ts";
import { readInput } from "../src/io/file.ts";
import { CopyBuffer, copyIn } from "../src/store/copy.ts";
import { concat } from "../src/store/embedded/wire.ts";
import { migrate } from "../src/store/migrate.ts";
import { StoreWriter } from "../src/store/writer.ts";

const url = Deno.env.get("DATABASE_URL");
if (!url) {
  console.log("pg_floor_m320: no DATABASE_URL, skipped");
  Deno.exit(0);
}
const NLRI = 707_580;
const TABLES = ["path_attrs", "route_history", "rib"] as const;
const CONNECTIONS = 2;

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
    name: "no index at all (heap only)",
    drop: [
      "DROP INDEX route_history_prefix",
      "DROP INDEX route_history_peer_time",
      "DROP INDEX rib_prefix",
      "ALTER TABLE rib DROP CONSTRAINT rib_pkey",
      "DROP INDEX path_attrs_as_path",
      "DROP INDEX path_attrs_communities",
      "DROP INDEX path_attrs_large_communities",
      "DROP INDEX path_attrs_origin_as",
      "ALTER TABLE path_attrs DROP CONSTRAINT path_attrs_pkey",
    ],
  },
];

const admin = postgres(url, { onnotice: () => {}, max: 1 });
const created: string[] = [];

async function scratch(): Promise<Sql> {
  const name = `bmpmon_floor_${crypto.randomUUID().slice(0, 8)}`;
  await admin.unsafe(`CREATE DATABASE ${name}`);
  created.push(name);
  const u = new URL(url!);
  u.pathname = `/${name}`;
  const sql = postgres(u.href, { onnotice: () => {}, max: CONNECTIONS + 2 });
  await migrate(sql, { timescaledb: false });
  return sql;
}

/** `COPY table TO STDOUT`, split into `parts` buffers of whole rows. */
async function dump(sql: Sql, table: string, parts: number): Promise<CopyBuffer[]> {
  const chunks: Uint8Array[] = [];
  for await (const c of await sql.unsafe(`COPY ${table} TO STDOUT`).readable()) chunks.push(c);
  const all = concat(chunks);
  const out: CopyBuffer[] = [];
  let start = 0;
  for (let i = 1; i <= parts; i++) {
    let end = i === parts ? all.length : Math.floor((all.length * i) / parts);
    while (end < all.length && all[end - 1] !== 0x0a) end++;
    out.push(new CopyBuffer(end - start + 1).append(all.subarray(start, end)));
    start = end;
  }
  return out;
}

try {
  // The rows, as the writer stores them.
  const source = await scratch();
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
  const rows = new Map<string, CopyBuffer[]>();
  for (const t of TABLES) rows.set(t, await dump(source, t, CONNECTIONS));
  await source.end();
  const mib = [...rows.values()].flat().reduce((n, b) => n + b.length, 0) / 2 ** 20;
  console.log(
    `M320 rows (${NLRI.toLocaleString("en-US")} history, RIB and attribute rows: ` +
      `${mib.toFixed(0)} MiB of COPY text), ${CONNECTIONS} connections in parallel:`,
  );

  for (const v of VARIANTS) {
    const sql = await scratch();
    for (const s of v.drop) await sql.unsafe(s);
    const conns = await Promise.all(Array.from({ length: CONNECTIONS }, () => sql.reserve()));
    const t0 = performance.now();
    await Promise.all(conns.map(async (c, i) => {
      await c.unsafe("BEGIN");
      for (const t of TABLES) await copyIn(c, t, rows.get(t)![i]);
      await c.unsafe("COMMIT");
    }));
    const secs = (performance.now() - t0) / 1000;
    for (const c of conns) c.release();
    await sql.end();
    console.log(
      `  ${v.name}: ${secs.toFixed(2)} s = ${
        Math.round(NLRI / secs).toLocaleString("en-US")
      } routes/s`,
    );
  }
} finally {
  for (const name of created) await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
