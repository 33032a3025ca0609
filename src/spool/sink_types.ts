/**
 * The options and status of the spool sink (`sink.ts`, which re-exports them).
 *
 * @module
 */

/** Options of `SpoolSink`. */
export interface SpoolSinkOptions {
  /** Above this many bytes of spool, routers wait (default 1 GiB). */
  maxBytes?: number;
  /** Interval of spool trimming and cap checks, ms (default 200). */
  tickMs?: number;
  /**
   * Another reader at the end of the spool (the bus publisher): the lowest sequence number
   * it still needs, or `Infinity`. Records from it on are not deleted.
   */
  pending?: () => number;
  /** Clock, ms since epoch. */
  now?: () => number;
  log?: (
    level: "info" | "warn" | "error",
    message: string,
    fields: Record<string, unknown>,
  ) => void;
}

/** What the spool is doing, for logs, metrics and `show summary`. */
export interface SpoolStatus {
  mode: "inline" | "spooling";
  bytes: number;
  segments: number;
  /** Records appended but not yet handed to the store. */
  backlog: number;
  /** Since when the database has been unavailable (ms since epoch), if it is. */
  outageSince?: number;
  /** Times the spool switched to spooling. */
  episodes: number;
  /** Records the drainer handed to the store. */
  drained: number;
}
