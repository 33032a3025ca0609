/**
 * Database outage: PostgreSQL is stopped for 20 s in the middle of the M320 full-table
 * replay and started again. The collector keeps reading into its spool, the router's
 * connection stays open, and the final database equals that of an undisturbed run.
 */

import { assert, assertEquals } from "../_assert.ts";
import { eventually, fingerprint, M320_NLRI, m320Stream, writeAll } from "./_m320.ts";
import { PRIVATE_PG_MISSING, startPrivatePostgres } from "./_pg.ts";
import { serve } from "./_serve.ts";

const OUTAGE_MS = 20_000;

async function load(
  server: string,
  stream: Uint8Array,
  outage?: { stop(): Promise<void>; start(): Promise<void> },
) {
  const s = await serve({ STATS_INTERVAL_S: "3600" }, { server });
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    const count = async () => (await s.sql`SELECT count(*)::int AS n FROM route_history`)[0].n;
    if (outage) {
      const third = Math.floor(stream.length / 3);
      await writeAll(conn, stream.subarray(0, third));
      await eventually(async () => (await count()) > 0, 60_000, "first rows");
      await outage.stop();
      const down = performance.now();
      await writeAll(conn, stream.subarray(third));
      const sentIn = performance.now() - down;
      await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (performance.now() - down))));
      await outage.start();
      const up = performance.now();
      console.log(
        `outage ${((up - down) / 1000).toFixed(1)} s: the last ${
          ((stream.length - third) / 2 ** 20).toFixed(1)
        } MiB were read from the router within ${(sentIn / 1000).toFixed(1)} s of it`,
      );
      await eventually(async () => (await count()) >= M320_NLRI, 300_000, "every history row");
      console.log(`caught up ${((performance.now() - up) / 1000).toFixed(1)} s after restart`);
    } else {
      await writeAll(conn, stream);
      await eventually(async () => (await count()) >= M320_NLRI, 300_000, "every history row");
    }
    await eventually(
      async () => (await s.sql`SELECT count(*)::int AS n FROM stats_reports`)[0].n > 0,
      30_000,
      "statistics",
    );
    const fp = await fingerprint(s.sql);
    const [{ connected }] = await s.sql`SELECT bool_and(connected) AS connected FROM routers`;
    const log = [...s.log]; // before the router goes
    conn.close();
    return { fp, connected, log };
  } finally {
    await s.stop();
  }
}

Deno.test({
  name: "database outage of 20 s mid-load: nothing lost or doubled, router never cut off" +
    (PRIVATE_PG_MISSING ? ` (skipped: ${PRIVATE_PG_MISSING})` : ""),
  ignore: !!PRIVATE_PG_MISSING,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const pg = await startPrivatePostgres();
    try {
      const stream = await m320Stream();
      const undisturbed = await load(pg.url, stream);
      assertEquals(undisturbed.fp.history, M320_NLRI);
      const disturbed = await load(pg.url, stream, pg);
      assertEquals(disturbed.fp, undisturbed.fp);
      assertEquals(disturbed.connected, true, "the router's connection stayed open");
      assert(
        !disturbed.log.some((l) => l.includes('"router disconnected"')),
        "no router was disconnected",
      );
      assert(
        disturbed.log.some((l) => l.includes('"store write failed')),
        "the store saw the outage (and retried)",
      );
    } finally {
      await pg.destroy();
    }
  },
});
