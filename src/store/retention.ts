/**
 * The retention job for databases without TimescaleDB. History, events, statistics and
 * mirroring are partitioned by time there (`migrations/0007_time_partitions.sql`), so
 * retention drops whole partitions older than `RETENTION`: no DELETE, no dead tuples, no
 * index pages left half empty as history grows. Only the DEFAULT partition, which holds
 * the few rows outside every range partition, has its expired rows deleted. Each run first
 * creates the partitions ahead ({@linkcode ensurePartitions}). (With TimescaleDB, its own
 * retention policy drops chunks; see migrate.ts.)
 *
 * @module
 */

import { checkInterval, type MigrationDb, TIME_TABLES } from "./migrate.ts";
import {
  DAYS_AHEAD,
  ensurePartitions,
  listPartitions,
  LOCK_TIMEOUT,
  tableKind,
} from "./partitions.ts";

/** What one {@linkcode applyRetention} did, per table. */
export interface RetentionResult {
  /** Rows deleted: from the DEFAULT partition, or from a table that is not partitioned. */
  deleted: Record<string, number>;
  /** Partitions dropped, each wholly older than the retention. */
  dropped: Record<string, number>;
}

/** One run of the job: {@linkcode RetentionResult} and the partitions created ahead. */
export interface RetentionRun extends RetentionResult {
  created: string[];
}

/** Options of {@linkcode startRetentionJob}. */
export interface RetentionJobOptions {
  /** Keep rows this long, e.g. "5 years". */
  retention: string;
  /** Time between runs, ms (default one hour). */
  everyMs?: number;
  /** Days of partitions to keep created ahead (default 7). */
  daysAhead?: number;
  /** Called after each run with the rows deleted per table, and the whole run. */
  onRun?: (deleted: Record<string, number>, run: RetentionRun) => void;
  /** Called when a run fails (the job goes on). */
  onError?: (e: unknown) => void;
}

/** A running retention job. */
export interface RetentionJob {
  /** Resolves after the first run (successful or not). */
  readonly first: Promise<void>;
  /** Stops the job; resolves when a run in progress has ended. */
  stop(): Promise<void>;
}

async function rows(db: MigrationDb, q: string): Promise<Record<string, unknown>[]> {
  return [...await db.unsafe(q)] as Record<string, unknown>[];
}

async function deleteOlder(db: MigrationDb, table: string, cutoff: string): Promise<number> {
  // Checked first so that a DEFAULT partition with nothing expired sees no DELETE at all.
  const any = await rows(db, `SELECT 1 FROM ${table} WHERE time < ${cutoff} LIMIT 1`);
  if (any.length === 0) return 0;
  const r = await rows(
    db,
    `WITH d AS (DELETE FROM ${table} WHERE time < ${cutoff} RETURNING 1)
     SELECT count(*)::int AS n FROM d`,
  );
  return Number(r[0]?.n ?? 0);
}

/**
 * Ages out history, events, statistics and mirroring older than `retention`: drops each
 * range partition whose upper bound is at or before `now() - retention` (a partition still
 * holding a row young enough stays whole), and deletes the expired rows of the DEFAULT
 * partition. A table that is not partitioned gets the DELETE.
 *
 * @param db postgres.js `sql` or an adapter
 * @param retention an interval such as "5 years"
 * @returns rows deleted and partitions dropped, per table
 * @throws {RangeError} for a retention that is not an interval
 *
 * @example
 * ```ts ignore
 * const { dropped } = await applyRetention(sql, "7 days");
 * console.log(dropped.route_history); // 23 of 30 daily partitions
 * ```
 */
export async function applyRetention(
  db: MigrationDb,
  retention = "5 years",
): Promise<RetentionResult> {
  const age = checkInterval("retention", retention);
  const [{ ms }] = await rows(
    db,
    `SELECT extract(epoch FROM now() - INTERVAL '${age}')::float8 * 1000 AS ms`,
  );
  const cutoffMs = Number(ms);
  const cutoff = `'${new Date(cutoffMs).toISOString()}'::timestamptz`;
  const deleted: Record<string, number> = {};
  const dropped: Record<string, number> = {};
  for (const t of TIME_TABLES) {
    deleted[t] = 0;
    dropped[t] = 0;
    const kind = await tableKind(db, t);
    if (kind === "r") deleted[t] = await deleteOlder(db, t, cutoff);
    if (kind !== "p") continue;
    for (const p of await listPartitions(db, t)) {
      if (p.isDefault) deleted[t] += await deleteOlder(db, p.name, cutoff);
      else if (p.to !== null && p.to <= cutoffMs) {
        await db.unsafe(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'; DROP TABLE ${p.name}`);
        dropped[t]++;
      }
    }
  }
  return { deleted, dropped };
}

/**
 * Runs {@linkcode ensurePartitions} and {@linkcode applyRetention} now and every `everyMs`;
 * runs never overlap.
 *
 * @example
 * ```ts ignore
 * const job = startRetentionJob(sql, { retention: "90 days" });
 * await job.first;
 * await job.stop();
 * ```
 */
export function startRetentionJob(db: MigrationDb, opts: RetentionJobOptions): RetentionJob {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const once = async (): Promise<RetentionRun> => {
    const created = await ensurePartitions(db, { daysAhead: opts.daysAhead ?? DAYS_AHEAD });
    return { ...await applyRetention(db, opts.retention), created };
  };
  const run = () => {
    running = once().then(
      (r) => opts.onRun?.(r.deleted, r),
      (e) => opts.onError?.(e),
    );
    return running;
  };
  const first = run();
  const timer = setInterval(() => {
    if (!stopped) running = running.then(run);
  }, opts.everyMs ?? 3_600_000);
  Deno.unrefTimer(timer);
  return {
    first,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
