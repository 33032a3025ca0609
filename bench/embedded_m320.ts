/**
 * End to end on the embedded store: the Juniper M320 full table (707,576 prefixes,
 * 707,580 NLRI) sent over TCP to a `bmpmon serve` process without DATABASE_URL (PGlite in
 * a scratch DATA_DIR, in its worker). Prints seconds until every history row is
 * committed, routes/s, the collector's peak RSS and the store's size on disk.
 *
 * `--stall` then measures what the worker is for: the same load through the collector,
 * the writer and the embedded store inside this process, with PGlite in a worker and then
 * on the main thread, while a 5 ms timer records how late the event loop runs it (a router
 * connection cannot be read while the loop is held).
 *
 * Run: `deno task bench:embedded [--stall]`
 *
 * @module
 */

import postgres from "postgres";
import { Collector } from "../src/collector/server.ts";
import { StoreSink } from "../src/collector/store_sink.ts";
import { readInput } from "../src/io/file.ts";
import { openEmbedded } from "../src/store/embedded/mod.ts";
import { migrate } from "../src/store/migrate.ts";
import { StoreWriter } from "../src/store/writer.ts";
import { waitCommitted } from "./_committed.ts";
import { rssKb } from "./_serve.ts";

const FILE = new URL("../tests/fixtures/juniper-m320/m320.bmp.xz", import.meta.url).pathname;
const MAIN = new URL("../main.ts", import.meta.url).pathname;
const NLRI = 707_580;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** CPU time of a process (all its threads: the collector and PGlite's worker), seconds. */
function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ (100)
}

async function duMiB(dir: string): Promise<number> {
  let bytes = 0;
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) bytes += (await duMiB(p)) * 2 ** 20;
    else if (e.isFile) bytes += (await Deno.stat(p)).size;
  }
  return bytes / 2 ** 20;
}

async function send(port: number, stream: Uint8Array): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const t0 = performance.now();
  for (let off = 0; off < stream.length;) off += await conn.write(stream.subarray(off));
  conn.close();
  return (performance.now() - t0) / 1000;
}

/** The rows are counted only once all are in (a count blocks PGlite's one session). */
async function waitRows(sql: postgres.Sql, metricsPort?: number): Promise<void> {
  const count = async () => (await sql`SELECT count(*)::int AS n FROM route_history`)[0].n;
  if (metricsPort !== undefined) return await waitCommitted(metricsPort, count, NLRI);
  while (await count() < NLRI) await new Promise((r) => setTimeout(r, 1000));
}

/** `bmpmon serve` as deployed: its own process, PGlite in its worker. */
async function throughServe(stream: Uint8Array): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-bench-embedded-" });
  const port = freePort();
  const pgPort = freePort();
  const metricsPort = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "serve"],
    env: {
      DATABASE_URL: "",
      DATA_DIR: dataDir,
      PG_LISTEN: `127.0.0.1:${pgPort}`,
      BMP_LISTEN_HOST: "127.0.0.1",
      BMP_LISTEN_PORT: String(port),
      LOG_LEVEL: "WARNING",
      METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
    },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const sql = postgres(`postgres://postgres@127.0.0.1:${pgPort}/postgres`, {
    max: 1,
    onnotice: () => {},
  });
  let result: {
    idle: number;
    peak: number;
    sent: number;
    secs: number;
    cpu: number;
    rib: number;
    wal: number;
  };
  try {
    for (let i = 0;; i++) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        break;
      } catch {
        if (i > 600) throw new Error("serve did not start");
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await new Promise((r) => setTimeout(r, 300));
    const idle = rssKb(child.pid).rss;
    const cpu0 = cpuSeconds(child.pid);
    const t0 = performance.now();
    const sent = await send(port, stream);
    await waitRows(sql, metricsPort);
    const secs = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(child.pid) - cpu0;
    const { peak } = rssKb(child.pid);
    const [{ rib }] = await sql`SELECT count(*)::int AS rib FROM rib`;
    // PGlite has no checkpointer: what serve's checkpoint job keeps of pg_wal while open.
    const wal = await duMiB(`${dataDir}/pgdata/pg_wal`);
    result = { idle, peak, sent, secs, cpu, rib, wal };
  } finally {
    await sql.end();
    child.kill("SIGTERM");
    await child.status;
  }
  const disk = await duMiB(`${dataDir}/pgdata`);
  await Deno.remove(dataDir, { recursive: true });
  const { idle, peak, sent, secs, cpu, rib, wal } = result;
  console.log(
    `M320 full table through bmpmon serve into the embedded store (${
      NLRI.toLocaleString("en-US")
    } NLRI, ${rib.toLocaleString("en-US")} RIB rows)`,
  );
  console.log(
    `stream sent in ${sent.toFixed(1)} s; all rows committed after ${secs.toFixed(1)} s`,
  );
  console.log(`throughput: ${Math.round(NLRI / secs).toLocaleString("en-US")} routes/s end to end`);
  console.log(
    `collector CPU: ${cpu.toFixed(1)} s (${(cpu / NLRI * 1e6).toFixed(0)} µs per route, ` +
      `both threads; load average ${
        Deno.loadavg()[0].toFixed(1)
      } on ${navigator.hardwareConcurrency} cores)`,
  );
  console.log(
    `collector RSS (PGlite included): ${(idle / 1024).toFixed(0)} MiB idle, ${
      (peak / 1024).toFixed(0)
    } MiB peak`,
  );
  console.log(
    `store on disk: ${disk.toFixed(0)} MiB (${Math.round(disk * 2 ** 20 / NLRI)} bytes/route)` +
      `; pg_wal while open: ${wal.toFixed(0)} MiB`,
  );
}

/** The pipeline of `serve` in this process; how late a 5 ms timer fires while it loads. */
async function stall(inProcess: boolean): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-bench-stall-" });
  const store = await openEmbedded({ dataDir, inProcess });
  const sql = postgres({ ...store.connection, max: 6, onnotice: () => {} });
  await migrate(sql);
  const writer = await StoreWriter.open(sql);
  const collector = new Collector({
    hostname: "127.0.0.1",
    port: 0,
    sink: new StoreSink(writer),
  });
  const { port } = collector.start();
  const lags: number[] = [];
  let expected = performance.now() + 5;
  const timer = setInterval(() => {
    const now = performance.now();
    lags.push(now - expected);
    expected = now + 5;
  }, 5);
  const t0 = performance.now();
  // The sender is another process: this one's event loop is what is measured.
  const sender = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "replay", FILE, "--to", `127.0.0.1:${port}`],
    stdout: "null",
  }).spawn();
  await sender.status;
  await writer.flush();
  await waitRows(sql);
  const secs = (performance.now() - t0) / 1000;
  clearInterval(timer);
  await collector.stop();
  await writer.close();
  await sql.end();
  await store.close();
  await Deno.remove(dataDir, { recursive: true });
  lags.sort((a, b) => a - b);
  const q = (p: number) => lags[Math.min(lags.length - 1, Math.floor(p * lags.length))];
  console.log(
    `PGlite ${inProcess ? "on the main thread" : "in a worker      "}: ${
      Math.round(NLRI / secs).toLocaleString("en-US")
    } routes/s; event loop late by p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(0)} ms, ` +
      `max ${lags.at(-1)!.toFixed(0)} ms`,
  );
}

const stream = await readInput(FILE);
await throughServe(stream);
if (Deno.args.includes("--stall")) {
  console.log("main-thread stalls during the same load (collector, writer, store in one process):");
  await stall(false);
  await stall(true);
}
