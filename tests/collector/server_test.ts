import type { BmpMessage } from "../../src/bmp/message.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { SummaryBuilder } from "../../src/bmp/summary.ts";
import { replay } from "../../src/cli/replay.ts";
import { Collector, type MessageSink, type RouterConnection } from "../../src/collector/server.ts";
import { readInput } from "../../src/io/file.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";

/** Summaries per router, and an optional delay per write to simulate a slow store. */
class SummarySink implements MessageSink {
  readonly byRouter = new Map<number, SummaryBuilder>();
  readonly down = new Map<number, string>();
  kinds: string[] = [];
  constructor(readonly delayEvery = 0) {}
  write(router: RouterConnection, m: BmpMessage): void | Promise<void> {
    let s = this.byRouter.get(router.id);
    if (!s) this.byRouter.set(router.id, s = new SummaryBuilder());
    s.add(m);
    this.kinds.push(m.kind);
    if (this.delayEvery && this.kinds.length % this.delayEvery === 0) {
      return new Promise((r) => setTimeout(r, 2));
    }
  }
  decodeError(router: RouterConnection): void {
    this.byRouter.get(router.id)?.addError();
  }
  routerDown(router: RouterConnection, reason: string): void {
    this.down.set(router.id, reason);
  }
}

async function expectedSummary(path: string) {
  const s = new SummaryBuilder();
  for (const item of readBmpStream(await readInput(path))) {
    item.error ? s.addError() : s.add(item.message);
  }
  return s.result();
}

async function run(sink: SummarySink, files: string[], connections = 1) {
  const collector = new Collector({ hostname: "127.0.0.1", port: 0, sink });
  const addr = collector.start();
  try {
    await replay(files, { hostname: addr.hostname, port: addr.port, rate: 0, connections });
    for (let i = 0; i < 500 && sink.down.size < connections * files.length; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await collector.idle();
    return collector;
  } finally {
    await collector.stop();
  }
}

Deno.test("Collector decodes a replayed capture exactly as the file decodes", async () => {
  const path = fixture("gobgp-frr-lab/gobgp-3.10-all-1k.bmp");
  const sink = new SummarySink();
  const collector = await run(sink, [path]);
  assertEquals(sink.byRouter.size, 1);
  assertEquals([...sink.byRouter.values()][0].result(), await expectedSummary(path));
  const router = [...collector.routers.values()][0];
  assertEquals(router.sysName, "gobgp-lab-A");
  assertEquals(router.bytes, (await Deno.stat(path)).size);
  assertEquals(sink.down.get(router.id), "closed by router");
});

Deno.test("Collector keeps every message in order when the sink pushes back", async () => {
  const path = fixture("gobgp-frr-lab/frr-8.4-prepost-1k.bmp");
  const sink = new SummarySink(50);
  await run(sink, [path]);
  const expected: string[] = [];
  for (const item of readBmpStream(await Deno.readFile(path))) expected.push(item.message!.kind);
  assertEquals(sink.kinds, expected);
});

Deno.test("Collector serves several routers at once, each with its own session", async () => {
  const path = fixture("gobgp-frr-lab/frr-8.4-mirror-100.bmp");
  const sink = new SummarySink();
  await run(sink, [path], 5);
  const want = await expectedSummary(path);
  assertEquals(sink.byRouter.size, 5);
  for (const s of sink.byRouter.values()) assertEquals(s.result(), want);
});

Deno.test("Collector closes a connection whose framing breaks", async () => {
  const sink = new SummarySink();
  const collector = new Collector({ hostname: "127.0.0.1", port: 0, sink });
  const addr = collector.start();
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: addr.port });
    const stream = await Deno.readFile(fixture("gobgp-frr-lab/gobgp-3.10-pre-100.bmp"));
    const first = new DataView(stream.buffer).getUint32(1); // whole first message only
    const good = stream.subarray(0, first);
    await conn.write(good);
    await conn.write(new Uint8Array([3, 0, 0, 0, 2, 0])); // length 2 < 6
    const buf = new Uint8Array(16);
    const n = await conn.read(buf).catch(() => null);
    assertEquals(n, null, "the collector closed the connection");
    conn.close();
    await collector.idle();
    const reason = [...sink.down.values()][0];
    assert(reason.startsWith("bad-length"), reason);
  } finally {
    await collector.stop();
  }
});

Deno.test("Collector waits for every pending write before routerDown", async () => {
  // A sink whose first write resolves late (like a store creating the peer row) while
  // the later ones resolve at once: the slow one is not the last promise of the read.
  const order: string[] = [];
  const sink: MessageSink = {
    write(_router, m) {
      if (m.kind !== "initiation") return Promise.resolve();
      return new Promise<void>((r) => setTimeout(() => (order.push("slow write done"), r()), 50));
    },
    routerDown() {
      order.push("router down");
    },
  };
  const collector = new Collector({ hostname: "127.0.0.1", port: 0, sink });
  const addr = collector.start();
  try {
    await replay([fixture("gobgp-frr-lab/gobgp-3.10-pre-100.bmp")], {
      hostname: addr.hostname,
      port: addr.port,
      rate: 0,
      connections: 1,
    });
    for (let i = 0; i < 100 && order.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assertEquals(order, ["slow write done", "router down"]);
  } finally {
    await collector.stop();
  }
});
