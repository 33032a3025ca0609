/**
 * The default message rate limit must not pace a well-behaved router's full table: the
 * spool reads a table dump as fast as TCP delivers it, and at the old default (50,000
 * messages/s, burst 50,000) the M320's 139,282 messages were paused (issue 11).
 */

import type { BmpMessage } from "../../src/bmp/message.ts";
import { readInput } from "../../src/io/file.ts";
import { loadConfig } from "../../src/config.ts";
import { Collector, type MessageSink } from "../../src/collector/server.ts";
import { assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";

Deno.test("the default ROUTER_MAX_MSGS_PER_S does not pace a full table", async () => {
  const config = loadConfig({ DATA_DIR: await Deno.makeTempDir() }, "");
  const stream = await readInput(fixture("juniper-m320/m320.bmp.xz"));
  let messages = 0;
  let closed = false;
  const sink: MessageSink = {
    write(_r, _m: BmpMessage) {
      messages++;
    },
    routerDown() {
      closed = true;
    },
  };
  const c = new Collector({
    hostname: "127.0.0.1",
    port: 0,
    sink,
    limits: {
      maxMessagesPerS: config.ROUTER_MAX_MSGS_PER_S,
      burstMessages: config.ROUTER_BURST_MSGS,
    },
    log: () => {},
  });
  const { port } = c.start();
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const t0 = performance.now();
    for (let off = 0; off < stream.length;) off += await conn.write(stream.subarray(off));
    conn.close();
    while (!closed) await new Promise((r) => setTimeout(r, 20));
    const s = (performance.now() - t0) / 1000;
    console.log(`  M320 (${messages} messages) read in ${s.toFixed(2)} s at the default limit`);
    assertEquals(messages, 139_282);
    assertEquals(c.limits.rate_limited, 0, "a full table was paced by the default limit");
  } finally {
    await c.stop();
  }
});
