/**
 * Router flap hold-down: the policy parser, the bookkeeping, and a collector that holds
 * down a router whose sessions keep ending while it serves another one.
 */

import type { BmpMessage } from "../../src/bmp/message.ts";
import { FlapHolddown, holddownText, parseHolddown } from "../../src/collector/holddown.ts";
import { Collector, type MessageSink, type RouterConnection } from "../../src/collector/server.ts";
import * as b from "../_build.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";

Deno.test("parseHolddown() reads FLAPS/PERIOD/HOLD and off, and rejects the rest in one line", () => {
  assertEquals(parseHolddown("3/300s/600s"), { flaps: 3, periodMs: 300_000, holdMs: 600_000 });
  assertEquals(parseHolddown(" 2/500ms/1h "), { flaps: 2, periodMs: 500, holdMs: 3_600_000 });
  assertEquals(parseHolddown("Off"), undefined);
  assertEquals(holddownText(parseHolddown("5/2m/90")!), "5/120s/90s");
  for (
    const bad of ["", "3", "3/300s", "3/300s/600s/1", "0/1s/1s", "-1/1s/1s", "3/0s/1s", "3/1d/1s"]
  ) {
    const e = assertThrows(() => parseHolddown(bad), Error);
    assert(e.message.startsWith("Cannot parse"), e.message);
    assert(!e.message.includes("\n"));
  }
});

Deno.test("FlapHolddown holds an address after FLAPS session ends within PERIOD, for HOLD", () => {
  const h = new FlapHolddown({ flaps: 3, periodMs: 10_000, holdMs: 60_000 });
  // Two flaps, then the third one after the first left the period: no hold.
  assertEquals(h.flap("a", 0), undefined);
  assertEquals(h.flap("a", 5_000), undefined);
  assertEquals(h.flap("a", 10_001), undefined);
  assertEquals(h.refuse("a", 10_002), undefined);
  // The third within 10 s of the two before it holds it down.
  const held = h.flap("a", 12_000);
  assertEquals(held && [held.address, held.since, held.until, held.flaps], [
    "a",
    12_000,
    72_000,
    3,
  ]);
  assertEquals(h.refuse("a", 12_001)?.refused, 1);
  assertEquals(h.refuse("a", 71_999)?.refused, 2);
  assertEquals(h.refuse("b", 20_000), undefined, "another address is untouched");
  assertEquals(h.held(30_000).map((x) => x.address), ["a"]);
  // The hold ends; the count starts over.
  assertEquals(h.refuse("a", 72_000), undefined);
  assertEquals(h.held(72_000), []);
  assertEquals(h.flap("a", 73_000), undefined);
  assertEquals(h.flap("a", 74_000), undefined);
  assert(h.flap("a", 75_000));
  assertEquals(h.holddowns.get("a"), 2);
  assertEquals(h.holddowns.get("b"), undefined);
});

/** Records what reaches the sink. */
class Recorder implements MessageSink {
  readonly up: string[] = [];
  readonly messages: string[] = [];
  readonly log: { message: string; fields: Record<string, unknown> }[] = [];
  write(r: RouterConnection, _m: BmpMessage): void {
    this.messages.push(r.remoteAddress);
  }
  routerUp(r: RouterConnection): void {
    this.up.push(r.remoteAddress);
  }
  lines(message: string) {
    return this.log.filter((l) => l.message === message).map((l) => l.fields);
  }
}

async function eventually(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function closedByServer(conn: Deno.Conn): Promise<boolean> {
  try {
    return (await conn.read(new Uint8Array(64))) === null;
  } catch {
    return true;
  }
}

Deno.test("Collector refuses a flapping router's connections while held down, and serves the others", async () => {
  const rec = new Recorder();
  // Dual-stack listener: 127.0.0.1 and ::1 are two router addresses.
  const c = new Collector({
    hostname: "::",
    port: 0,
    sink: rec,
    limits: { holddown: { flaps: 3, periodMs: 10_000, holdMs: 1_500 } },
    log: (_level, message, fields) => rec.log.push({ message, fields }),
  });
  const { port } = c.start();
  const msg = b.initiation(b.tlv(2, b.text("flappy")));
  try {
    const other = await Deno.connect({ hostname: "::1", port });
    await other.write(msg);
    // Three sessions that end by the router's doing: the third starts the hold.
    for (let i = 1; i <= 3; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(msg);
      await eventually(() => rec.up.filter((a) => a.endsWith("127.0.0.1")).length === i, `up ${i}`);
      conn.close();
      await eventually(() => c.connections === 1, `session ${i} ended`);
    }
    await eventually(() => rec.lines("router held down").length === 1, "the hold");
    const [held] = c.holddown!.held(Date.now());
    assertEquals([held.address, held.flaps], ["::ffff:127.0.0.1", 3]);
    // The fourth and fifth connections are closed at once, nothing read; one log line.
    for (let i = 0; i < 2; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(msg).catch(() => 0);
      assert(await closedByServer(conn), "refused");
      conn.close();
    }
    await eventually(() => c.limits.held_down === 2, "the refusals counted");
    assertEquals(rec.up.filter((a) => a.endsWith("127.0.0.1")).length, 3);
    assertEquals(rec.lines("connection refused").map((f) => f.limit), ["held_down"]);
    assertEquals(c.holddown!.held(Date.now())[0].refused, 2);
    // The other router was served all along.
    await other.write(msg);
    await eventually(() => rec.messages.filter((a) => a === "::1").length === 2, "::1 served");
    other.close();
    // Once the hold ends, the router is accepted again.
    await new Promise((r) => setTimeout(r, Math.max(0, held.until - Date.now()) + 50));
    const back = await Deno.connect({ hostname: "127.0.0.1", port });
    await back.write(msg);
    await eventually(() => rec.up.filter((a) => a.endsWith("127.0.0.1")).length === 4, "accepted");
    assertEquals(c.limits.held_down, 2);
    back.close();
    // That session's end is the first flap of a new count: no second hold.
    await eventually(() => c.connections === 0, "all closed");
    assertEquals(c.holddown!.holddowns.get("::ffff:127.0.0.1"), 1);
  } finally {
    await c.stop();
  }
});

Deno.test("Collector does not count sessions it closed itself (clear client, stop) as flaps", async () => {
  const rec = new Recorder();
  const c = new Collector({
    hostname: "127.0.0.1",
    port: 0,
    sink: rec,
    limits: { holddown: { flaps: 1, periodMs: 60_000, holdMs: 60_000 } },
  });
  const { port } = c.start();
  try {
    for (let i = 1; i <= 2; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(b.initiation(b.tlv(2, b.text("r"))));
      await eventually(() => rec.up.length === i, `up ${i}`);
      const id = [...c.routers.values()].find((r) => !r.closedAt)!.id;
      assert(c.disconnect(id));
      assert(await closedByServer(conn));
      conn.close();
      await eventually(() => c.connections === 0, "closed");
    }
    assertEquals(c.holddown!.held(Date.now()), []);
    assertEquals(c.limits.held_down, 0);
  } finally {
    await c.stop();
  }
});
