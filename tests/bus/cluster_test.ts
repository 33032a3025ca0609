/**
 * The bus as a 3-node JetStream cluster with an R3 stream: an edge publishes the M320,
 * `consume` stores it, and one NATS node and the `consume` process are killed -9 in the
 * middle of the load and started again. The database then equals a plain `serve`'s.
 */

import postgres from "postgres";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { assert, assertEquals } from "../_assert.ts";
import { eventually, M320_NLRI } from "../e2e/_m320.ts";
import { dbTest, serve, type Served } from "../e2e/_serve.ts";
import { consume, type Consuming, freshDatabase } from "./_consume.ts";
import { startCluster } from "./_nats.ts";
import { content, converges, historyRows, sendM320, settled } from "./_store_content.ts";

/** Resolves once the cluster has a JetStream meta leader (account info answers). */
async function jetStreamReady(url: string): Promise<void> {
  await eventually(
    async () => {
      const nc = await connect({ servers: url.split(",") });
      try {
        await (await jetstreamManager(nc)).getAccountInfo();
        return true;
      } finally {
        await nc.close();
      }
    },
    60_000,
    "a JetStream meta leader",
  );
}

dbTest(
  "3-node JetStream, R3: a node and consume killed -9 mid-load, nothing lost or doubled",
  async () => {
    const cluster = await startCluster(3);
    let edge: Served | undefined;
    let plain: Served | undefined;
    let c: Consuming | undefined;
    const db = await freshDatabase();
    const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-cluster-" });
    const sql = postgres(db.url, { max: 2, onnotice: () => {} });
    try {
      await jetStreamReady(cluster.url);
      edge = await serve({
        STORE: "none",
        BUS_URL: cluster.url,
        BUS_REPLICAS: "3",
        BUS_COLLECTOR_ID: "edge-r3",
      });
      plain = await serve();
      const conns = await sendM320([edge, plain]);
      const routes = historyRows;
      await eventually(
        async () => (await routes(plain!.sql)) >= M320_NLRI,
        300_000,
        "serve's rows",
      );
      const want = await settled(plain.sql);
      // The M320 is from 2018, past the default RETENTION (5 years), which a start applies.
      const env = {
        BUS_URL: cluster.url,
        DATABASE_URL: db.url,
        DATA_DIR: dataDir,
        RETENTION: "50 years",
        BUS_REPLICAS: "3", // it checks the stream as the edge does
      };
      const first = c = await consume(env);
      await eventually(async () => (await routes(sql)) > 150_000, 300_000, "a fifth of the table");
      await cluster.nodes[1].kill();
      await eventually(async () => (await routes(sql)) > 300_000, 300_000, "more, on two nodes");
      await c.kill();
      const atKill = await routes(sql);
      assert(atKill < M320_NLRI, `killed mid-load (${atKill} rows)`);
      await cluster.nodes[1].start();
      c = await consume(env);
      await converges(sql, want, 300_000, plain.sql);
      assertEquals(await routes(sql), M320_NLRI, "every row once");
      assertEquals(await content(sql), want);
      // Whether the killed node held the ordered consumer is chance: say what consume did.
      for (const l of [...first.log, ...c.log]) {
        if (/new consumer|trying again|caught up/.test(l)) console.log(l);
      }
      for (const conn of conns) conn.close();
    } catch (e) {
      const tail = (l?: string[]) => l?.slice(-12).join("\n");
      throw new Error(
        `${(e as Error).message}\nedge:\n${tail(edge?.log)}\nconsume:\n${tail(c?.log)}`,
        { cause: e },
      );
    } finally {
      await c?.stop().catch(() => {});
      await edge?.stop().catch(() => {});
      await plain?.stop().catch(() => {});
      await sql.end();
      await db.drop();
      for (const n of cluster.nodes) await n.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);
