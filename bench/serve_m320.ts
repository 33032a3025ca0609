/**
 * End to end: the Juniper M320 full table (707,576 prefixes, 707,580 NLRI) sent over TCP
 * to a `bmpmon serve` process writing into PostgreSQL (DATABASE_URL; a scratch database is
 * created and dropped), against two references measured in the same run:
 *
 * - the speed peer: pmacct's `pmbmpd` reading the same stream and writing it as JSON lines
 *   to a file (skipped, and said so, when pmbmpd is not installed);
 * - PostgreSQL's floor: the rows bmpmon stored, dumped and COPYed back pre-encoded into
 *   index-free tables from 2 connections.
 *
 * Prints per run: seconds, routes/s, the ratios (pmbmpd time / bmpmon time: ≥ 1.0 means
 * bmpmon is at least as fast; bmpmon time / floor), collector CPU, PostgreSQL's CPU (all
 * its processes, when the server is local), peak RSS and database bytes per route; then the range over the runs (BENCH_RUNS, default 2). No assertions.
 *
 * Run: `DATABASE_URL=postgres://... deno task bench:serve`
 *
 * @module
 */

import { readInput } from "../src/io/file.ts";
import { copySeconds, dropAllIndexes, dumpRoutes, ScratchDatabases } from "./_floor.ts";
import { waitCommitted } from "./_committed.ts";
import { havePmbmpd, runPmbmpd } from "./_pmbmpd.ts";
import { cpuSeconds, rssKb, serverCpuSeconds, startServe } from "./_serve.ts";

const url = Deno.env.get("DATABASE_URL");
if (!url) {
  console.log("serve_m320: skipped, DATABASE_URL is not set");
  Deno.exit(0);
}
const file = new URL("../tests/fixtures/juniper-m320/m320.bmp.xz", import.meta.url).pathname;
const stream = await readInput(file);
const NLRI = 707_580;
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 2);
const pmbmpd = await havePmbmpd();

interface Run {
  bmpmon: number;
  cpu: number;
  /** PostgreSQL's CPU during the load (all its processes), when the server is local. */
  pgCpu?: number;
  peakMiB: number;
  bytesPerRoute: number;
  floor: number;
  pmbmpd?: number;
}

async function bmpmonRun(): Promise<Omit<Run, "pmbmpd">> {
  const serve = await startServe(url!);
  const { port, pid, sql } = serve;
  try {
    await new Promise((r) => setTimeout(r, 300));
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const pg0 = await serverCpuSeconds(sql);
    const t0 = performance.now();
    for (let off = 0; off < stream.length;) off += await conn.write(stream.subarray(off));
    await waitCommitted(
      serve.metricsPort,
      async () => (await sql`SELECT count(*)::int AS n FROM route_history`)[0].n,
      NLRI,
    );
    const bmpmon = (performance.now() - t0) / 1000;
    const pg1 = await serverCpuSeconds(sql);
    const pgCpu = pg0 === undefined || pg1 === undefined ? undefined : pg1 - pg0;
    const peakMiB = rssKb(pid).peak / 1024;
    const cpu = cpuSeconds(pid);
    const [{ bytes }] = await sql`SELECT pg_database_size(current_database())::bigint AS bytes`;
    conn.close();
    // The floor: the same rows, pre-encoded, into index-free tables.
    const dump = await dumpRoutes(sql);
    const dbs = new ScratchDatabases(url!);
    let floor: number;
    try {
      const target = await dbs.create();
      await dropAllIndexes(target);
      floor = await copySeconds(target, dump);
      await target.end();
    } finally {
      await dbs.drop();
    }
    return { bmpmon, cpu, pgCpu, peakMiB, bytesPerRoute: Number(bytes) / NLRI, floor };
  } finally {
    await serve.stop();
  }
}

const range = (xs: number[], digits: number) => {
  const lo = Math.min(...xs).toFixed(digits);
  const hi = Math.max(...xs).toFixed(digits);
  return lo === hi ? lo : `${lo}–${hi}`;
};
const rate = (s: number) => Math.round(NLRI / s).toLocaleString("en-US");

console.log(
  `M320 full table (${NLRI.toLocaleString("en-US")} NLRI): bmpmon serve → PostgreSQL, ` +
    `pmbmpd → JSON file, and PostgreSQL's floor, ${RUNS} run(s)`,
);
if (!pmbmpd) console.log("pmbmpd: not installed (Debian package pmacct), its time is skipped");
const runs: Run[] = [];
for (let i = 1; i <= RUNS; i++) {
  const peer = pmbmpd ? (await runPmbmpd(stream)).seconds : undefined;
  const r: Run = { ...await bmpmonRun(), pmbmpd: peer };
  runs.push(r);
  const vsPeer = r.pmbmpd === undefined
    ? ""
    : `; pmbmpd ${r.pmbmpd.toFixed(1)} s, ratio pmbmpd/bmpmon ${(r.pmbmpd / r.bmpmon).toFixed(2)}`;
  console.log(
    `run ${i}: bmpmon ${r.bmpmon.toFixed(1)} s (${rate(r.bmpmon)} routes/s)${vsPeer}; ` +
      `floor ${r.floor.toFixed(1)} s, bmpmon/floor ${(r.bmpmon / r.floor).toFixed(2)}; ` +
      `collector CPU ${r.cpu.toFixed(1)} s${
        r.pgCpu === undefined ? "" : `, PostgreSQL CPU ${r.pgCpu.toFixed(1)} s`
      }, peak RSS ${r.peakMiB.toFixed(0)} MiB, ` +
      `${r.bytesPerRoute.toFixed(0)} bytes/route`,
  );
}
const col = (f: (r: Run) => number | undefined) =>
  runs.map(f).filter((x): x is number => x !== undefined);
console.log("ranges:");
console.log(`  bmpmon: ${range(col((r) => r.bmpmon), 1)} s`);
console.log(`  routes/s: ${range(col((r) => NLRI / r.bmpmon), 0)}`);
if (pmbmpd) {
  console.log(`  pmbmpd: ${range(col((r) => r.pmbmpd), 1)} s`);
  console.log(`  ratio pmbmpd/bmpmon (bar ≥ 1.0): ${range(col((r) => r.pmbmpd! / r.bmpmon), 2)}`);
}
console.log(`  floor: ${range(col((r) => r.floor), 1)} s`);
console.log(`  bmpmon/floor (aim ≤ 2): ${range(col((r) => r.bmpmon / r.floor), 2)}`);
console.log(`  collector CPU (bar ≤ 3 s): ${range(col((r) => r.cpu), 1)} s`);
const pgCpus = col((r) => r.pgCpu);
if (pgCpus.length) console.log(`  PostgreSQL CPU (all its processes): ${range(pgCpus, 1)} s`);
console.log(`  peak RSS: ${range(col((r) => r.peakMiB), 0)} MiB`);
console.log(`  bytes/route: ${range(col((r) => r.bytesPerRoute), 0)}`);
