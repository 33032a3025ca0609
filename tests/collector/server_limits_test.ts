/**
 * The collector's limits, in process: each one refuses, closes, pauses or drops exactly
 * what it should, is counted in `Collector.limits`, and is logged once per connection.
 */

import type { BmpMessage } from "../../src/bmp/message.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { replay } from "../../src/cli/replay.ts";
import { Allowlist } from "../../src/collector/limits.ts";
import {
  Collector,
  type CollectorLimits,
  type MessageSink,
  type RouterConnection,
} from "../../src/collector/server.ts";
import * as b from "../_build.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";

/** Records what reaches the sink, and every log line. */
class Recorder implements MessageSink {
  readonly kinds: string[] = [];
  readonly peers: string[] = [];
  readonly up: number[] = [];
  readonly down = new Map<number, string>();
  readonly errors: string[] = [];
  readonly log: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  write(_r: RouterConnection, m: BmpMessage): void {
    this.kinds.push(m.kind);
    if ("peer" in m) this.peers.push(m.peer.address);
  }
  decodeError(_r: RouterConnection, e: { code: string; offset: number }): void {
    this.errors.push(`${e.code}@${e.offset}`);
  }
  routerUp(r: RouterConnection): void {
    this.up.push(r.id);
  }
  routerDown(r: RouterConnection, reason: string): void {
    this.down.set(r.id, reason);
  }
  lines(message: string): Record<string, unknown>[] {
    return this.log.filter((l) => l.message.startsWith(message)).map((l) => l.fields);
  }
}

async function withCollector(
  limits: CollectorLimits,
  fn: (c: Collector, rec: Recorder, port: number) => Promise<void>,
  opts: { maxMessageLength?: number; hostname?: string } = {},
): Promise<void> {
  const rec = new Recorder();
  const c = new Collector({
    hostname: opts.hostname ?? "127.0.0.1",
    port: 0,
    sink: rec,
    limits,
    maxMessageLength: opts.maxMessageLength,
    log: (level, message, fields) => rec.log.push({ level, message, fields }),
  });
  const addr = c.start();
  try {
    await fn(c, rec, addr.port);
  } finally {
    await c.stop();
  }
}

/** Resolves with null when the peer closed the connection (EOF or reset). */
async function closedByServer(conn: Deno.Conn): Promise<boolean> {
  try {
    return (await conn.read(new Uint8Array(64))) === null;
  } catch {
    return true; // reset
  }
}

async function eventually(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const initiation = () => b.initiation(b.tlv(2, b.text("r1")));
const rm = (address: string) =>
  b.routeMonitoring(b.update({ attrs: b.basicAttrs(), nlri: [b.prefix("10.0.0.0/8")] }), {
    address,
  });

Deno.test("ROUTER_ALLOW: a source outside the networks is refused before anything is read", async () => {
  await withCollector(
    { allow: Allowlist.parse("10.0.0.0/8, 2001:db8::/32") },
    async (c, rec, port) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(initiation()).catch(() => 0);
      assert(await closedByServer(conn), "refused");
      conn.close();
      await eventually(() => c.limits.not_allowed === 1, "the refusal to be counted");
      assertEquals(rec.up, []);
      assertEquals(c.routers.size, 0);
      assertEquals(rec.lines("connection refused").map((f) => [f.limit, f.address]), [[
        "not_allowed",
        "127.0.0.1",
      ]]);
    },
  );
  await withCollector({ allow: Allowlist.parse("127.0.0.0/8") }, async (c, rec, port) => {
    await replay([fixture("gobgp-frr-lab/gobgp-3.10-pre-100.bmp")], {
      hostname: "127.0.0.1",
      port,
      rate: 0,
      connections: 1,
    });
    await eventually(() => rec.down.size === 1, "the router to finish");
    assertEquals(c.limits.not_allowed, 0);
    assertEquals(rec.kinds.length, 76);
  });
});

Deno.test("ROUTER_ALLOW: IPv6 sources are matched as IPv6", async () => {
  let listener: Deno.Listener;
  try {
    listener = Deno.listen({ hostname: "::1", port: 0 });
  } catch {
    console.log("  no IPv6 loopback here: nothing to test");
    return;
  }
  listener.close();
  for (const [allow, refused] of [["::1/128", 0], ["127.0.0.0/8", 1]] as const) {
    await withCollector({ allow: Allowlist.parse(allow) }, async (c, _rec, port) => {
      const conn = await Deno.connect({ hostname: "::1", port });
      await conn.write(initiation());
      if (refused) assert(await closedByServer(conn));
      else await eventually(() => c.routers.size === 1, "the router");
      conn.close();
      await eventually(() => c.limits.not_allowed === refused, `${refused} refusals`);
    }, { hostname: "::1" });
  }
});

