/**
 * What a second `consume` member buys: two routers (two addresses, one per member) each
 * send the M320 to an edge (`serve` with STORE=none) on a local JetStream; behind it, one
 * `consume` (CONSUME_MEMBER=1/1) and then two members (1/2, 2/2) store the stream into a
 * fresh database each. Each time runs from the first message read until every history row
 * of both routers is committed (2 × 707,580); the stream is published once, before, so
 * only the store side is timed. The ratio is one member over two (above 1.0: faster).
 *
 * Run: `DATABASE_URL=postgres://… deno task bench:consume-members` (PostgreSQL at its
 * default settings for published figures). BENCH_RUNS=2 runs both twice.
 *
 * @module
 */

import postgres from "postgres";
import { memberOf } from "../src/bus/membership.ts";
import { readInput } from "../src/io/file.ts";
import { startNats } from "../tests/bus/_nats.ts";
import { sendFrom } from "../tests/bus/_routers.ts";
import { cpuSeconds, historyRows as rows, startServe, until } from "./_serve.ts";

const URL_ = Deno.env.get("DATABASE_URL");
if (!URL_) throw new Error("DATABASE_URL is required (the server the benches create databases on)");
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 1);
const ROWS = 2 * 707_580;
const stream = await readInput(
  new URL("../tests/fixtures/juniper-m320/m320.bmp.xz", import.meta.url).pathname,
);

/** Two router addresses that two members split. */
const ROUTERS = ["127.0.0.1"];
for (let i = 2; ROUTERS.length < 2; i++) {
  if (memberOf(`127.0.0.${i}`, 2) !== memberOf(ROUTERS[0], 2)) ROUTERS.push(`127.0.0.${i}`);
}

/** `count` members storing the stream at `natsUrl`: seconds, and their CPU in all. */
async function store(natsUrl: string, count: number): Promise<{ secs: number; cpu: number }> {
  const admin = postgres(URL_!, { max: 1, onnotice: () => {} });
  const db = `bmpmon_bench_members_${Date.now()}`;
  await admin.unsafe(`CREATE DATABASE ${db}`);
  const u = new URL(URL_!);
  u.pathname = `/${db}`;
  // Migrated before the clock starts, as the members would find a database in use.
  const migrated = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("../main.ts", import.meta.url).pathname, "migrate"],
    env: { DATABASE_URL: u.toString(), LOG_LEVEL: "WARNING" },
    stdout: "null",
  }).output();
  if (!migrated.success) throw new Error("bmpmon migrate failed");
  const dirs: string[] = [];
  const children = [];
  const sql = postgres(u.toString(), { max: 1, onnotice: () => {} });
  const t0 = performance.now();
  for (let i = 1; i <= count; i++) {
    const dir = await Deno.makeTempDir({ prefix: "bmpmon-bench-members-" });
    dirs.push(dir);
    children.push(
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", new URL("../main.ts", import.meta.url).pathname, "consume"],
        env: {
          DATABASE_URL: u.toString(),
          BUS_URL: natsUrl,
          DATA_DIR: dir,
          LOG_LEVEL: "WARNING",
          RETENTION: "50 years",
          CONSUME_MEMBER: `${i}/${count}`,
        },
        stdout: "null",
        stderr: "inherit",
      }).spawn(),
    );
  }
  try {
    await until(async () => await rows(sql) >= ROWS, `${count} member(s)`);
    const secs = (performance.now() - t0) / 1000;
    const cpu = children.reduce((a, c) => a + cpuSeconds(c.pid), 0);
    return { secs, cpu };
  } finally {
    for (const c of children) {
      c.kill("SIGTERM");
      await c.status;
    }
    await sql.end();
    await admin.unsafe(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    for (const d of dirs) await Deno.remove(d, { recursive: true });
  }
}

const nats = await startNats();
const edge = await startServe(URL_!, { STORE: "none", BUS_URL: nats.url, BUS_COLLECTOR_ID: "e" });
try {
  await Promise.all(ROUTERS.map((a) => sendFrom(a, edge.port, stream)));
  // Published once every message is in the stream (the edge's backlog metric at 0).
  await until(async () => {
    const text = await (await fetch(`http://127.0.0.1:${edge.metricsPort}/metrics`)).text();
    return /^bmpmon_bus_backlog 0$/m.test(text) && /^bmpmon_bus_unacked 0$/m.test(text) &&
      /^bmpmon_bus_published_total [1-9]/m.test(text);
  }, "the edge's publishing");
  for (let run = 1; run <= RUNS; run++) {
    const one = await store(nats.url, 1);
    const two = await store(nats.url, 2);
    console.log(
      `run ${run}: 2 routers x M320 (${ROWS} routes) from the stream: one consume ` +
        `${one.secs.toFixed(1)} s (${Math.round(ROWS / one.secs)} routes/s, CPU ` +
        `${one.cpu.toFixed(1)} s); two members ${two.secs.toFixed(1)} s ` +
        `(${Math.round(ROWS / two.secs)} routes/s, CPU ${two.cpu.toFixed(1)} s in all); ` +
        `ratio one/two ${(one.secs / two.secs).toFixed(2)}`,
    );
  }
} finally {
  await edge.stop();
  await nats.close();
}
