/**
 * RouterTap remembers each router's last messages in order and tells when a router's
 * session has ended, feeding a real Collector with a replayed capture.
 */

import { replay } from "../../src/cli/replay.ts";
import { Collector, type MessageSink } from "../../src/collector/server.ts";
import { RECENT_MESSAGES, RouterTap } from "../../src/control/tap.ts";
import { assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { loadCapture } from "./_capture.ts";

Deno.test("RouterTap keeps the last messages of each router, oldest first", async () => {
  const path = fixture("gobgp-frr-lab/frr-8.4-mirror-100.bmp");
  const c = await loadCapture(path);
  const downs: number[] = [];
  const inner: MessageSink = { write() {}, routerDown: (r) => void downs.push(r.id) };
  const tap = new RouterTap(inner);
  const collector = new Collector({ hostname: "127.0.0.1", port: 0, sink: tap });
  const addr = collector.start();
  try {
    await replay([path, path], {
      hostname: addr.hostname,
      port: addr.port,
      rate: 0,
      connections: 1,
    });
    for (let i = 0; i < 500 && downs.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assertEquals(downs.length, 2);
    for (const id of downs) {
      await tap.ended(id); // resolved: the inner sink heard of the end
      const last = tap.recent(id);
      assertEquals(last.length, RECENT_MESSAGES);
      const want = c.messages.slice(-RECENT_MESSAGES);
      // Offsets are the read buffer's, not the stream's: compare kinds and lengths.
      const seen = (e: { message?: { kind: string }; length: number }) =>
        `${e.message?.kind} ${e.length}`;
      const sent = (s: { m: { kind: string }; start: number; end: number }) =>
        `${s.m.kind} ${s.end - s.start}`;
      assertEquals(last.map(seen), want.map(sent));
      assertEquals(tap.recent(id, 3).map(seen), want.slice(-3).map(sent));
    }
    assertEquals(tap.recent(999), []);
    assertEquals(tap.debugging(downs[0]), false);
    tap.setDebug(downs[0], true);
    assertEquals(tap.debugging(downs[0]), true);
  } finally {
    await collector.stop();
  }
});