Deno.test("MAX_CONNECTIONS and MAX_CONNECTIONS_PER_ADDRESS refuse the connections beyond them", async () => {
  await withCollector({ maxConnections: 3, maxConnectionsPerAddress: 2 }, async (c, rec, port) => {
    const open: Deno.Conn[] = [];
    for (let i = 0; i < 2; i++) {
      open.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      await eventually(() => c.connections === i + 1, "the connection to be admitted");
    }
    const third = await Deno.connect({ hostname: "127.0.0.1", port });
    assert(await closedByServer(third), "the third from one address is refused");
    third.close();
    assertEquals(c.limits.max_connections_per_address, 1);
    assertEquals(c.connections, 2);
    // Closing one frees its slot.
    open.shift()!.close();
    await eventually(() => c.connections === 1, "the slot to be released");
    open.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    await eventually(() => c.connections === 2, "the new connection");
    assertEquals(c.limits.max_connections_per_address, 1);
    for (const x of open) x.close();
    assertEquals(rec.lines("connection refused").length, 1);
  });
  await withCollector({ maxConnections: 2 }, async (c, _rec, port) => {
    const open = [
      await Deno.connect({ hostname: "127.0.0.1", port }),
      await Deno.connect({ hostname: "127.0.0.1", port }),
    ];
    await eventually(() => c.connections === 2, "two connections");
    const third = await Deno.connect({ hostname: "127.0.0.1", port });
    assert(await closedByServer(third));
    third.close();
    assertEquals(c.limits.max_connections, 1);
    for (const x of open) x.close();
  });
});

Deno.test("IDLE_TIMEOUT_S closes silent and slowloris connections, never a router that spoke", async () => {
  await withCollector({ idleTimeoutMs: 300 }, async (c, rec, port) => {
    const silent = await Deno.connect({ hostname: "127.0.0.1", port });
    const slow = await Deno.connect({ hostname: "127.0.0.1", port });
    const msg = initiation();
    await slow.write(msg.subarray(0, msg.length - 1)); // all but the last byte
    const router = await Deno.connect({ hostname: "127.0.0.1", port });
    await router.write(msg);
    assert(await closedByServer(silent), "silent connection closed");
    assert(await closedByServer(slow), "slowloris connection closed");
    await eventually(() => c.limits.idle_timeout === 2, "two idle timeouts");
    // Well past the timeout, the router that sent its Initiation is still served.
    await new Promise((r) => setTimeout(r, 600));
    await router.write(rm("192.0.2.2"));
    await eventually(() => rec.kinds.length === 2, "the router's second message");
    assertEquals(rec.kinds, ["initiation", "route_monitoring"]);
    router.close();
    silent.close();
    slow.close();
    await c.idle();
    assertEquals(c.limits.idle_timeout, 2);
    // The idle ones never reached the sink and are forgotten; the router is kept.
    assertEquals(rec.up.length, 1);
    assertEquals([...c.routers.keys()], rec.up);
    const closes = rec.lines("router disconnected").map((f) => f.reason).sort();
    assertEquals(closes, ["closed by router", "idle timeout", "idle timeout"]);
    assertEquals(rec.lines("limit hit").map((f) => f.limit), ["idle_timeout", "idle_timeout"]);
    assertEquals(
      rec.lines("router disconnected").find((f) => f.unframed_bytes)?.unframed_bytes,
      msg.length - 1,
    );
  });
});

Deno.test("MAX_MESSAGE_BYTES: a larger message closes the connection; what came before is kept", async () => {
  await withCollector({}, async (c, rec, port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(b.cat(initiation(), [3, 0, 0, 0x10, 1, 0])); // 4097 bytes announced
    assert(await closedByServer(conn));
    conn.close();
    await c.idle();
    assertEquals(rec.kinds, ["initiation"]);
    assertEquals(c.limits.message_too_large, 1);
    const [line] = rec.lines("router connection closed on error");
    assertEquals([line.limit, line.offset], ["message_too_large", initiation().length]);
    assert(String([...rec.down.values()][0]).startsWith("too-large: "));
  }, { maxMessageLength: 4096 });
});

