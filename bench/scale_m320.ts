/**
 * How the store scales with routers and with the size of the RIB: the Juniper M320 full
 * table (707,580 NLRI) sent by several routers into one `bmpmon serve` on PostgreSQL
 * (DATABASE_URL; scratch databases, dropped after).
 *
 * 1. One router, then AT_ONCE routers (default 4) sending the table at the same time into a
 *    fresh store: the aggregate rate against the single-table rate of the same run
 *    (bar ≥ 80 %).
 * 2. SEQUENTIAL routers (default 16, 11.3M NLRI) one after another into one store: each
 *    table's time, the last against the first (how the cost grows with the RIB), and the
 *    overall rate.
 *
 * Each router is one connection (a router per connection, as `replay --connections` does).
 * Prints figures, no assertions.
 *
 *   DATABASE_URL=postgres://... deno task bench:scale
 *
 * @module
 */

import { readInput } from "../src/io/file.ts";
import { waitCommitted } from "./_committed.ts";
import { cpuSeconds, rssKb, startServe } from "./_serve.ts";

const url = Deno.env.get("DATABASE_URL");
if (!url) {
  console.log("scale_m320: skipped, DATABASE_URL is not set");
  Deno.exit(0);
}
const NLRI = 707_580;
const AT_ONCE = Number(Deno.env.get("AT_ONCE") ?? 4);
const SEQUENTIAL = Number(Deno.env.get("SEQUENTIAL") ?? 16);
const stream = await readInput(
  new URL("../tests/fixtures/juniper-m320/m320.bmp.xz", import.meta.url).pathname,
);
const rate = (n: number, s: number) => Math.round(n / s).toLocaleString("en-US");
// Every router connects from 127.0.0.1 and stays connected: lift the per-address cap (10).
const ENV = { MAX_CONNECTIONS_PER_ADDRESS: String(Math.max(AT_ONCE, SEQUENTIAL) + 1) };

async function send(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  for (let off = 0; off < stream.length;) off += await conn.write(stream.subarray(off));
  return conn;
}

/** Sends the table from `routers` connections at once; seconds until all rows committed. */
async function atOnce(routers: number): Promise<number> {
  const serve = await startServe(url!, ENV);
  try {
    const t0 = performance.now();
    const conns = await Promise.all(Array.from({ length: routers }, () => send(serve.port)));
    await waitCommitted(
      serve.metricsPort,
      async () => (await serve.sql`SELECT count(*)::int AS n FROM route_history`)[0].n,
      routers * NLRI,
    );
    const s = (performance.now() - t0) / 1000;
    for (const c of conns) c.close();
    return s;
  } finally {
    await serve.stop();
  }
}

const one = await atOnce(1);
console.log(`1 router: ${one.toFixed(1)} s = ${rate(NLRI, one)} routes/s`);
const many = await atOnce(AT_ONCE);
console.log(
  `${AT_ONCE} routers at once (${(AT_ONCE * NLRI).toLocaleString("en-US")} NLRI): ` +
    `${many.toFixed(1)} s = ${rate(AT_ONCE * NLRI, many)} routes/s, ` +
    `${Math.round((100 * AT_ONCE * one) / many)} % of the single-table rate (bar ≥ 80 %)`,
);

// One store growing table by table.
const serve = await startServe(url!, ENV);
try {
  const times: number[] = [];
  const conns: Deno.TcpConn[] = [];
  const t0 = performance.now();
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t = performance.now();
    conns.push(await send(serve.port));
    // The table is in once its peer view has every row (one view per router here).
    await waitCommitted(
      serve.metricsPort,
      async () =>
        (await serve.sql`
          SELECT count(*)::int AS n FROM route_history
           WHERE peer_id = (SELECT max(id) FROM peers)
             AND (SELECT count(*) FROM peers) = ${i + 1}`)[0].n,
      NLRI,
      (i + 1) * NLRI,
    );
    times.push((performance.now() - t) / 1000);
    console.log(
      `  table ${i + 1}: ${times[i].toFixed(1)} s (${rate(NLRI, times[i])} routes/s)`,
    );
  }
  const total = (performance.now() - t0) / 1000;
  const [{ bytes }] = await serve.sql`
    SELECT pg_database_size(current_database())::bigint AS bytes`;
  console.log(
    `${SEQUENTIAL} routers one after another (${(SEQUENTIAL * NLRI).toLocaleString("en-US")} ` +
      `NLRI): ${total.toFixed(1)} s = ${rate(SEQUENTIAL * NLRI, total)} routes/s; last table ` +
      `${times.at(-1)!.toFixed(1)} s against the first ${times[0].toFixed(1)} s ` +
      `(×${(times.at(-1)! / times[0]).toFixed(2)}); collector CPU ${
        cpuSeconds(serve.pid).toFixed(1)
      } s, peak RSS ${(rssKb(serve.pid).peak / 1024).toFixed(0)} MiB, database ` +
      `${(Number(bytes) / 2 ** 30).toFixed(1)} GiB`,
  );
  for (const c of conns) c.close();
} finally {
  await serve.stop();
}
