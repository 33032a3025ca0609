/**
 * `bmpmon consume` reports what it does: `/metrics` (the consume metrics and the store
 * writer's), `/healthz`, and `bmpmon show summary` on its control socket. An edge
 * publishes the lab captures, consume stores them; the figures are checked against the
 * stream itself (the npm NATS client), the database and consume's own last log line,
 * then nats-server is killed (connected 0, /healthz 503), started again, and consume reads
 * on. consume shares the edge's DATA_DIR: `show summary` asks the edge, `--consume` asks
 * consume.
 */

import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import postgres from "postgres";
import { replay } from "../../src/cli/replay.ts";
import { consumeSocketPath } from "../../src/control/api.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { cli, cliOk } from "../control/_live.ts";
import { dbTest, serve, type Served, until } from "../e2e/_serve.ts";
import { parsePrometheusText, sampleValue } from "../metrics/_prom.ts";
import { consume, type Consuming, freshDatabase } from "./_consume.ts";
import { freePort, startNats } from "./_nats.ts";
import { LAB_CAPTURES, logged } from "./_routers.ts";

const LAB = LAB_CAPTURES.map(fixture);

/**
 * Replays `f` into `edge`, waits until it read the connection to its end (`n` in all) and
 * published all of it (nothing left to read in its spool, nothing in flight: its /metrics
 * at `metricsPort`).
 */
async function feed(edge: Served, metricsPort: number, f: string, n: number): Promise<void> {
  await replay([f], { hostname: "127.0.0.1", port: edge.port, rate: 0, connections: 1 });
  await until(
    () => Promise.resolve(edge.log.filter((l) => l.includes('"router disconnected"')).length >= n),
    30_000,
    `${f} read`,
  );
  await until(
    async () => {
      const m = await scrape(metricsPort);
      return m("bmpmon_bus_backlog") === 0 && m("bmpmon_bus_unacked") === 0;
    },
    30_000,
    `${f} published`,
  );
}

/** The stream's last sequence number, asked of the server with the npm client. */
async function streamLastSeq(url: string): Promise<number> {
  const nc = await connect({ servers: url });
  try {
    return (await (await jetstreamManager(nc)).streams.info("BMP")).state.last_seq;
  } finally {
    await nc.close();
  }
}

/** GETs `/metrics` at `port` and parses it strictly. */
async function scrape(port: number) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assertEquals(res.status, 200);
  const families = parsePrometheusText(await res.text());
  return (name: string, labels: Record<string, string> = {}) => {
    const v = sampleValue(families, name, labels);
    assert(v !== undefined, `${name}${JSON.stringify(labels)} exposed`);
    return v;
  };
}

/** `/healthz` of consume (src/control/consume_plane.ts `ConsumeHealth`). */
interface Health {
  status: string;
  ok: boolean;
  reading: boolean;
  bus: { connected: boolean; down_s: number; stream: string; member: string };
  store: { kind: string; state: string };
}

async function healthz(port: number): Promise<{ status: number; body: Health }> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: res.status, body: await res.json() };
}

