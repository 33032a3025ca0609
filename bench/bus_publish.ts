/**
 * Edge publish rate into JetStream: the Juniper M320 stream (about 139,000 BMP messages,
 * a full IPv4 table) appended to a fresh spool, then published by `BusPublisher` into a
 * local `nats-server -js` (file storage, the configuration of tests/bus/_nats.ts), timed
 * from the first publish until JetStream has acked every message.
 *
 * Run: `deno task bench:bus [FILE]`. Prints messages/s and MB/s (BMP bytes, headers not
 * counted). Needs `nats-server` on PATH. `BUS_PARSED=true` publishes each message decoded as
 * well (`bmp.parsed.*`): the rate is then of BMP messages, each with its JSON record, and
 * the JSON's size and the process's CPU time are printed too.
 *
 * @module
 */

import { openBus } from "../src/bus/connect.ts";
import { BusPublisher } from "../src/bus/publisher.ts";
import { loadConfig } from "../src/config.ts";
import { readInput } from "../src/io/file.ts";
import { RecordType, SpoolLog } from "../src/spool/log.ts";
import { startNats } from "../tests/bus/_nats.ts";

const DEFAULT = new URL("../tests/fixtures/juniper-m320/m320.bmp.xz", import.meta.url);
const path = Deno.args[0] ?? DEFAULT.pathname;
const window = Number(Deno.env.get("BENCH_WINDOW") ?? 512);
const parsed = Deno.env.get("BUS_PARSED") === "true";

/** User + system CPU time of this process, s (Linux /proc). */
function cpuSeconds(): number {
  const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

const bytes = await readInput(path);
const dir = await Deno.makeTempDir({ prefix: "bmpmon-bench-bus-" });
const nats = await startNats();
try {
  const spool = SpoolLog.open(`${dir}/spool`, { fsync: "never" });
  const now = Date.now();
  const conn = spool.nextSeq;
  spool.append(
    RecordType.ConnUp,
    now,
    conn,
    new TextEncoder().encode(JSON.stringify({ address: "192.0.2.1", port: 50000 })),
  );
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let messages = 0;
  for (let p = 0; p + 6 <= bytes.length;) {
    const len = v.getUint32(p + 1);
    spool.append(RecordType.Message, now, conn, bytes.subarray(p, p + len));
    p += len;
    messages++;
  }
  spool.flush();
  const config = loadConfig({
    BUS_URL: nats.url,
    BUS_COLLECTOR_ID: "bench",
    BUS_PARSED: String(parsed),
    DATA_DIR: dir,
  });
  const bus = await openBus(config);
  const publisher = new BusPublisher(bus, spool, {
    collectorId: "bench",
    dataDir: dir,
    window,
    parsed,
  });
  const t0 = performance.now();
  const cpu0 = cpuSeconds();
  publisher.start();
  if (!await publisher.settle(600_000)) throw new Error("not all acked in 10 minutes");
  const s = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - cpu0;
  const st = publisher.status();
  if (st.published !== messages) throw new Error(`published ${st.published} of ${messages}`);
  if (parsed && st.parsed !== messages) throw new Error(`parsed ${st.parsed} of ${messages}`);
  await publisher.close(1000);
  spool.close();
  console.log(
    `bus_publish: ${messages} messages, ${(bytes.length / 1e6).toFixed(1)} MB in ${
      s.toFixed(2)
    } s: ${Math.round(messages / s)} msgs/s, ${(bytes.length / 1e6 / s).toFixed(1)} MB/s ` +
      `(window ${window}, ${st.errors} errors; ${cpu.toFixed(1)} s CPU` +
      (parsed ? `; parsed: ${(st.parsedBytes / 1e6).toFixed(1)} MB of JSON)` : ")"),
  );
} finally {
  await nats.close();
  await Deno.remove(dir, { recursive: true });
}
