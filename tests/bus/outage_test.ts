/**
 * The bus going away does not reach the routers: while nats-server is down, `serve` reads
 * on into the spool, the router stays connected, and once the server is back (same port,
 * same store) every message is in the stream once, in order. Also across a restart of
 * serve itself while the bus is down: the spool and the bus mark carry the rest over.
 */

import { replay } from "../../src/cli/replay.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import postgres from "postgres";
import { dbTest, serve, type Served, until } from "../e2e/_serve.ts";
import { consumeAll, type Consumed, streamMessages } from "./_consumer.ts";
import { metric, startNats } from "./_nats.ts";

function countMessages(data: Uint8Array): number {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let n = 0;
  for (let p = 0; p + 6 <= data.length; p += v.getUint32(p + 1)) n++;
  return n;
}

/**
 * Every BMP message once (msgID), beside the connections' end markers, and the router's
 * sequence exactly 1..n over both, in stream order.
 */
function assertOnceInOrder(got: Consumed[], n: number): void {
  const bmp = got.filter((m) => m.headers["Bmp-Connection-End"] === undefined);
  assertEquals(bmp.length, n, "BMP messages in the stream");
  assert(bmp.every((m) => m.data.length > 0), "a BMP message has a body");
  const all = got.length;
  assertEquals(new Set(got.map((m) => m.headers["Nats-Msg-Id"])).size, all, "distinct msgIDs");
  const seqs = got.map((m) => Number(m.headers["Bmp-Router-Seq"]));
  assertEquals(seqs, Array.from({ length: all }, (_, i) => i + 1), "Bmp-Router-Seq in order");
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

dbTest(
  "while nats-server is down the router stays connected and nothing is lost or doubled",
  async () => {
    const nats = await startNats();
    const capture = fixture("gobgp-frr-lab/frr-8.4-prepost-1k.bmp");
    const n = countMessages(await Deno.readFile(capture));
    const metricsPort = freePort();
    const s = await serve({
      BUS_URL: nats.url,
      BUS_COLLECTOR_ID: "outage",
      METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
    });
    try {
      // ~4 s of sending at 1000 messages/s; the bus goes down after 1 s, back after 4 s.
      const sending = replay([capture], {
        hostname: "127.0.0.1",
        port: s.port,
        rate: 1000,
        connections: 1,
        holdMs: 1000,
      });
      await new Promise((r) => setTimeout(r, 1000));
      await nats.stop();
      await until(
        async () => (await metric(metricsPort, "bmpmon_bus_connected")) === 0,
        10_000,
        "bus down",
      );
      await new Promise((r) => setTimeout(r, 3000));
      const backlogDown = await metric(metricsPort, "bmpmon_bus_unacked") +
        await metric(metricsPort, "bmpmon_bus_backlog");
      await nats.start();
      await sending;
      // Its messages, then the end of its connection.
      await until(
        async () => (await streamMessages(nats.url, "BMP")) >= n + 1,
        30_000,
        "all published",
      );
      await until(
        async () => (await metric(metricsPort, "bmpmon_bus_unacked")) === 0,
        10_000,
        "acked",
      );
      const got = await consumeAll(nats.url, "BMP", n + 1);
      assertOnceInOrder(got, n);
      assertEquals(got.at(-1)!.headers["Bmp-Connection-End"], "closed by router");
      assert(backlogDown > 0, `messages waited while the bus was down (${backlogDown})`);
      assertEquals(await metric(metricsPort, "bmpmon_bus_connected"), 1);
      // The router's one connection ended only when it closed it.
      const closes = s.log.filter((l) => l.includes('"router disconnected"'));
      assertEquals(closes.length, 1, closes.join("\n"));
      assert(closes[0].includes('"closed by router"'), closes[0]);
      assert(s.log.some((l) => l.includes('"bus down:')), "the log says the bus went down");
      assert(s.log.some((l) => l.includes('"bus back:')), "the log says the bus came back");
      assertEquals(await s.stop(), 0);
    } catch (e) {
      await s.stop().catch(() => {});
      throw new Error(`${(e as Error).message}\nserve log:\n${s.log.slice(-25).join("\n")}`, {
        cause: e,
      });
    } finally {
      await nats.close();
    }
  },
);

dbTest(
  "serve restarted while the bus is down publishes the rest once the bus is back",
  async () => {
    const nats = await startNats();
    const first = fixture("gobgp-frr-lab/gobgp-3.10-pre-100.bmp");
    const second = fixture("gobgp-frr-lab/gobgp-3.10-all-1k.bmp");
    const n1 = countMessages(await Deno.readFile(first));
    const n2 = countMessages(await Deno.readFile(second));
    const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-bus-restart-" });
    const env = { BUS_URL: nats.url, BUS_COLLECTOR_ID: "restart", DATA_DIR: dataDir };
    const a = await serve(env, { keepDatabase: true });
    let b: Served | undefined;
    try {
      await replay([first], { hostname: "127.0.0.1", port: a.port, rate: 0, connections: 1 });
      await until(
        async () => (await streamMessages(nats.url, "BMP")) >= n1,
        30_000,
        "first published",
      );
      await nats.stop();
      await replay([second], { hostname: "127.0.0.1", port: a.port, rate: 0, connections: 1 });
      // Everything read (the router closed both connections) before serve stops.
      await until(
        () => Promise.resolve(a.log.filter((l) => l.includes('"closed by router"')).length === 2),
        30_000,
        "both connections read",
      );
      // Stopped with the bus down: the spool keeps what the bus has not acked.
      assertEquals(await a.stop(), 0);
      assert(a.log.some((l) => l.includes("bus not reachable")), "said at shutdown");
      await nats.start();
      b = await serve({ ...env, DATABASE_URL: a.url });
      await until(
        async () => (await streamMessages(nats.url, "BMP")) >= n1 + n2 + 2,
        30_000,
        "the rest published (and both connections' ends)",
      );
      // A moment for anything doubled to show.
      await new Promise((r) => setTimeout(r, 1000));
      const got = await consumeAll(nats.url, "BMP", n1 + n2 + 2);
      assertOnceInOrder(got, n1 + n2);
    } catch (e) {
      const tail = (s?: Served) => s?.log.slice(-15).join("\n");
      throw new Error(
        `${(e as Error).message}\nfirst serve:\n${tail(a)}\nsecond:\n${tail(b)}`,
        { cause: e },
      );
    } finally {
      await b?.stop();
      await nats.close();
      await dropDatabase(a.url);
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);

/** Drops the database of `url` (kept for the restart). */
async function dropDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = u.pathname.slice(1);
  u.pathname = "/postgres";
  const admin = postgres(u.toString(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
