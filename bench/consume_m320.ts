/**
 * The M320 through edge → bus → store against a plain `serve`, in the same run: a plain
 * `serve` into PostgreSQL, then an edge (`serve` with STORE=none) into a local JetStream
 * with `bmpmon consume` behind it into a second database of the same server. Each time
 * runs from the first byte sent until every history row is committed (707,580); the
 * ratio is plain over bus (1.0: as fast).
 *
 * Run: `DATABASE_URL=postgres://… deno task bench:consume` (PostgreSQL at its default
 * settings for published figures). BENCH_RUNS=2 runs both twice. Needs `nats-server`.
 *
 * @module
 */

import postgres from "postgres";
import { readInput } from "../src/io/file.ts";
import { startNats } from "../tests/bus/_nats.ts";
import { cpuSeconds, historyRows as rows, startServe, until } from "./_serve.ts";

const URL_ = Deno.env.get("DATABASE_URL");
if (!URL_) throw new Error("DATABASE_URL is required (the server the benches create databases on)");
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 1);
const NLRI = 707_580;
const stream = await readInput(
  new URL("../tests/fixtures/juniper-m320/m320.bmp.xz", import.meta.url).pathname,
);

async function send(port: number): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  for (let off = 0; off < stream.length;) off += await conn.write(stream.subarray(off));
  return conn;
}

/** A plain `serve`: seconds until the M320 is committed. */
async function plain(): Promise<number> {
  const s = await startServe(URL_!);
  try {
    const t0 = performance.now();
    const conn = await send(s.port);
    await until(async () => await rows(s.sql) >= NLRI, "plain serve");
    const secs = (performance.now() - t0) / 1000;
    conn.close();
    return secs;
  } finally {
    await s.stop();
  }
}

/** Edge → JetStream → consume: seconds until the M320 is committed, and consume's CPU. */
async function viaBus(): Promise<{ secs: number; cpu: number }> {
  const nats = await startNats();
  const edge = await startServe(URL_!, { STORE: "none", BUS_URL: nats.url, BUS_COLLECTOR_ID: "e" });
  const admin = postgres(URL_!, { max: 1, onnotice: () => {} });
  const db = `bmpmon_bench_consume_${Date.now()}`;
  await admin.unsafe(`CREATE DATABASE ${db}`);
  const u = new URL(URL_!);
  u.pathname = `/${db}`;
  const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-bench-consume-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("../main.ts", import.meta.url).pathname, "consume"],
    env: {
      DATABASE_URL: u.toString(),
      BUS_URL: nats.url,
      DATA_DIR: dataDir,
      LOG_LEVEL: "WARNING",
      RETENTION: "50 years",
    },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const sql = postgres(u.toString(), { max: 1, onnotice: () => {} });
  try {
    // consume migrates its database first: start the clock once it has.
    await until(async () => (await rows(sql)) >= 0, "consume's migrations");
    const t0 = performance.now();
    const conn = await send(edge.port);
    await until(async () => await rows(sql) >= NLRI, "consume");
    const secs = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(child.pid);
    conn.close();
    return { secs, cpu };
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await sql.end();
    await edge.stop();
    await admin.unsafe(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    await nats.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

for (let run = 1; run <= RUNS; run++) {
  const p = await plain();
  const b = await viaBus();
  console.log(
    `run ${run}: M320 (${NLRI} routes) plain serve ${p.toFixed(1)} s ` +
      `(${Math.round(NLRI / p)} routes/s); edge -> JetStream -> consume ${b.secs.toFixed(1)} s ` +
      `(${Math.round(NLRI / b.secs)} routes/s, consume CPU ${b.cpu.toFixed(1)} s); ` +
      `ratio plain/bus ${(p / b.secs).toFixed(2)}`,
  );
}
