/**
 * Edge → bus → store: an edge collector (`serve` with STORE=none) publishes what routers
 * send, `bmpmon consume` stores it from JetStream, and the database equals the one a plain
 * `serve` fills from the same input (the outage test's fingerprint: rows plus md5 of
 * history and RIB). Also when the consumer is killed -9 in the middle of a full table and
 * started again: nothing lost, nothing doubled.
 */

import postgres from "postgres";
import { replay } from "../../src/cli/replay.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { eventually, M320_NLRI } from "../e2e/_m320.ts";
import { dbTest, serve, type Served, until } from "../e2e/_serve.ts";
import { consume, type Consuming, freshDatabase } from "./_consume.ts";
import { content, converges, historyRows, sendM320, settled } from "./_store_content.ts";
import { freePort, type NatsServer, startNats } from "./_nats.ts";
import { LAB_CAPTURES } from "./_routers.ts";

const LAB = LAB_CAPTURES.map(fixture);

/**
 * Replays `files` into each collector, the next only once the collector has read the
 * previous to its end: overlapping connections from one address get router rows by
 * timing (`127.0.0.1`, `127.0.0.1#2`), which would differ between two collectors.
 */
async function feed(collectors: Served[], files: string[]): Promise<void> {
  for (const s of collectors) {
    for (const [i, f] of files.entries()) {
      await replay([f], { hostname: "127.0.0.1", port: s.port, rate: 0, connections: 1 });
      await until(
        () => Promise.resolve(s.log.filter((l) => l.includes('"router disconnected"')).length > i),
        30_000,
        `${f} read`,
      );
    }
  }
}

/** An edge and a plain serve on one bus, and an empty database for `consume`. */
interface Rig {
  nats: NatsServer;
  edge: Served;
  plain: Served;
  /** The consumer's database. */
  sql: postgres.Sql;
  /** Its environment: BUS_URL, DATABASE_URL, DATA_DIR. */
  env: Record<string, string>;
  dataDir: string;
  /** The `consume` running now, if any (stopped at the end). */
  consumer?: Consuming;
}

/** Runs `fn` on a new {@linkcode Rig}; on failure the error has the processes' last lines. */
async function withRig(edgeEnv: Record<string, string>, fn: (r: Rig) => Promise<void>) {
  const nats = await startNats();
  const edge = await serve({ STORE: "none", BUS_URL: nats.url, ...edgeEnv });
  const plain = await serve();
  const db = await freshDatabase();
  const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-consume-" });
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  const env = { BUS_URL: nats.url, DATABASE_URL: db.url, DATA_DIR: dataDir };
  const r: Rig = { nats, edge, plain, sql, env, dataDir };
  try {
    await fn(r);
  } catch (e) {
    const tail = (l?: string[]) => l?.slice(-12).join("\n");
    throw new Error(
      `${(e as Error).message}\nedge:\n${tail(edge.log)}\nconsume:\n${tail(r.consumer?.log)}`,
      { cause: e },
    );
  } finally {
    await r.consumer?.stop().catch(() => {});
    await edge.stop().catch(() => {});
    await plain.stop().catch(() => {});
    await sql.end();
    await db.drop();
    await nats.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

dbTest("edge (STORE=none) -> JetStream -> consume stores what a plain serve stores", async () => {
  const metricsPort = freePort();
  const edgeEnv = { BUS_COLLECTOR_ID: "edge-1", METRICS_LISTEN: `127.0.0.1:${metricsPort}` };
  await withRig(edgeEnv, async (r) => {
    const { edge, plain, sql, env } = r;
    await feed([edge, plain], LAB);
    // The edge keeps nothing: its database (the helper made one) is not even migrated.
    const [{ n }] = await edge.sql`SELECT count(*)::int AS n FROM pg_tables
      WHERE tablename = 'rib'`;
    assertEquals(n, 0, "no tables at the edge");
    // Healthy without a store: nothing to probe, the bus is its outlet.
    const health = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
    const body = await health.json();
    assertEquals([health.status, body.store.kind, body.store.state], [200, "none", "ok"]);
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert(/^bmpmon_bus_published_total [1-9]/m.test(text), "the edge published");
    const want = await settled(plain.sql);
    assert(Number(want.rib) > 0 && Number(want.history) > 0, JSON.stringify(want));
    // With the flags the compiled binary has (bmpmon-consume.service), not --allow-all.
    r.consumer = await consume(env, { taskFlags: true });
    await converges(sql, want, 60_000, plain.sql);
    assertEquals(await r.consumer.stop(), 0);
    // Started again on the same position and database: nothing more is written.
    r.consumer = await consume(env);
    await new Promise((res) => setTimeout(res, 2000));
    assertEquals(await r.consumer.stop(), 0);
    assertEquals(await content(sql), want, "a restart wrote nothing twice");
    // Without its position file it reads the whole stream again, and still writes nothing.
    await Deno.remove(`${r.dataDir}/consume`, { recursive: true });
    const again = r.consumer = await consume(env);
    await until(
      () => Promise.resolve(again.log.some((l) => l.includes('"caught up"'))),
      30_000,
      "caught up",
    );
    assertEquals(await again.stop(), 0);
    r.consumer = undefined;
    assertEquals(await content(sql), want, "the whole stream again wrote nothing twice");
    assertEquals(await edge.stop(), 0);
    assert(edge.log.some((l) => l.includes("STORE=none")), "the edge says it keeps nothing");
  });
});

dbTest(
  "consume killed -9 in the middle of the M320 and started again: nothing lost or doubled",
  async () => {
    await withRig({ BUS_COLLECTOR_ID: "edge-m320" }, async (r) => {
      const { edge, plain, sql } = r;
      const conns = await sendM320([edge, plain]);
      const routes = historyRows;
      await eventually(async () => (await routes(plain.sql)) >= M320_NLRI, 300_000, "serve's rows");
      const want = await settled(plain.sql);
      // The M320 is from 2018, past the default RETENTION (5 years), which a start applies.
      const env = { ...r.env, RETENTION: "50 years" };
      const first = r.consumer = await consume(env);
      await eventually(async () => (await routes(sql)) > 200_000, 300_000, "a third of the table");
      await first.kill();
      const atKill = await routes(sql);
      assert(atKill < M320_NLRI, `killed mid-load (${atKill} rows)`);
      r.consumer = await consume(env);
      await converges(sql, want, 300_000, plain.sql);
      assertEquals(await routes(sql), M320_NLRI, "every row once");
      for (const conn of conns) conn.close();
    });
  },
);
