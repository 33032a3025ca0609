/**
 * Checkpoints for the embedded store. PGlite is a single-user backend with no
 * checkpointer process: it never checkpoints by WAL volume or time, so pg_wal grows with
 * everything written until the store closes (603 MB after one full table into a fresh
 * store) and a restart replays all of it. This job asks for a CHECKPOINT once the WAL
 * written since the last one passes `walBytes`, like PostgreSQL's `max_wal_size` trigger,
 * so the next checkpoint can recycle the old segments.
 *
 * @module
 */

import { type PeriodicJob, startPeriodic } from "../periodic.ts";

/** The part of a postgres.js pool the job needs. */
export interface CheckpointDb {
  unsafe(query: string): PromiseLike<readonly Record<string, unknown>[]>;
}

/** Options of {@linkcode startCheckpointer}. */
export interface CheckpointOptions {
  /** How often to look at the WAL, ms. Default 5 s (a look is one cheap query). */
  everyMs?: number;
  /** Checkpoint once this much WAL was written since the last one. Default 256 MiB. */
  walBytes?: number;
  /** Called with each checkpoint's WAL distance and duration. */
  onCheckpoint?: (walBytes: number, ms: number) => void;
  /** Called when a look or a checkpoint failed (the job goes on). */
  onError?: (e: unknown) => void;
}

/** A running checkpoint job: `tick()` looks at the WAL now and checkpoints if due. */
export type Checkpointer = PeriodicJob;

const BEHIND = `SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), redo_lsn)::float8 AS behind
  FROM pg_control_checkpoint()`;

/** Starts checking the WAL of the store behind `db` every `everyMs`. */
export function startCheckpointer(db: CheckpointDb, opts: CheckpointOptions = {}): Checkpointer {
  const walBytes = opts.walBytes ?? 256 * 1024 * 1024;
  return startPeriodic(opts.everyMs ?? 5_000, async (stopped) => {
    const [row] = await db.unsafe(BEHIND);
    const behind = Number(row?.behind ?? 0);
    if (stopped() || behind < walBytes) return false;
    const t0 = performance.now();
    await db.unsafe("CHECKPOINT");
    opts.onCheckpoint?.(behind, performance.now() - t0);
    return true;
  }, opts.onError);
}
