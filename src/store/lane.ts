/**
 * A lane: one reserved connection and its chain of route batches. One batch fills while
 * the one before commits; a sealed batch commits after the lane's previous one, so the
 * updates of a route (always in the same lane, {@linkcode laneOf}) stay in order.
 *
 * A batch whose commit fails for want of a database is retried, on a new connection
 * (with new staging tables), until it is in; the lane's spool mark tells after an
 * ambiguous failure whether its COMMIT landed.
 *
 * @module
 */

import type { ReservedSql, Sql } from "postgres";
import { type AttrCache, Batch } from "./batch.ts";
import { commitBatch, type CommitSteps, prepareStaging } from "./batch_sql.ts";
import type { FirstLoad } from "./first_load.ts";
import { hash32 } from "./key_set.ts";
import { ATTEMPT_MS, isRetryable, type Retrier, withDeadline } from "./retry.ts";
import { type LaneMark, markAfter, type PendingSeqs, storedMarkCovers } from "./spool_marks.ts";

const RESOLVED = Promise.resolve();

/**
 * The lane of route `key` of peer view `peerId`, out of `lanes`.
 *
 * @example
 * ```ts
 * import { laneOf } from "./lane.ts";
 * if (laneOf(3, "10.0.0.0/8", 4) !== laneOf(3, "10.0.0.0/8", 4)) throw new Error();
 * if (laneOf(3, "10.0.0.0/8", 1) !== 0) throw new Error();
 * ```
 */
export function laneOf(peerId: number, key: string, lanes: number): number {
  return lanes === 1 ? 0 : hash32(key, peerId) % lanes;
}

/** Counters of route batches (part of the writer's stats). */
export interface BatchStats {
  batches: number;
  /** Time spent in batch transactions, ms (summed over lanes). */
  commitMs: number;
  /** Of `commitMs`: ms per step (attrs, history, stage, insert of new routes, upsert, commit). */
  steps: CommitSteps;
  /** Batches whose routes taken for new were not: redone through the upsert. */
  firstLoadMisses: number;
  /** Routes of the current RIB written by the first-load path (plain insert). */
  firstLoadRoutes: number;
}

/** What the lanes of a writer share. */
export interface LaneContext {
  /** The pool lanes reserve from, unless `connect` gives each its own. */
  sql: Sql;
  /** Opens a one-connection pool for a lane (WriterOptions.connect). */
  connect?: () => Sql;
  retry: Retrier;
  /** Spool records being written outside the batches (they hold the lane's mark back). */
  pending: PendingSeqs;
  firstLoad: FirstLoad;
  attrs: AttrCache;
  stats: BatchStats;
  /** Reports a batch that failed for good (its routes are lost). */
  fail: (e: unknown) => void;
  /** Whose spool marks the lanes keep (`WriterOptions.markSource`). */
  markSource: string;
}

/** One connection and its fill/seal/commit chain. */
export class Lane {
  readonly index: number;
  /** The batch routes go into now. */
  fill = new Batch();
  /** Spool mark of what this lane committed. */
  mark: LaneMark;
  readonly #ctx: LaneContext;
  /** The lane's own pool (`connect`), if any. */
  #db?: Sql;
  #conn: ReservedSql;
  /** The connection failed: reserve a new one before the next statement. */
  #broken = false;
  /** A committed batch, emptied, to fill next. */
  #idle: Batch | null = new Batch();
  /** The commit of the last sealed batch. */
  #inflight: Promise<void> | null = null;
  /** Sealed batches not yet committed. */
  readonly #sealed = new Set<Batch>();

  private constructor(
    ctx: LaneContext,
    index: number,
    mark: LaneMark,
    conn: ReservedSql,
    db?: Sql,
  ) {
    this.#ctx = ctx;
    this.index = index;
    this.mark = mark;
    this.#conn = conn;
    this.#db = db;
  }

  /** Reserves lane `index`'s connection and creates its staging tables. */
  static async open(ctx: LaneContext, index: number, mark: LaneMark): Promise<Lane> {
    const db = ctx.connect?.();
    const conn = await (db ?? ctx.sql).reserve();
    await prepareStaging(conn);
    return new Lane(ctx, index, mark, conn, db);
  }

  /** Whether a batch is committing. */
  get busy(): boolean {
    return this.#inflight !== null;
  }

