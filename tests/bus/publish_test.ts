/**
 * `serve` with BUS_URL publishes every BMP message it receives to JetStream: an
 * independent consumer (the npm client, none of bmpmon's code) reads `bmp.raw.>` back,
 * and the bytes it got, per router connection, decode exactly as the capture replayed.
 * Runs serve under the start task's permission flags, so they are enough for the bus.
 */

import { replay } from "../../src/cli/replay.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { taskArgs } from "../_tasks.ts";
import { dbTest, serve, until } from "../e2e/_serve.ts";
import { consumeAll, type Consumed, streamMessages } from "./_consumer.ts";
import { startNats } from "./_nats.ts";
import { concat } from "../_bytes.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** `bmpmon decode --format` of a file, as text. */
async function decodeFile(path: string, format: "summary" | "jsonl"): Promise<string> {
  const args = format === "summary" ? ["--summary"] : ["--format", "jsonl"];
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "decode", ...args, path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(`decode failed: ${new TextDecoder().decode(out.stderr)}`);
  if (format === "summary") return text;
  // Each line names its file: the rest must be equal.
  return text.split("\n").filter((l) => l).map((l) => {
    const { file: _, ...rest } = JSON.parse(l);
    return JSON.stringify(rest);
  }).join("\n");
}

/** Messages of the capture, by counting its common headers. */
function countMessages(data: Uint8Array): number {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let n = 0;
  for (let p = 0; p + 6 <= data.length; p += v.getUint32(p + 1)) n++;
  return n;
}

dbTest(
  "an independent consumer reads back from JetStream exactly the captures replayed into serve",
  async () => {
    const nats = await startNats();
    const captures = [
      fixture("gobgp-frr-lab/gobgp-3.10-all-1k.bmp"),
      fixture("gobgp-frr-lab/frr-8.4-prepost-1k.bmp"),
    ];
    const tmp = await Deno.makeTempDir({ prefix: "bmpmon-bus-" });
    const s = await serve({
      BUS_URL: nats.url,
      BUS_COLLECTOR_ID: "lab-1",
      BUS_MAX_AGE: "1d",
    }, { denoArgs: (env) => taskArgs("start", env) });
    try {
      const sent: number[] = [];
      for (const c of captures) {
        // One after the other: each is one connection from 127.0.0.1.
        await replay([c], { hostname: "127.0.0.1", port: s.port, rate: 0, connections: 1 });
        sent.push(countMessages(await Deno.readFile(c)));
      }
      const total = sent.reduce((a, b) => a + b, 0);
      // Each connection's messages, then its end.
      const ends = captures.length;
      await until(
        async () => (await streamMessages(nats.url, "BMP")) >= total + ends,
        30_000,
        "all published",
      );
      const all = await consumeAll(nats.url, "BMP", total + ends);
      const got = all.filter((m) => m.headers["Bmp-Connection-End"] === undefined);
      assertEquals(got.length, total, "one stream message per BMP message");
      const endMarks = all.filter((m) => m.headers["Bmp-Connection-End"] !== undefined);
      assertEquals(endMarks.map((m) => m.data.length), [0, 0], "empty ends, one per connection");
      // Each right after the last message of its connection.
      const connOf = (m: Consumed) => m.headers["Bmp-Connection"];
      for (const m of endMarks) {
        const j = all.indexOf(m);
        assertEquals(all.findLastIndex((x) => connOf(x) === connOf(m)), j, "the connection's last");
        assertEquals(connOf(all[j - 1]), connOf(m), "after its connection's messages");
      }
      // One router subject; per connection (Bmp-Connection), the captures in order.
      assertEquals(new Set(got.map((m) => m.subject)), new Set(["bmp.raw.127_0_0_1"]));
      const byConn = new Map<string, Consumed[]>();
      for (const m of got) {
        const k = m.headers["Bmp-Connection"];
        byConn.set(k, [...(byConn.get(k) ?? []), m]);
      }
      const conns = [...byConn.keys()].sort((a, b) => Number(a) - Number(b));
      assertEquals(conns.length, captures.length, "one Bmp-Connection per replay");
      for (const [i, conn] of conns.entries()) {
        const msgs = byConn.get(conn)!;
        assertEquals(msgs.length, sent[i]);
        const file = `${tmp}/conn-${conn}.bmp`;
        await Deno.writeFile(file, concat(msgs.map((m) => m.data)));
        assertEquals(await decodeFile(file, "summary"), await decodeFile(captures[i], "summary"));
        assertEquals(await decodeFile(file, "jsonl"), await decodeFile(captures[i], "jsonl"));
      }
      // Headers on every message; the router's sequence runs 1..N in stream order.
      for (const [i, m] of all.entries()) {
        assertEquals(m.headers["Bmp-Router-Address"], "127.0.0.1");
        assert(Number(m.headers["Bmp-Router-Port"]) > 0, "Bmp-Router-Port");
        assertEquals(m.headers["Bmp-Collector"], "lab-1");
        assertEquals(m.headers["Bmp-Router-Seq"], String(i + 1));
        assert(!Number.isNaN(Date.parse(m.headers["Bmp-Received"])), "Bmp-Received");
        assert(m.headers["Nats-Msg-Id"]?.startsWith("lab-1:"), "msgID");
      }
      // The Initiation's sysName is on the messages after it (gobgp sends one).
      const sysNames = new Set(got.map((m) => m.headers["Bmp-Sys-Name"]).filter((x) => x));
      assert(sysNames.size >= 1, `a sysName header: ${[...sysNames]}`);
      // The metrics say the same.
      assertEquals(await s.stop(), 0);
    } catch (e) {
      await s.stop().catch(() => {});
      throw new Error(`${(e as Error).message}\nserve log:\n${s.log.slice(-20).join("\n")}`, {
        cause: e,
      });
    } finally {
      await nats.close();
      await Deno.remove(tmp, { recursive: true });
    }
  },
);
