/**
 * What a `StoreWriter` (writer.ts) is opened with, and what it counts.
 *
 * @module
 */

import type { Sql } from "postgres";
import type { BatchStats } from "./lane.ts";

/** Options of `StoreWriter.open`. */
export interface WriterOptions {
  /** Parallel lanes (reserved connections) for route batches. Default 2. */
  lanes?: number;
  /** Routes per lane batch before it is committed. Default 20,000 (bench/store_m320.ts). */
  batchRows?: number;
  /** Longest time a route waits in a batch, in ms. Default 200. */
  flushMs?: number;
  /**
   * Route Monitoring messages waiting for their peer's lookup at which a write asks its
   * sender to wait. Default 4,096: lookups of many routers overlap (one spool drainer
   * feeds them all), and a table dump behind one lookup stays a few MiB.
   */
  maxWaiting?: number;
  /** Attribute set ids remembered as stored; the set is cleared when larger. */
  attrCacheSize?: number;
  /**
   * Opens a one-connection pool for a lane (the lanes' own, so that one whose connection
   * died mid-statement can be thrown away whole). Default: lanes reserve from `sql`.
   */
  connect?: () => Sql;
  /** Called with a failed batch's or statement's error (the writer goes on). */
  onError?: (e: unknown) => void;
  /** Clock for zero per-peer timestamps, in ms. */
  now?: () => number;
  /**
   * Whose spool numbers the marks are: '' (default) for `serve`'s spool, another name for
   * each writer numbering its messages another way into the same database (a consume
   * member numbers them by stream sequence).
   */
  markSource?: string;
}

/** Counters of a writer. */
export interface WriterStats extends BatchStats {
  routes: number;
  attrSets: number;
  errors: number;
}
