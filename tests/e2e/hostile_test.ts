/**
 * Hostile input never spreads: while a well-behaved router replays a capture into a real
 * `bmpmon serve`, other connections send garbage, wrong versions, zero and huge lengths,
 * every truncation of a real message, sit idle by the thousand, flood from one address,
 * and one router sends as fast as it can. The good router's rows must all land; every
 * bad connection must be closed and counted, and none may leave a row in the store.
 */

import { replay } from "../../src/cli/replay.ts";
import { Rng } from "../fuzz/_mutate.ts";
import { frame } from "../fuzz/_mutate.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { assertStoredContent, expectedContent } from "./_content.ts";
import { dbTest, serve, type Served, until } from "./_serve.ts";

const GOOD = fixture("gobgp-frr-lab/gobgp-3.10-all-1k.bmp");
const FAST = fixture("gobgp-frr-lab/frr-8.4-prepost-1k.bmp");
const IDLE = 1000;
const FLOOD = 200;
const PER_ADDRESS = 1050;
const IDLE_TIMEOUT_S = 4;

/** The soft limit on open files of this process (the serve child inherits it). */
function openFilesLimit(): number {
  const m = Deno.readTextFileSync("/proc/self/limits").match(/^Max open files\s+(\d+|unlimited)/m);
  return !m || m[1] === "unlimited" ? Infinity : Number(m[1]);
}

const NEED_FILES = IDLE + FLOOD + 400;
const limit = (() => {
  try {
    return openFilesLimit();
  } catch {
    return 0;
  }
})();

/** Parsed log lines of the serve process with this message prefix. */
function logLines(s: Served, prefix: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of s.log) {
    if (!line.startsWith("{")) continue;
    const j = JSON.parse(line);
    if (typeof j.message === "string" && j.message.startsWith(prefix)) out.push(j.properties);
  }
  return out;
}

const endpoint = (c: Deno.TcpConn) => `127.0.0.1:${(c.localAddr as Deno.NetAddr).port}`;

async function connect(port: number): Promise<Deno.TcpConn> {
  return await Deno.connect({ hostname: "127.0.0.1", port });
}

/** True once the server closed the connection (EOF or reset); false after `ms`. */
async function closedWithin(c: Deno.Conn, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((r) => timer = setTimeout(() => r(false), ms));
  const read = (async () => {
    const buf = new Uint8Array(64);
    try {
      for (;;) if ((await c.read(buf)) === null) return true;
    } catch {
      return true;
    }
  })();
  const r = await Promise.race([read, late]);
  clearTimeout(timer);
  return r;
}

/** Sends `bytes` on a new connection, then waits for the server to close it. */
async function sendAndExpectClose(port: number, bytes: Uint8Array): Promise<string> {
  const c = await connect(port);
  const ep = endpoint(c);
  await c.write(bytes).catch(() => 0);
  assert(await closedWithin(c, 10_000), `the collector did not close ${ep}`);
  c.close();
  return ep;
}

/** Sends `bytes` on a new connection, ends it, and waits for the collector to close too. */
async function sendAndClose(port: number, bytes: Uint8Array): Promise<string> {
  const c = await connect(port);
  const ep = endpoint(c);
  await c.write(bytes).catch(() => 0);
  await c.closeWrite();
  assert(await closedWithin(c, 10_000), `the collector did not end ${ep}`);
  c.close();
  return ep;
}

