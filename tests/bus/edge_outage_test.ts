/**
 * Issue 14's bar for an edge collector (`serve` with STORE=none, README "Several sites"):
 * with nats-server killed for 20 s while two routers keep sending, the routers stay
 * connected on the same TCP connections, the spool takes their messages, and once the
 * server is back (same port, same JetStream store) every BMP message is in the stream
 * once, byte for byte, in the order each router sent it.
 *
 * The routers are plain sockets written here rather than `bmpmon replay`: the test decides
 * which messages go before, during and after the outage, and watches each socket for the
 * collector closing it.
 */

import { assert, assertBytes, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { ControlClient } from "../../src/control/client.ts";
import type { ClientInfo } from "../../src/control/api.ts";
import { dbTest, serve, type Served, until } from "../e2e/_serve.ts";
import { consumeAll, type Consumed, streamMessages } from "./_consumer.ts";
import { freePort, type NatsServer, startNats } from "./_nats.ts";

/** The acceptance bullet's outage. */
const OUTAGE_MS = 20_000;
/** The routers send during this much of it, in slices, then it is left to run out. */
const SENDING_MS = 15_000;
const SLICE_MS = 500;

/** The captures' whole BMP messages, in order. */
function splitMessages(data: Uint8Array): Uint8Array[] {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: Uint8Array[] = [];
  for (let p = 0; p + 6 <= data.length;) {
    const len = v.getUint32(p + 1);
    out.push(data.slice(p, p + len));
    p += len;
  }
  return out;
}

/** A router: its socket, its capture, how far it has sent, and whether the peer closed. */
interface Router {
  name: string;
  conn: Deno.TcpConn;
  /** Its local port: the `Bmp-Router-Port` of its messages. */
  port: number;
  msgs: Uint8Array[];
  sent: number;
  /** Set when the collector closed or reset the connection (a router never reads). */
  lost?: string;
}

async function connectRouter(name: string, port: number): Promise<Router> {
  const msgs = splitMessages(await Deno.readFile(fixture(name)));
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const r: Router = { name, conn, port: (conn.localAddr as Deno.NetAddr).port, msgs, sent: 0 };
  // The collector sends nothing to a router: this read ends only if it drops the socket.
  conn.read(new Uint8Array(1)).then(
    (n) => r.lost ??= n === null ? "closed by the collector" : `sent ${n} bytes`,
    (e) => r.lost ??= `read failed: ${e}`,
  );
  return r;
}

/** Sends the router's messages up to `upTo` (exclusive) in one write. */
async function sendTo(r: Router, upTo: number): Promise<void> {
  const part = r.msgs.slice(r.sent, upTo);
  const buf = new Uint8Array(part.reduce((n, m) => n + m.length, 0));
  part.reduce((at, m) => (buf.set(m, at), at + m.length), 0);
  for (let off = 0; off < buf.length;) off += await r.conn.write(buf.subarray(off));
  r.sent = upTo;
}

function bytesOf(msgs: Uint8Array[]): number {
  return msgs.reduce((n, m) => n + m.length, 0);
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  if (!m) throw new Error(`no ${name} in /metrics`);
  return Number(m[1]);
}

async function healthz(port: number): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: res.status, body: await res.text() };
}

/** Bytes of the spool's segment files on disk, read from the directory itself. */
function spoolFileBytes(dataDir: string): number {
  let n = 0;
  for (const e of Deno.readDirSync(`${dataDir}/spool`)) {
    if (e.isFile) n += Deno.statSync(`${dataDir}/spool/${e.name}`).size;
  }
  return n;
}

/**
 * What holds at every check of the outage: both routers connected to the collector (its
 * control API and /metrics), read as far as they sent, their sockets open, /healthz 200.
 */
async function assertConnected(
  routers: Router[],
  control: ControlClient,
  metricsPort: number,
  edge: Served,
  when: string,
): Promise<void> {
  for (const r of routers) assertEquals(r.lost, undefined, `${r.name} socket ${when}`);
  assertEquals(await metric(metricsPort, "bmpmon_router_sessions"), routers.length, when);
  // Read on as usual: the collector has taken in everything each router wrote.
  await until(
    async () => {
      const clients = await control.request<ClientInfo[]>("GET", "/clients");
      return routers.every((r) =>
        clients.some((c) => c.port === r.port && c.closed_at === null && c.messages === r.sent)
      );
    },
    10_000,
    `the collector to read what the routers sent ${when}`,
  );
  const h = await healthz(metricsPort);
  assertEquals(h.status, 200, `/healthz ${when}: ${h.body}`);
  assertEquals(JSON.parse(h.body).store.kind, "none");
  const closes = edge.log.filter((l) => l.includes('"router disconnected"'));
  assertEquals(closes, [], `no router connection ended ${when}`);
}