Deno.test("Broken framing (version, length < 6) closes the connection and is counted", async () => {
  for (const bad of [[9, 0, 0, 0, 6, 4], [3, 0, 0, 0, 5, 4], [4, 0, 0, 0, 0, 0]]) {
    await withCollector({}, async (c, rec, port) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(b.cat(initiation(), bad, initiation()));
      assert(await closedByServer(conn));
      conn.close();
      await c.idle();
      assertEquals(rec.kinds, ["initiation"], String(bad));
      assertEquals(c.limits.broken_framing, 1);
    });
  }
  // Garbage from the first byte: the sink never hears of the connection.
  await withCollector({}, async (c, rec, port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert(await closedByServer(conn));
    conn.close();
    await c.idle();
    assertEquals([rec.up, c.routers.size, c.limits.broken_framing], [[], 0, 1]);
  });
});

Deno.test("A message that does not decode is logged with router, offset and reason, and skipped by its length", async () => {
  await withCollector({}, async (c, rec, port) => {
    const bad = b.bmp(9, [1, 2, 3]); // unknown message type
    const short = b.routeMonitoring([0xff, 0xff]); // BGP PDU cut short
    const stream = b.cat(initiation(), bad, rm("192.0.2.2"), short, rm("192.0.2.3"));
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(stream);
    conn.close();
    await eventually(() => rec.down.size === 1, "the router to end");
    assertEquals(rec.kinds, ["initiation", "route_monitoring", "route_monitoring"]);
    const off1 = initiation().length;
    const off2 = off1 + bad.length + rm("192.0.2.2").length;
    const lines = rec.lines("message skipped");
    assertEquals(lines.map((l) => [l.router, l.offset, l.type, l.code]), [
      [1, off1, 9, "bad-type"],
      [1, off2, 0, "short-input"],
    ]);
    assert(lines.every((l) => String(l.reason).startsWith("Cannot ")));
    assertEquals(rec.errors.length, 2);
    assertEquals(Object.values(c.limits).every((n) => n === 0), true, "no limit was hit");
  });
});

Deno.test("Decode errors beyond the first 10 of a connection are counted, not logged", async () => {
  await withCollector({}, async (_c, rec, port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(b.cat(...Array.from({ length: 50 }, () => b.bmp(9, [0]))));
    conn.close();
    await eventually(() => rec.down.size === 1, "the router to end");
    assertEquals(rec.errors.length, 50);
    const lines = rec.lines("message skipped");
    assertEquals(lines.length, 10);
    assert(String(lines[9].note).includes("not logged"));
  });
});

Deno.test("ROUTER_MAX_MSGS_PER_S pauses the reads of a fast router and loses nothing", async () => {
  const path = fixture("gobgp-frr-lab/frr-8.4-prepost-1k.bmp");
  const want: string[] = [];
  for (const item of readBmpStream(await Deno.readFile(path))) want.push(item.message!.kind);
  await withCollector({ maxMessagesPerS: 5000, burstMessages: 500 }, async (c, rec, port) => {
    const t0 = performance.now();
    await replay([path], { hostname: "127.0.0.1", port, rate: 0, connections: 1 });
    await eventually(() => rec.down.size === 1, "the router to end", 30_000);
    const s = (performance.now() - t0) / 1000;
    console.log(`  ${want.length} messages at ≤ 5,000/s (burst 500): ${s.toFixed(2)} s`);
    assertEquals(rec.kinds, want);
    assert(c.limits.rate_limited > 0, "the limit paused the reads");
    assertEquals(rec.lines("limit hit").map((f) => f.limit), ["rate_limited"], "logged once");
  });
});

Deno.test("MAX_PEERS_PER_ROUTER drops the messages of peers beyond the cap, per router", async () => {
  await withCollector({ maxPeersPerRouter: 2 }, async (c, rec, port) => {
    const peers = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.1", "192.0.2.4", "192.0.2.2"];
    const stream = b.cat(initiation(), ...peers.map(rm), b.termination());
    for (let i = 0; i < 2; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(stream);
      conn.close();
      await eventually(() => rec.down.size === i + 1, "the router to end");
    }
    // Each connection keeps its first two peers; initiation and termination pass.
    const one = ["192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.2"];
    assertEquals(rec.peers, [...one, ...one]);
    assertEquals(rec.kinds.filter((k) => k !== "route_monitoring"), [
      "initiation",
      "termination",
      "initiation",
      "termination",
    ]);
    assertEquals(c.limits.peers_per_router, 4);
    assertEquals([...c.routers.values()].map((r) => r.dropped), [2, 2]);
    const hits = rec.lines("limit hit");
    assertEquals(hits.map((f) => [f.limit, f.peer]), [
      ["peers_per_router", "192.0.2.3"],
      ["peers_per_router", "192.0.2.3"],
    ]);
  });
});
