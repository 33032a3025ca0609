/**
 * The bus as a 3-node JetStream cluster with an R3 stream, as issue 14's acceptance has
 * it: three edge collectors publish the M320, the lab captures and 200 small routers, two
 * `consume` members store them into one database, and one NATS node and the member
 * storing the M320 are killed -9 in the middle of the load and started again. The
 * database then equals a plain `serve`'s of the same input.
 */

import postgres from "postgres";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { memberOf } from "../../src/bus/membership.ts";
import { assert, assertEquals } from "../_assert.ts";
import { eventually, M320_NLRI } from "../e2e/_m320.ts";
import { dbTest, serve, type Served } from "../e2e/_serve.ts";
import { consume, type Consuming, freshDatabase } from "./_consume.ts";
import { startCluster } from "./_nats.ts";
import { labAndSmall, readAll, sendAll } from "./_routers.ts";
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
  "3-node JetStream, R3, 3 edges, 2 consume members: a node and a member killed -9 mid-load",
  async () => {
    const cluster = await startCluster(3);
    const edges: Served[] = [];
    let plain: Served | undefined;
    const members: (Consuming | undefined)[] = [];
    const db = await freshDatabase();
    const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
    const sql = postgres(db.url, { max: 2, onnotice: () => {} });
    try {
      await jetStreamReady(cluster.url);
      for (const id of ["edge-m320", "edge-lab", "edge-small"]) {
        edges.push(
          await serve({
            STORE: "none",
            BUS_URL: cluster.url,
            BUS_REPLICAS: "3",
            BUS_COLLECTOR_ID: id,
          }),
        );
      }
      plain = await serve();
      const conns = await sendM320([edges[0], plain]);
      const routers = await labAndSmall(200);
      const lab = routers.slice(0, 3), small = routers.slice(3);
      assertEquals(small.length, 200);
      await sendAll([edges[1].port, plain.port], lab);
      await sendAll([edges[2].port, plain.port], small);
      await readAll(edges[1], lab.length);
      await readAll(edges[2], small.length);
      await readAll(plain, routers.length);
      const routes = historyRows;
      await eventually(
        async () => (await routes(plain!.sql)) >= M320_NLRI,
        300_000,
        "serve's rows",
      );
      const want = await settled(plain.sql);
      // The M320 is from 2018, past the default RETENTION (5 years), which a start applies.
      const env = (i: number) => ({
        BUS_URL: cluster.url,
        DATABASE_URL: db.url,
        DATA_DIR: dirs[i - 1],
        RETENTION: "50 years",
        // No BUS_REPLICAS: a reader takes the stream the edges made as it is.
        CONSUME_MEMBER: `${i}/2`,
      });
      const m320 = memberOf("127.0.0.1", 2);
      members[0] = await consume(env(1));
      members[1] = await consume(env(2));
      const first = members[m320 - 1]!;
      await eventually(async () => (await routes(sql)) > 150_000, 300_000, "a fifth of the table");
      await cluster.nodes[1].kill();
      await eventually(async () => (await routes(sql)) > 300_000, 300_000, "more, on two nodes");
      await first.kill();
      const atKill = await routes(sql);
      assert(atKill < Number(want.history), `killed mid-load (${atKill} rows)`);
      await cluster.nodes[1].start();
      members[m320 - 1] = await consume(env(m320));
      await converges(sql, want, 300_000, plain.sql);
      assertEquals(await routes(sql), want.history, "every row once");
      assertEquals(await content(sql), want);
      // Whether the killed node held an ordered consumer is chance: say what consume did.
      for (const l of [...first.log, ...members.flatMap((m) => m!.log)]) {
        if (/new consumer|trying again|caught up/.test(l)) console.log(l);
      }
      for (const conn of conns) conn.close();
    } catch (e) {
      const tail = (l?: string[]) => l?.slice(-12).join("\n");
      throw new Error(
        `${(e as Error).message}\nedge:\n${tail(edges[0]?.log)}\nmember 1:\n${
          tail(members[0]?.log)
        }\nmember 2:\n${tail(members[1]?.log)}`,
        { cause: e },
      );
    } finally {
      for (const m of members) await m?.stop().catch(() => {});
      for (const e of edges) await e.stop().catch(() => {});
      await plain?.stop().catch(() => {});
      await sql.end();
      await db.drop();
      for (const n of cluster.nodes) await n.close();
      for (const d of dirs) await Deno.remove(d, { recursive: true });
    }
  },
);