dbTest("consume reports on /metrics, /healthz and show summary, and a NATS outage", async () => {
  const nats = await startNats();
  const edgePort = freePort();
  const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-consume-metrics-" });
  const edge = await serve({
    STORE: "none",
    BUS_URL: nats.url,
    BUS_COLLECTOR_ID: "edge-metrics",
    DATA_DIR: dataDir,
    METRICS_LISTEN: `127.0.0.1:${edgePort}`,
  });
  const db = await freshDatabase();
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const port = freePort();
  let consumer: Consuming | undefined;
  try {
    for (const [i, f] of LAB.entries()) await feed(edge, edgePort, f, i + 1);
    const lastSeq = await streamLastSeq(nats.url);
    assert(lastSeq > 1000, `the edge published (${lastSeq})`);
    consumer = await consume({
      BUS_URL: nats.url,
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      METRICS_LISTEN: `127.0.0.1:${port}`,
    });
    const c = consumer;
    // Caught up: the last message read is the stream's last, none pending after it, and
    // once committed the position saved is the next one.
    let m = await scrape(port);
    await until(
      async () => {
        m = await scrape(port);
        return m("bmpmon_consume_last_seq") === lastSeq &&
          m("bmpmon_consume_resume_seq") === lastSeq + 1;
      },
      60_000,
      () => `caught up to ${lastSeq}:\n${c.log.slice(-5).join("\n")}`,
    );
    assertEquals(m("bmpmon_consume_pending"), 0);
    assertEquals(m("bmpmon_consume_connected"), 1);
    assertEquals(m("bmpmon_consume_member", { stream: "BMP", index: "1", count: "1" }), 1);
    assertEquals(m("bmpmon_consume_open_connections"), 0);
    assertEquals(m("bmpmon_consume_connections_closed_total"), LAB.length);
    for (const reason of ["other_member", "foreign", "orphan_end", "parsed"]) {
      assertEquals(m("bmpmon_consume_skipped_total", { reason }), 0, reason);
    }
    assertEquals(m("bmpmon_consume_decode_errors_total"), 0);
    // Every message read is stored or an end marker: nothing else is in the stream.
    const messages = m("bmpmon_consume_messages_total");
    assertEquals(messages + LAB.length, lastSeq);
    // The store writer's metrics, as serve has them; the routes are in the database.
    const [{ n }] = await sql`SELECT count(*)::int AS n FROM route_history`;
    assert(n > 0 && m("bmpmon_store_routes_total") >= n, `${n} history rows`);
    assert(m("bmpmon_store_batches_total") > 0, "batches committed");
    assertEquals(m("bmpmon_store_errors_total"), 0);

    const ok = await healthz(port);
    assertEquals([ok.status, ok.body.status, ok.body.ok], [200, "ok", true], JSON.stringify(ok));
    assertEquals(ok.body.bus, { connected: true, down_s: 0, stream: "BMP", member: "1/1" });
    assertEquals([ok.body.store.kind, ok.body.store.state], ["postgresql", "ok"]);

    // One DATA_DIR for the edge and consume: show asks the edge (serve), --consume consume.
    const edgeText = await cliOk(dataDir, "show", "summary");
    assert(edgeText.includes("listening:"), "serve's summary");
    // The edge keeps no store: nothing was probed (it printed "probe undefined ms").
    assert(/^store: +none \(STORE=none: messages go to the bus\)$/m.test(edgeText), edgeText);
    const text = await cliOk(dataDir, "show", "summary", "--consume");
    for (
      const want of [
        /^consume: +member 1\/1 of stream BMP$/m,
        /^bus: +nats connected \(nats:\/\/127\.0\.0\.1:\d+\)$/m,
        new RegExp(
          `^stream: +last seq ${lastSeq.toLocaleString("en-US")}, 0 pending \\(caught up\\), ` +
            `resumes at ${(lastSeq + 1).toLocaleString("en-US")}, started at 1$`,
          "m",
        ),
        new RegExp(`^messages: +${messages.toLocaleString("en-US")} stored, 0 skipped `, "m"),
        new RegExp(`^connections: +0 open, ${LAB.length} closed$`, "m"),
        /^store: +postgresql ok \(probe [\d.]+ ms\)$/m,
      ]
    ) assert(want.test(text), `${want} in:\n${text}`);
    const json = JSON.parse(await cliOk(dataDir, "show", "summary", "--consume", "--json"));
    assertEquals(
      [json.consume.messages, json.consume.last_seq, json.consume.pending],
      [messages, lastSeq, 0],
    );
    // The store's requests work there too; the router's ones say what consume answers.
    const routers = JSON.parse(
      await cliOk(dataDir, "sql", "SELECT count(*)::int AS n FROM routers", "--consume", "--json"),
    );
    assertEquals(routers, [{ n: 1 }], "one router address (127.0.0.1) in consume's store");
    const station = await cli(dataDir, "show", "station", "--consume");
    assertEquals(station.code, 1);
    assert(
      /consume answers show summary, show routes and sql/.test(station.stderr),
      station.stderr,
    );

    // NATS gone: connected 0, /healthz 503 saying the bus, show summary saying since when.
    await nats.kill();
    await until(
      async () => (await scrape(port))("bmpmon_consume_connected") === 0,
      20_000,
      "connected 0",
    );
    const down = await healthz(port);
    assertEquals([down.status, down.body.status, down.body.ok], [503, "unhealthy", false]);
    assertEquals([down.body.bus.connected, down.body.store.state], [false, "ok"]);
    const downText = await cliOk(dataDir, "show", "summary", "--consume");
    assert(/^bus: +nats DOWN for \d+ s /m.test(downText), downText);
    assert(c.log.some((l) => l.includes('"bus down: reading waits until it is back"')));

    // Back: connected 1, healthy, and what the edge publishes next is read and stored.
    await nats.start();
    await until(async () => (await healthz(port)).status === 200, 60_000, "healthy again");
    await feed(edge, edgePort, LAB[0], LAB.length + 1);
    const lastAfter = await streamLastSeq(nats.url);
    assert(lastAfter > lastSeq, "more published");
    await until(
      async () => {
        m = await scrape(port);
        return m("bmpmon_consume_last_seq") === lastAfter && m("bmpmon_consume_pending") === 0;
      },
      60_000,
      () => `read on to ${lastAfter}:\n${c.log.slice(-5).join("\n")}`,
    );
    assertEquals(m("bmpmon_consume_connected"), 1);
    assertEquals(m("bmpmon_consume_connections_closed_total"), LAB.length + 1);
    const total = m("bmpmon_consume_messages_total");
    assert(total > messages, `${total} > ${messages}`);

    // The last log line says what /metrics said.
    assertEquals(await c.stop(), 0);
    consumer = undefined;
    const stopped = logged(c.log, "stopped");
    assertEquals([stopped.messages, stopped.closed, stopped.others], [
      total,
      LAB.length + 1,
      0,
    ]);
    // Its socket is gone with it.
    const gone = await Deno.lstat(consumeSocketPath(dataDir, "BMP", { index: 1, count: 1 }))
      .then(() => false, () => true);
    assert(gone, "socket removed at stop");
  } catch (e) {
    const tail = (l?: string[]) => l?.slice(-12).join("\n");
    throw new Error(
      `${(e as Error).message}\nedge:\n${tail(edge.log)}\nconsume:\n${tail(consumer?.log)}`,
      { cause: e },
    );
  } finally {
    await consumer?.stop().catch(() => {});
    await edge.stop().catch(() => {});
    await sql.end();
    await db.drop();
    await nats.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
