/**
 * Bench helper: a `bmpmon serve` process on a scratch PostgreSQL database (created from
 * DATABASE_URL, dropped by `stop`), and its memory figures.
 *
 * @module
 */

import postgres from "postgres";
import { freeMetricsPort } from "./_committed.ts";

/** A collector process under measurement. */
export interface BenchServe {
  port: number;
  /** Its METRICS_LISTEN port. */
  metricsPort: number;
  pid: number;
  /** A connection to its database. */
  sql: postgres.Sql;
  stop(): Promise<void>;
}

/** Starts `serve` (LOG_LEVEL=WARNING plus `env`) and waits until it accepts connections. */
export async function startServe(url: string, env: Record<string, string> = {}) {
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  const db = `bmpmon_bench_${Date.now()}`;
  await admin.unsafe(`CREATE DATABASE ${db}`);
  const u = new URL(url);
  u.pathname = `/${db}`;
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const metricsPort = freeMetricsPort();
  const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-bench-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      // BENCH_CPU_PROF=DIR writes a V8 CPU profile of the collector there when it stops.
      ...(Deno.env.get("BENCH_CPU_PROF")
        ? ["--cpu-prof", `--cpu-prof-dir=${Deno.env.get("BENCH_CPU_PROF")}`]
        : []),
      new URL("../main.ts", import.meta.url).pathname,
      "serve",
    ],
    env: {
      DATABASE_URL: u.toString(),
      BMP_LISTEN_HOST: "127.0.0.1",
      BMP_LISTEN_PORT: String(port),
      LOG_LEVEL: "WARNING",
      DATA_DIR: dataDir,
      METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
      ...env,
    },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const sql = postgres(u.toString(), { max: 1, onnotice: () => {} });
  const stop = async () => {
    child.kill("SIGTERM");
    await child.status;
    await sql.end();
    await admin.unsafe(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    await Deno.remove(dataDir, { recursive: true });
  };
  for (let i = 0;; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      if (i > 300) {
        await stop();
        throw new Error("serve did not start");
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { port, metricsPort, pid: child.pid, sql, stop } satisfies BenchServe;
}

/** Current and peak resident memory of a process, KiB. */
export function rssKb(pid: number): { rss: number; peak: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const get = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: get("VmRSS"), peak: get("VmHWM") };
}

/** CPU time a process has used so far (user + system), seconds. */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of proc(5) (utime, stime), in clock ticks of 1/100 s on Linux.
  return (Number(f[11]) + Number(f[12])) / 100;
}

/**
 * CPU time of a local PostgreSQL server so far, seconds: its postmaster, its live
 * processes (backends, autovacuum, checkpointer, WAL writer) and those it has reaped
 * (proc(5) cutime/cstime). Undefined when the server is not on this machine or /proc is
 * not readable. Take it before and after: the difference is the server's CPU for a run.
 */
export async function serverCpuSeconds(sql: postgres.Sql): Promise<number | undefined> {
  try {
    const [{ pid }] = await sql`SELECT pid FROM pg_stat_activity
      WHERE backend_type = 'checkpointer'`;
    const ticks = (p: number | string, withChildren: boolean) => {
      const stat = Deno.readTextFileSync(`/proc/${p}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0);
    };
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const postmaster = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    let total = ticks(postmaster, true);
    for (const e of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      try {
        const st = Deno.readTextFileSync(`/proc/${e.name}/stat`);
        if (Number(st.slice(st.lastIndexOf(")") + 2).split(" ")[1]) === postmaster) {
          total += ticks(e.name, false);
        }
      } catch { /* exited meanwhile */ }
    }
    return total / 100;
  } catch {
    return undefined;
  }
}

/** Rows of `route_history`. */
export async function historyRows(sql: postgres.Sql): Promise<number> {
  return (await sql`SELECT count(*)::int AS n FROM route_history`)[0].n;
}

/** Polls `check` (errors count as false) every 100 ms until true; 15 minutes at most. */
export async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 900_000;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
