/**
 * Per-peer message rings: bounded over all routers, a quiet peer's ring is the one
 * taken, and RouterTap answers a peer's last messages from its ring and the router's.
 */

import type { BmpMessage } from "../../src/bmp/message.ts";
import { replay } from "../../src/cli/replay.ts";
import { Collector, type MessageSink } from "../../src/collector/server.ts";
import { PeerRings } from "../../src/control/peer_rings.ts";
import { RECENT_MESSAGES, RouterTap } from "../../src/control/tap.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { loadCapture } from "./_capture.ts";

const msg = (n: number) => ({ kind: "peer_up", n }) as unknown as BmpMessage;
const ns = (list: { message?: BmpMessage }[]) =>
  list.map((e) => (e.message as unknown as { n: number }).n);

Deno.test("PeerRings keeps the last messages of each peer, oldest first", () => {
  const r = new PeerRings(8, 3);
  for (let i = 0; i < 5; i++) r.push(1, "a", msg(i), 10, i, i);
  r.push(1, "b", msg(100), 10, 5, 5);
  assertEquals(ns(r.recent(1, "a", 10)), [2, 3, 4]);
  assertEquals(ns(r.recent(1, "a", 2)), [3, 4]);
  assertEquals(ns(r.recent(1, "b", 10)), [100]);
  assertEquals(r.recent(2, "a", 10), [], "peers are per router");
  assertEquals(r.rings, 2);
  r.dropRouter(1);
  assertEquals([r.rings, r.recent(1, "a", 10).length], [0, 0]);
});

Deno.test("PeerRings stays within its budget and gives a quiet peer's ring to a new peer", () => {
  const r = new PeerRings(3, 2);
  let seq = 0;
  const push = (router: number, key: string) => r.push(router, key, msg(seq), 1, 0, seq++);
  push(1, "quiet");
  push(1, "busy1");
  push(2, "busy2");
  // The clock hand passes every ring once (clearing their bits), then the busy ones write.
  push(3, "new1"); // takes one ring: every bit was set, so the first one after a full turn
  assertEquals(r.rings, 3);
  assertEquals(r.recent(1, "quiet", 5), [], "the oldest quiet ring was taken");
  push(1, "busy1");
  push(3, "new1");
  push(3, "new2"); // busy1 and new1 wrote since the hand passed: busy2 is the quiet one
  assertEquals(r.recent(2, "busy2", 5), []);
  assert(r.recent(1, "busy1", 5).length > 0);
  assert(r.recent(3, "new1", 5).length > 0);
  assertEquals(r.rings, 3);
  // Thousands of peers never grow it past the budget.
  for (let i = 0; i < 10_000; i++) push(4, `p${i}`);
  assertEquals(r.rings, 3);
  assertEquals(ns(r.recent(4, "p9999", 5)), [seq - 1]);
});

Deno.test("RouterTap.recentOfPeers() has a peer's messages beyond the router's last 64", async () => {
  // 18 peers; most send one Peer Up early in the stream, long out of the router's ring.
  const path = fixture("netgauze/peers-with-different-caps/example.pcap");
  const c = await loadCapture(path);
  const downs: number[] = [];
  const inner: MessageSink = { write() {}, routerDown: (r) => void downs.push(r.id) };
  const tap = new RouterTap(inner);
  const collector = new Collector({ hostname: "127.0.0.1", port: 0, sink: tap });
  const addr = collector.start();
  try {
    await replay([path], { hostname: addr.hostname, port: addr.port, rate: 0, connections: 1 });
    for (let i = 0; i < 500 && downs.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
    const [id] = downs;
    const keys = [
      ...new Set(c.messages.flatMap((s) => ("peer" in s.m ? [s.m.peer.key] : []))),
    ];
    assert(keys.length >= 10, `${keys.length} peers`);
    const lastOfRouter = c.messages.slice(-RECENT_MESSAGES);
    let beyond = 0;
    for (const key of keys) {
      const mine = c.messages.filter((s) => "peer" in s.m && s.m.peer.key === key);
      const seen = (e: { message?: BmpMessage; length: number }) =>
        `${e.message?.kind} ${e.length}`;
      const sent = (s: { m: BmpMessage; start: number; end: number }) =>
        `${s.m.kind} ${s.end - s.start}`;
      // Up to 16 from the peer's ring; more when the router's ring holds more of them.
      assertEquals(tap.recentOfPeers(id, [key], 16).map(seen), mine.slice(-16).map(sent), key);
      const inRouterRing = mine.filter((s) => lastOfRouter.includes(s)).length;
      const all = tap.recentOfPeers(id, [key], RECENT_MESSAGES);
      assertEquals(all.length, Math.max(Math.min(16, mine.length), inRouterRing), key);
      if (inRouterRing === 0) beyond++;
    }
    assert(beyond >= 5, `${beyond} peers have no message among the router's last 64`);
  } finally {
    await collector.stop();
  }
});