  /** The lowest spool sequence number in the lane's uncommitted batches, or `Infinity`. */
  lowestPending(): number {
    let low = Infinity;
    if (this.fill.minSeq) low = Math.min(low, this.fill.minSeq);
    for (const b of this.#sealed) if (b.minSeq) low = Math.min(low, b.minSeq);
    return low;
  }

  /**
   * Once the filling batch has `rows` routes: seals it, or, while the one before still
   * commits, returns that commit (the sender waits for it).
   */
  sealWhenFull(rows: number): Promise<void> | undefined {
    if (this.fill.routes < rows) return;
    if (this.#inflight) return this.#inflight;
    this.seal();
  }

  /** Seals the filling batch when its first route has waited `ms` and none commits. */
  sealWhenOlder(now: number, ms: number): void {
    if (this.fill.routes > 0 && !this.#inflight && now - this.fill.firstAt >= ms) this.seal();
  }

  /** Seals the filling batch; resolves when every batch so far is committed (or failed). */
  seal(): Promise<void> {
    const batch = this.fill;
    if (batch.empty) return this.#inflight ?? RESOLVED;
    this.fill = this.#idle ?? new Batch();
    this.#idle = null;
    this.#sealed.add(batch);
    const prev = this.#inflight ?? RESOLVED;
    const p: Promise<void> = prev.then(() => this.#commit(batch)).catch((e) => {
      // A failed batch may have carried attribute sets other batches now rely on.
      this.#ctx.attrs.clear();
      this.#ctx.fail(e);
    }).finally(() => {
      this.#sealed.delete(batch);
      batch.reset();
      this.#idle = batch;
      if (this.#inflight === p) this.#inflight = null;
    });
    this.#inflight = p;
    return p;
  }

  /** Releases the connection (ends the lane's own pool). */
  async release(): Promise<void> {
    this.#conn.release();
    await this.#db?.end({ timeout: 5 });
  }

  async #commit(b: Batch): Promise<void> {
    const { stats, firstLoad } = this.#ctx;
    const t0 = performance.now();
    b.stageRows();
    const hooks = {
      steps: stats.steps,
      markAfter: () => this.#markAfter(b),
      markSource: this.#ctx.markSource,
      firstLoadMiss: () => {
        firstLoad.end(b.newRowViews);
        stats.firstLoadMisses++;
      },
    };
    await this.#ctx.retry.run(async (attempt) => {
      const conn = await this.#connection();
      // After an ambiguous failure (the COMMIT may have landed), the lane's mark says.
      if (attempt > 0 && b.maxSeq && await this.#stored(conn, b.maxSeq)) return;
      try {
        await withDeadline(commitBatch(conn, this.index, b, hooks), ATTEMPT_MS, "batch");
      } catch (e) {
        if (isRetryable(e)) this.#broken = true;
        throw e;
      }
    });
    if (b.maxSeq) this.mark = this.#markAfter(b);
    stats.batches++;
    if (b.firstLoaded) stats.firstLoadRoutes += b.newRows;
    stats.commitMs += performance.now() - t0;
  }

  /** Whether the lane's stored mark covers message `seq`. */
  #stored(conn: ReservedSql, seq: number): Promise<boolean> {
    return storedMarkCovers(conn, this.#ctx.markSource, this.index, seq);
  }

  /** The lane's mark once `b` is committed (its other batches may still hold messages). */
  #markAfter(b: Batch): LaneMark {
    return markAfter(this.mark, b, [this.fill, ...this.#sealed], this.#ctx.pending);
  }

  /** The lane's connection, reserved anew (with its staging tables) after a failure. */
  async #connection(): Promise<ReservedSql> {
    if (!this.#broken) return this.#conn;
    if (this.#db) {
      // Statements on a connection that died may never settle: end the pool, start anew
      // (not released: an attempt still running must not find it free for others).
      this.#db.end({ timeout: 0 }).catch(() => {});
      this.#db = this.#ctx.connect!();
    } else {
      try {
        this.#conn.release();
      } catch { /* gone with its server */ }
    }
    const conn = await (this.#db ?? this.#ctx.sql).reserve();
    try {
      await prepareStaging(conn);
    } catch (e) {
      conn.release();
      throw e;
    }
    this.#conn = conn;
    this.#broken = false;
    return conn;
  }
}
