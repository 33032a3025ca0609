/**
 * Routes become visible in SQL while their router's connection stays open and quiet: the
 * time-based flush (BATCH_MAX_MS) commits a batch that never fills. Prints the latency
 * seen (bench/visibility.ts measures it under load; no timing is asserted here). Also: a
 * plain PostgreSQL gets the retention job at start.
 */

import { forEachRoute } from "../../src/bgp/routes.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { readCapture } from "../../src/io/file.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { dbTest, serve, until } from "./_serve.ts";

dbTest("routes of an open, quiet connection are committed by the time-based flush", async () => {
  const capture = await readCapture(fixture("gobgp-frr-lab/gobgp-3.10-pre-100.bmp"));
  const data = capture.flows[0].data;
  let routes = 0;
  for (const { message: m } of readBmpStream(data)) {
    if (m?.kind === "route_monitoring") forEachRoute(m.update, () => routes++);
  }
  assert(routes > 0 && routes < 20_000, `${routes} routes: fewer than one batch`);
  const s = await serve({ BATCH_MAX_MS: "100" });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  try {
    const sent = performance.now();
    await conn.write(data);
    await until(
      async () => (await s.sql`SELECT count(*)::int AS n FROM route_history`)[0].n === routes,
      10_000,
      `${routes} history rows while the connection is open`,
    );
    console.log(`${routes} routes visible ${(performance.now() - sent).toFixed(0)} ms after send`);
    // The capture ends with the peer's Peer Down: its RIB rows are there, withdrawn.
    const [{ n }] = await s.sql`SELECT count(*)::int AS n FROM rib`;
    assert(n > 0, "current RIB rows written");
    const [{ connected }] = await s.sql`SELECT bool_and(connected) AS connected FROM routers`;
    assertEquals(connected, true, "the router is still connected");
    const retention = s.log.find((l) => l.includes('"retention applied"'));
    assert(retention, "the retention job ran at start (no TimescaleDB)");
    assertEquals(JSON.parse(retention).properties.deleted.route_history, 0);
  } finally {
    conn.close();
    assertEquals(await s.stop(), 0);
  }
});
