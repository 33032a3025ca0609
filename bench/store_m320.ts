/**
 * The M320 full table (707,580 NLRI) decoded and written through the store writer into a
 * fresh database: prints routes/s, seconds, rows and bytes per route. No assertions.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:55432/postgres \
 *     deno run -A bench/store_m320.ts [--lanes N] [--batch N] [--keep] [--drop-index NAME]
 *
 * @module
 */

import postgres from "postgres";
import { parseArgs } from "node:util";
import { readBmpStream } from "../src/bmp/stream.ts";
import { readInput } from "../src/io/file.ts";
import { migrate } from "../src/store/migrate.ts";
import { StoreWriter } from "../src/store/writer.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    lanes: { type: "string", default: "2" },
    batch: { type: "string", default: "20000" },
    keep: { type: "boolean", default: false },
    "drop-index": { type: "string", multiple: true, default: [] },
    file: {
      type: "string",
      default: new URL("../../shared/data/bmp/juniper-m320/m320.bmp.xz", import.meta.url).pathname,
    },
  },
});

const url = Deno.env.get("DATABASE_URL");
if (!url) {
  console.log("store_m320: no DATABASE_URL, skipped");
  Deno.exit(0);
}
const bytes = await readInput(args.file!).catch(() => null);
if (!bytes) {
  console.log(`store_m320: ${args.file} not found, skipped`);
  Deno.exit(0);
}

const lanes = Number(args.lanes);
const admin = postgres(url, { onnotice: () => {}, max: 1 });
const dbName = `bmpmon_bench_${crypto.randomUUID().slice(0, 8)}`;
await admin.unsafe(`CREATE DATABASE ${dbName}`);
const dbUrl = new URL(url);
dbUrl.pathname = `/${dbName}`;
const sql = postgres(dbUrl.href, { onnotice: () => {}, max: lanes + 2 });
try {
  const m = await migrate(sql);
  console.log(`migrate: ${m.applied.join(", ")} (timescaledb: ${m.timescaledb})`);
  // To see what an index costs: --drop-index rib_prefix ...
  for (const ix of args["drop-index"] ?? []) await sql.unsafe(`DROP INDEX ${ix}`);

  // Decode alone, for the split of the time.
  let t = performance.now();
  let n = 0;
  for (const it of readBmpStream(bytes)) if (it.message) n++;
  const decodeS = (performance.now() - t) / 1000;

  const writer = await StoreWriter.open(sql, { lanes, batchRows: Number(args.batch) });
  const routerId = await writer.router("m320", "192.0.2.1");
  t = performance.now();
  const rss0 = Deno.memoryUsage().rss;
  let peak = rss0;
  for (const it of readBmpStream(bytes)) {
    if (!it.message) continue;
    const wait = writer.write(routerId, it.message);
    if (wait) {
      await wait;
      peak = Math.max(peak, Deno.memoryUsage().rss);
    }
  }
  await writer.flush();
  const secs = (performance.now() - t) / 1000;
  const routes = writer.stats.routes;
  const [c] = await sql`
    SELECT (SELECT count(*) FROM route_history)::int AS history,
      (SELECT count(*) FROM rib)::int AS rib,
      (SELECT count(*) FROM rib WHERE withdrawn)::int AS rib_withdrawn,
      (SELECT count(*) FROM path_attrs)::int AS attrs,
      pg_total_relation_size('route_history') AS history_bytes,
      pg_total_relation_size('rib') AS rib_bytes,
      pg_total_relation_size('path_attrs') AS attrs_bytes`;
  console.log(
    `decode only: ${n} messages in ${decodeS.toFixed(2)} s\n` +
      `store: ${routes} routes in ${secs.toFixed(2)} s = ${
        Math.round(routes / secs)
      } routes/s (lanes ${lanes}, batch ${args.batch}, ${writer.stats.batches} batches, ` +
      `commit time ${(writer.stats.commitMs / 1000).toFixed(2)} s summed over lanes)\n` +
      `rows: history ${c.history}, rib ${c.rib} (${c.rib_withdrawn} withdrawn), ` +
      `path_attrs ${c.attrs}\n` +
      `bytes per route: history ${(Number(c.history_bytes) / c.history).toFixed(0)}, rib ${
        (Number(c.rib_bytes) / c.rib).toFixed(0)
      }, path_attrs ${(Number(c.attrs_bytes) / c.history).toFixed(0)}, total ${
        ((Number(c.history_bytes) + Number(c.rib_bytes) + Number(c.attrs_bytes)) / c.history)
          .toFixed(0)
      }\npeak RSS ${(peak / 2 ** 20).toFixed(0)} MiB\nbatch steps (s, summed over lanes): ${
        Object.entries(writer.stats.steps).map(([k, v]) => `${k} ${(v / 1000).toFixed(2)}`)
          .join(", ")
      }`,
  );

  // A Peer Down after the table: one UPDATE over the peer's RIB.
  t = performance.now();
  const [{ id }] = await sql`SELECT id FROM peers LIMIT 1`;
  const [{ count }] = await sql`
    WITH w AS (UPDATE rib SET withdrawn = true, withdrawn_time = now()
      WHERE peer_id = ${id} AND NOT withdrawn RETURNING 1)
    SELECT count(*)::int AS count FROM w`;
  console.log(
    `peer down: ${count} routes marked withdrawn in ${
      ((performance.now() - t) / 1000).toFixed(2)
    } s`,
  );
  await writer.close();
} finally {
  await sql.end();
  if (!args.keep) await admin.unsafe(`DROP DATABASE ${dbName}`);
  else console.log(`kept database ${dbName}`);
  await admin.end();
}
