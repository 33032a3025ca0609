/**
 * The retention job for databases without TimescaleDB: deletes history, events,
 * statistics and mirroring rows older than `RETENTION`, once at start and then every
 * interval. (With TimescaleDB, its own retention policy does this; see migrate.ts.)
 *
 * @module
 */

import { applyRetention, type MigrationDb } from "./migrate.ts";

/** Options of {@linkcode startRetentionJob}. */
export interface RetentionJobOptions {
  /** Keep rows this long, e.g. "5 years". */
  retention: string;
  /** Time between runs, ms (default one hour). */
  everyMs?: number;
  /** Called after each run with the rows deleted per table. */
  onRun?: (deleted: Record<string, number>) => void;
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

/**
 * Runs {@linkcode applyRetention} now and every `everyMs`; runs never overlap.
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
  const run = () => {
    running = applyRetention(db, opts.retention).then(
      (deleted) => opts.onRun?.(deleted),
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
