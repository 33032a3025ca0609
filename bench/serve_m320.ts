/**
 * End to end: the Juniper M320 full table (707,576 prefixes, 707,580 NLRI) sent over TCP
 * to a `bmpmon serve` process writing into PostgreSQL (DATABASE_URL, a scratch database is
 * created and dropped). Prints seconds until every history row is committed, routes/s,
 * and the collector's peak RSS.
 *
 * Run: `DATABASE_URL=postgres://... deno task bench:serve`
 *
 * @module
 */

import { readInput } from "../src/io/file.ts";
import { cpuSeconds, rssKb, startServe } from "./_serve.ts";

const url = Deno.env.get("DATABASE_URL");
if (!url) {
  console.log("serve_m320: skipped, DATABASE_URL is not set");
  Deno.exit(0);
}
const file = new URL("../tests/fixtures/juniper-m320/m320.bmp.xz", import.meta.url).pathname;
const stream = await readInput(file);
const NLRI = 707_580;

const serve = await startServe(url);
const { port, pid, sql } = serve;

try {
  await new Promise((r) => setTimeout(r, 300));
  const idleRss = rssKb(pid).rss;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const t0 = performance.now();
  for (let off = 0; off < stream.length;) off += await conn.write(stream.subarray(off));
  const sent = (performance.now() - t0) / 1000;
  let rows = 0;
  while (rows < NLRI) {
    await new Promise((r) => setTimeout(r, 50));
    rows = (await sql`SELECT count(*)::int AS n FROM route_history`)[0].n;
  }
  const secs = (performance.now() - t0) / 1000;
  const peak = rssKb(pid).peak;
  const cpu = cpuSeconds(pid);
  const [{ bytes }] = await sql`SELECT pg_database_size(current_database())::bigint AS bytes`;
  conn.close();
  console.log(
    `M320 full table through bmpmon serve into PostgreSQL (${NLRI.toLocaleString("en-US")} NLRI)`,
  );
  console.log(`stream sent in ${sent.toFixed(1)} s; all rows committed after ${secs.toFixed(1)} s`);
  console.log(`throughput: ${Math.round(NLRI / secs).toLocaleString("en-US")} routes/s end to end`);
  console.log(
    `collector RSS: ${(idleRss / 1024).toFixed(0)} MiB idle, ${(peak / 1024).toFixed(0)} MiB peak`,
  );
  console.log(
    `collector CPU: ${cpu.toFixed(1)} s (the rest of ${secs.toFixed(1)} s × cores is PostgreSQL's)`,
  );
  console.log(
    `database size: ${(Number(bytes) / 2 ** 20).toFixed(0)} MiB (${
      Math.round(Number(bytes) / NLRI)
    } bytes/route)`,
  );
} finally {
  await serve.stop();
}
