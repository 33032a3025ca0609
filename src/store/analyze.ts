/**
 * Planner statistics of the current RIB kept up with a table load. Right after a full
 * table `rib` has none until autovacuum gets to it (its naptime is a minute, and it waits
 * for 10 % of the table to change), and the embedded store has no autovacuum at all
 * (PGlite is a single-user backend): there `rib` would never be analyzed, and every plan
 * would rest on default guesses (an equality matching 1 row in 200).
 *
 * This job looks at the size of `rib` every `everyMs` and runs `ANALYZE rib, path_attrs`
 * once it has grown by a fifth (and 8 MiB) since the last time, so a load of a full table
 * costs a handful of ANALYZEs (each reads a sample of 30,000 rows, not the table).
 *
 * @module
 */

import { type PeriodicJob, startPeriodic } from "./periodic.ts";

/** The part of a postgres.js pool the job needs. */
export interface AnalyzeDb {
  unsafe(query: string): PromiseLike<readonly Record<string, unknown>[]>;
}

/** Options of {@linkcode startAnalyzer}. */
export interface AnalyzeOptions {
  /** How often to look at the size of `rib`, ms. Default 10 s (one cheap query). */
  everyMs?: number;
  /** Growth since the last ANALYZE that calls for another: default 0.2 (a fifth). */
  growth?: number;
  /** And at least this many bytes: default 8 MiB. */
  minBytes?: number;
  /** Called after each ANALYZE with the size of `rib` and how long it took. */
  onAnalyze?: (ribBytes: number, ms: number) => void;
  /** Called when a look or an ANALYZE failed (the job goes on). */
  onError?: (e: unknown) => void;
}

/** A running statistics job: `tick()` looks now and analyzes if due. */
export type Analyzer = PeriodicJob;

const SIZE = `SELECT pg_relation_size('rib')::float8 AS bytes`;

/**
 * Starts watching the size of `rib` behind `db`. The first look analyzes a non-empty
 * `rib` (a restart does not know when it last was).
 */
export function startAnalyzer(db: AnalyzeDb, opts: AnalyzeOptions = {}): Analyzer {
  const growth = opts.growth ?? 0.2;
  const minBytes = opts.minBytes ?? 8 * 1024 * 1024;
  let analyzedAt = -1;
  return startPeriodic(opts.everyMs ?? 10_000, async (stopped) => {
    const [row] = await db.unsafe(SIZE);
    const bytes = Number(row?.bytes ?? 0);
    const due = analyzedAt < 0
      ? bytes > 0
      : bytes - analyzedAt >= Math.max(minBytes, analyzedAt * growth);
    if (stopped() || !due) return false;
    const t0 = performance.now();
    await db.unsafe("ANALYZE rib, path_attrs");
    analyzedAt = bytes;
    opts.onAnalyze?.(bytes, performance.now() - t0);
    return true;
  }, opts.onError);
}