/**
 * Each router's messages, byte for byte and in order, on its one connection and then its
 * end; every msgID once; `Bmp-Router-Seq` 1..n without a gap over the subject they share
 * (one address), in stream order.
 */
function assertStream(got: Consumed[], routers: Router[]): void {
  const want = routers.reduce((n, r) => n + r.msgs.length + 1, 0);
  assertEquals(got.length, want, "messages in the stream (BMP and the connections' ends)");
  assertEquals(new Set(got.map((m) => m.headers["Nats-Msg-Id"])).size, want, "distinct msgIDs");
  assertEquals(
    got.map((m) => Number(m.headers["Bmp-Router-Seq"])),
    Array.from({ length: want }, (_, i) => i + 1),
    "Bmp-Router-Seq 1..n in stream order",
  );
  for (const r of routers) {
    const mine = got.filter((m) => m.headers["Bmp-Router-Port"] === String(r.port));
    assertEquals(mine.length, r.msgs.length + 1, `${r.name}: its messages and its end`);
    assert(mine.every((m) => m.subject === "bmp.raw.127_0_0_1"), `${r.name}: subject`);
    assert(mine.every((m) => m.headers["Bmp-Collector"] === "edge-outage"), "Bmp-Collector");
    const conns = new Set(mine.map((m) => m.headers["Bmp-Connection"]));
    assertEquals(conns.size, 1, `${r.name}: one TCP connection through the outage`);
    const end = mine.at(-1)!;
    assertEquals(end.headers["Bmp-Connection-End"], "closed by router", `${r.name}: its end`);
    assertEquals(end.data.length, 0);
    const bmp = mine.slice(0, -1);
    assert(bmp.every((m) => m.headers["Bmp-Connection-End"] === undefined), `${r.name}: ends`);
    for (const [i, m] of bmp.entries()) {
      assertBytes(m.data, r.msgs[i], `${r.name}: message ${i + 1} of ${r.msgs.length}`);
    }
    const seqs = mine.map((m) => Number(m.headers["Bmp-Router-Seq"]));
    assert(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), `${r.name}: in order`);
  }
}