async function inBatches<T>(items: T[], size: number, fn: (x: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

function procStatus(pid: number, field: string): string {
  const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(
    new RegExp(`^${field}:\\s+(.*)$`, "m"),
  );
  return m ? m[1] : "?";
}

dbTest(
  "serve: hostile connections are closed and counted while a good router's rows all land",
  async () => {
    const want = await expectedContent(GOOD);
    const goodStream = await Deno.readFile(GOOD);
    const peerUp = frame(goodStream).find((m) => m[5] === 3)!;
    const s = await serve({
      MAX_CONNECTIONS: "5000",
      MAX_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS),
      IDLE_TIMEOUT_S: String(IDLE_TIMEOUT_S),
      ROUTER_MAX_MSGS_PER_S: "3000",
      ROUTER_BURST_MSGS: "1000",
      MAX_MESSAGE_BYTES: String(1 << 20),
    });
    let stopped = false;
    const idle: Deno.TcpConn[] = [];
    try {
      // One router at full speed, all along: the capture again and again.
      const fastData = await Deno.readFile(FAST);
      const fast = await connect(s.port);
      const fastEp = endpoint(fast);
      let fastRunning = true;
      let fastLoops = 0;
      const fastTask = (async () => {
        try {
          while (fastRunning) {
            for (let off = 0; off < fastData.length && fastRunning;) {
              off += await fast.write(fastData.subarray(off));
            }
            fastLoops++;
          }
        } catch { /* closed */ }
      })();

      // 1,000 idle connections (slowloris without a byte).
      await inBatches(Array.from({ length: IDLE }, (_, i) => i), 100, async () => {
        idle.push(await connect(s.port));
      });
      const idleClosed = Promise.all(
        idle.map((c) => closedWithin(c, (IDLE_TIMEOUT_S + 30) * 1000)),
      );

      // A flood from the same address: beyond MAX_CONNECTIONS_PER_ADDRESS it is refused.
      let floodRefused = 0;
      await Promise.all(Array.from({ length: FLOOD }, async () => {
        const c = await connect(s.port);
        if (await closedWithin(c, 2000)) floodRefused++;
        c.close();
      }));

      // The flood's accepted connections were closed by the client: wait until the
      // collector let go of them, or the good router would find the address full.
      await until(
        () => Promise.resolve(logLines(s, "router disconnected").length >= FLOOD - floodRefused),
        10_000,
        "the flood's connections to be released",
      );

      // The good router, while garbage keeps coming.
      const t0 = performance.now();
      const good = replay([GOOD], {
        hostname: "127.0.0.1",
        port: s.port,
        rate: 2500,
        connections: 1,
      });
      const rng = new Rng(0x6a7ba9e);
      const garbage = Array.from({ length: 20 }, () => {
        // Random bytes that never start like BMP (first byte not 3 or 4).
        const g = rng.fill(new Uint8Array(1 + rng.int(4096)));
        if (g[0] === 3 || g[0] === 4) g[0] = 0x47;
        return g;
      });
      const versions = [0, 1, 2, 5, 0xff].map((v) => new Uint8Array([v, 0, 0, 0, 6, 4]));
      const zeros = [0, 1, 5].map((n) => new Uint8Array([3, 0, 0, 0, n, 4, 0, 0]));
      const huge = [(1 << 20) + 1, 0x7fffffff, 0xffffffff].map((n) =>
        new Uint8Array([4, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, 0])
      );
      const closedEps: string[] = [];
      const tooLargeEps: string[] = [];
      const truncEps = new Map<string, number>();
      await Promise.all([
        inBatches([...garbage, ...versions, ...zeros], 8, async (b) => {
          closedEps.push(await sendAndExpectClose(s.port, b));
        }),
        inBatches(huge, 3, async (b) => {
          tooLargeEps.push(await sendAndExpectClose(s.port, b));
        }),
        // Every truncation of a real Peer Up, each on its own short connection.
        inBatches(Array.from({ length: peerUp.length - 1 }, (_, i) => i + 1), 16, async (k) => {
          truncEps.set(await sendAndClose(s.port, peerUp.subarray(0, k)), k);
        }),
      ]);
      const sent = await good;
      const goodSeconds = (performance.now() - t0) / 1000;

      const idleResults = await idleClosed;
      fastRunning = false;
      fast.close();
      await fastTask;

      const [{ id: goodId }] = await s.sql`SELECT id FROM routers WHERE sys_name = 'gobgp-lab-A'`;
      await assertStoredContent(s.sql, want, { routerIds: [goodId], timeoutMs: 60_000 });

      // Nothing but the two real routers reached the store.
      const routers = await s.sql`SELECT sys_name FROM routers ORDER BY sys_name`;
      assertEquals(routers.map((r) => r.sys_name), ["frr-lab", "gobgp-lab-A"]);

      await until(
        () =>
          Promise.resolve(logLines(s, "router disconnected").length >= IDLE + FLOOD - floodRefused),
        30_000,
        "every connection to be closed",
      );
      const rss = procStatus(s.pid, "VmHWM");
      stopped = true;
      const code = await s.stop();
      assertEquals(code, 0, "serve exits 0");

      const [stopLine] = logLines(s, "stopped");
      const limits = stopLine.limits as Record<string, number>;
      const refusedLines = logLines(s, "connection refused");
      const disconnected = new Map(
        logLines(s, "router disconnected").map((f) => [String(f.endpoint), f]),
      );
      const closedOnError = new Map(
        logLines(s, "router connection closed on error").map((f) => [String(f.endpoint), f]),
      );
      const rateHits = logLines(s, "limit hit").filter((f) => f.limit === "rate_limited");
      console.log(
        [
          `  good router: ${sent.messages} messages sent in ${
            goodSeconds.toFixed(1)
          } s, ${want.history} history rows, all landed`,
          `  fast router: ${fastLoops} whole captures sent (${fastData.length} bytes each)`,
          `  idle connections closed by the collector: ${
            idleResults.filter(Boolean).length
          }/${IDLE}`,
          `  flood: ${floodRefused}/${FLOOD} refused (MAX_CONNECTIONS_PER_ADDRESS=${PER_ADDRESS})`,
          `  garbage/version/length connections closed: ${
            closedEps.length + tooLargeEps.length
          }, truncations: ${truncEps.size}`,
          `  limits: ${JSON.stringify(limits)}`,
          `  serve peak RSS (VmHWM): ${rss}`,
        ].join("\n"),
      );

      assertEquals(idleResults.every(Boolean), true, "every idle connection was closed");
      // The collector's count is the truth; a refusal the client saw is one it counted.
      const refused = limits.max_connections_per_address;
      assert(refused > 0, "the flood hit MAX_CONNECTIONS_PER_ADDRESS");
      assert(floodRefused <= refused && refused <= FLOOD, `${floodRefused} <= ${refused}`);
      assertEquals(refusedLines.length, refused);
      assert(
        refusedLines.every((f) => f.limit === "max_connections_per_address"),
        "refused for the per-address limit",
      );
      // The idle ones timed out; nothing else did (the flood's accepted ones were closed).
      assertEquals(limits.idle_timeout, IDLE);
      assertEquals(limits.message_too_large, huge.length);
      for (const ep of tooLargeEps) assertEquals(closedOnError.get(ep)?.limit, "message_too_large");
      assertEquals(limits.broken_framing, closedEps.length);
      for (const ep of closedEps) {
        assertEquals(closedOnError.get(ep)?.limit, "broken_framing", `${ep} closed on its framing`);
      }
      // A truncated message is held until the connection ends, then dropped, and said so.
      for (const [ep, k] of truncEps) {
        const d = disconnected.get(ep);
        assertEquals(d?.reason, "closed by router", ep);
        assertEquals(d?.unframed_bytes, k, `${ep} sent ${k} bytes`);
      }
      assert(rateHits.some((f) => f.endpoint === fastEp), "the fast router was rate limited");
      assert(limits.rate_limited > 0);
      assertEquals(limits.not_allowed + limits.max_connections + limits.peers_per_router, 0);
    } catch (e) {
      throw new Error(`${(e as Error).message}\nserve log:\n${s.log.slice(-20).join("\n")}`, {
        cause: e,
      });
    } finally {
      for (const c of idle) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      if (!stopped) await s.stop();
    }
  },
  {
    ignore: limit < NEED_FILES
      ? `ulimit -n is ${limit}, the test needs ${NEED_FILES} (.ci/run raises it)`
      : undefined,
  },
);
