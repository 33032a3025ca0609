/**
 * `bmpmon replay --speed X` keeps a capture's own pace, X times faster: a message is not
 * sent before its per-peer header timestamp is due, messages without one (Initiation) or
 * with a zero timestamp go at once, and the bytes are the capture's.
 */

import { messageTimeMs, replay } from "../../src/cli/replay.ts";
import { assert, assertEquals } from "../_assert.ts";
import { bmp, cat, perPeer, routeMonitoring, tlv, update } from "../_build.ts";

const BASE = 1_700_000_000;
/** An Initiation, then Route Monitoring at +0 s, a zero timestamp, +1 s, +2.5 s, +4 s. */
const STREAM = cat(
  bmp(4, tlv(2, new TextEncoder().encode("r1"))),
  routeMonitoring(update(), { sec: BASE }),
  routeMonitoring(update(), { sec: 0, usec: 0 }),
  routeMonitoring(update(), { sec: BASE + 1 }),
  routeMonitoring(update(), { sec: BASE + 2, usec: 500_000 }),
  routeMonitoring(update(), { sec: BASE + 4 }),
);
/** When each message is due at --speed 4, ms after the first timestamped one. */
const DUE_AT_4 = [0, 0, 0, 250, 625, 1000];

Deno.test("messageTimeMs() reads the per-peer header's timestamp, none for Initiation or zero", () => {
  const m = routeMonitoring(update(), { sec: BASE, usec: 250_000 });
  assertEquals(messageTimeMs(m, 0), BASE * 1000 + 250);
  assertEquals(messageTimeMs(bmp(4, tlv(2, [0x41])), 0), undefined);
  assertEquals(messageTimeMs(routeMonitoring(update(), { sec: 0, usec: 0 }), 0), undefined);
  assertEquals(perPeer().length, 42);
});

Deno.test("replay --speed 4 sends each message when its timestamp is due, bytes unchanged", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const arrivals: { at: number; bytes: number }[] = [];
  const received: Uint8Array[] = [];
  const server = (async () => {
    const c = await l.accept();
    const buf = new Uint8Array(1 << 16);
    for (;;) {
      const n = await c.read(buf);
      if (n === null) break;
      received.push(buf.slice(0, n));
      arrivals.push({ at: performance.now(), bytes: received.reduce((s, r) => s + r.length, 0) });
    }
    c.close();
  })();
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/paced.bmp`, STREAM);
  const t0 = performance.now();
  const r = await replay([`${dir}/paced.bmp`], {
    hostname: "127.0.0.1",
    port: (l.addr as Deno.NetAddr).port,
    rate: 0,
    speed: 4,
    connections: 1,
  });
  await server;
  l.close();
  await Deno.remove(dir, { recursive: true });
  assertEquals(cat(...received), STREAM);
  assertEquals(r.messages, 6);
  // Message i's last byte arrived no earlier than it was due (the stream's offsets).
  const ends: number[] = [];
  for (let off = 0; off < STREAM.length;) {
    off += new DataView(STREAM.buffer, STREAM.byteOffset + off).getUint32(1);
    ends.push(off);
  }
  for (let i = 0; i < ends.length; i++) {
    const arrived = arrivals.find((a) => a.bytes >= ends[i])!;
    assert(arrived.at - t0 >= DUE_AT_4[i] - 5, `message ${i} at ${arrived.at - t0} ms`);
  }
});