dbTest(
  "edge (STORE=none): nats-server killed for 20 s, routers stay connected, nothing is lost",
  async () => {
    const t0 = Date.now();
    const nats: NatsServer = await startNats();
    const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-edge-outage-" });
    const metricsPort = freePort();
    const edge = await serve({
      STORE: "none",
      // The edge has no database: an empty URL keeps the helper's one away from it.
      DATABASE_URL: "",
      BUS_URL: nats.url,
      BUS_COLLECTOR_ID: "edge-outage",
      DATA_DIR: dataDir,
      METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
    });
    const control = new ControlClient(dataDir);
    const routers: Router[] = [];
    try {
      for (
        const f of ["gobgp-frr-lab/frr-8.4-prepost-1k.bmp", "gobgp-frr-lab/gobgp-3.10-all-1k.bmp"]
      ) routers.push(await connectRouter(f, edge.port));
      const total = routers.reduce((n, r) => n + r.msgs.length, 0);
      // A quarter before the outage, most during it, the rest (Peer Downs, Termination)
      // after it, on the same sockets.
      const before = routers.map((r) => Math.floor(r.msgs.length / 4));
      const during = routers.map((r) => r.msgs.length - Math.floor(r.msgs.length / 8));
      for (const [i, r] of routers.entries()) await sendTo(r, before[i]);
      const sentBefore = before.reduce((a, b) => a + b, 0);
      await until(
        async () => (await streamMessages(nats.url, "BMP")) >= sentBefore,
        20_000,
        "the first quarter published while the bus is up",
      );
      await assertConnected(routers, control, metricsPort, edge, "before the outage");

      const spoolAtKill = spoolFileBytes(dataDir);
      const killedAt = Date.now();
      await nats.kill();
      await until(
        async () => (await metric(metricsPort, "bmpmon_bus_connected")) === 0,
        10_000,
        "the edge to see the bus down",
      );
      // Spread over the outage, not one burst: the collector must read on all along.
      const slices = SENDING_MS / SLICE_MS;
      const backlogs: number[] = [];
      for (let s = 1; s <= slices; s++) {
        for (const [i, r] of routers.entries()) {
          await sendTo(r, before[i] + Math.round(((during[i] - before[i]) * s) / slices));
        }
        if (s % 10 === 0) {
          await assertConnected(
            routers,
            control,
            metricsPort,
            edge,
            `${(s * SLICE_MS) / 1000} s into sending`,
          );
          backlogs.push(await metric(metricsPort, "bmpmon_bus_backlog"));
        }
        await new Promise((r) => setTimeout(r, SLICE_MS));
      }
      const sentDuring = routers.reduce((n, r, i) => n + r.sent - before[i], 0);
      const bytesDuring = routers.reduce(
        (n, r, i) => n + bytesOf(r.msgs.slice(before[i], r.sent)),
        0,
      );
      const left = killedAt + OUTAGE_MS - Date.now();
      assert(left > 0, `the sending took longer than the outage (${-left} ms over)`);
      await new Promise((r) => setTimeout(r, left));

      // The end of the outage: still connected, and all of it waiting in the spool.
      await assertConnected(routers, control, metricsPort, edge, "after 20 s of outage");
      assertEquals(await metric(metricsPort, "bmpmon_bus_connected"), 0, "the bus is still down");
      const backlog = await metric(metricsPort, "bmpmon_bus_backlog");
      assertEquals(backlog, sentDuring, "spool records the publisher has not read");
      assert(
        backlogs.every((b, i) => b > 0 && (i === 0 || b > backlogs[i - 1])),
        `the backlog grows through the outage: ${backlogs.join(", ")}`,
      );
      const spoolGrowth = spoolFileBytes(dataDir) - spoolAtKill;
      assert(
        spoolGrowth >= bytesDuring,
        `the spool files grew by ${spoolGrowth} bytes for ${bytesDuring} bytes of BMP`,
      );
      const outageMs = Date.now() - killedAt;
      assert(outageMs >= OUTAGE_MS, `the bus was down ${outageMs} ms`);

      await nats.start();
      await until(
        async () => (await metric(metricsPort, "bmpmon_bus_connected")) === 1,
        15_000,
        "the edge to reconnect",
      );
      // The same sockets carry the rest: the connections lived through it.
      for (const r of routers) await sendTo(r, r.msgs.length);
      await assertConnected(routers, control, metricsPort, edge, "after the bus came back");
      for (const r of routers) r.conn.close();
      await until(
        async () => (await streamMessages(nats.url, "BMP")) >= total + routers.length,
        30_000,
        "every message and both connections' ends published",
      );
      await until(
        async () =>
          (await metric(metricsPort, "bmpmon_bus_unacked")) === 0 &&
          (await metric(metricsPort, "bmpmon_bus_backlog")) === 0,
        10_000,
        "the publisher idle",
      );
      // A moment for anything published twice to show.
      await new Promise((r) => setTimeout(r, 1000));
      assertEquals(await streamMessages(nats.url, "BMP"), total + routers.length);
      assertStream(await consumeAll(nats.url, "BMP", total + routers.length), routers);

      const h = await healthz(metricsPort);
      assertEquals(h.status, 200, h.body);
      assert(edge.log.some((l) => l.includes('"bus down:')), "the log says the bus went down");
      assert(edge.log.some((l) => l.includes('"bus back:')), "the log says the bus came back");
      const closes = edge.log.filter((l) => l.includes('"router disconnected"'));
      assertEquals(closes.length, routers.length, closes.join("\n"));
      assert(closes.every((l) => l.includes('"closed by router"')), closes.join("\n"));
      assertEquals(await edge.stop(), 0);
      console.log(
        `edge outage: ${total} messages, ${sentDuring} sent while the bus was down ` +
          `${(outageMs / 1000).toFixed(1)} s, test ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    } catch (e) {
      await edge.stop().catch(() => {});
      throw new Error(`${(e as Error).message}\nedge log:\n${edge.log.slice(-25).join("\n")}`, {
        cause: e,
      });
    } finally {
      for (const r of routers) {
        try {
          r.conn.close();
        } catch { /* closed */ }
      }
      await nats.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);
