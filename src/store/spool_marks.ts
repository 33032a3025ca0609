/**
 * The store's half of the spool's exactly-once protocol (src/spool/sink.ts has the other).
 *
 * Messages may carry their spool sequence number. A route batch records its lane's
 * {@linkcode LaneMark} in `spool_lanes`, and every other write its own number in
 * `spool_applied`, each in the transaction of the write, so that replaying the spool
 * writes nothing twice: routes a lane's mark covers are skipped, and a write whose number
 * is in `spool_applied` already writes nothing.
 *
 * The spool reads the store through {@linkcode SpoolMarks} only: what was committed,
 * what is still pending (spool records below it may be deleted), and whether the
 * database is there.
 *
 * @module
 */

import type { ReservedSql, Sql } from "postgres";

/** What the spool needs to know of the store (`StoreWriter` implements it). */
export interface SpoolMarks {
  /** Highest spool sequence number the database has seen (0: none). */
  readonly spoolMark: number;
  /** False while writes fail for want of a database and wait to be retried. */
  readonly healthy: boolean;
  /** When the current database outage began (ms since epoch), or undefined. */
  readonly outageSince: number | undefined;
  /**
   * The lowest spool sequence number whose writes are not all committed yet, or
   * `Infinity`: spool records below it are safe to delete.
   */
  lowestPending(): number;
}

/**
 * A lane's spool mark: every route of the lane from a message numbered up to `upTo` is
 * committed, and so are those of the messages in `ahead` (committed ahead of a slower
 * one). Stored as `spool_lanes (seq, extra)`.
 */
export interface LaneMark {
  upTo: number;
  ahead: Set<number>;
}

/** The spool sequence numbers of routes a batch holds (0: none). */
export interface SpoolSpan {
  minSeq: number;
  maxSeq: number;
  /** Every number, in the order added, each once. */
  seqs: number[];
}

/**
 * Whether the lane already committed the routes of message `seq` (a replay).
 *
 * @example
 * ```ts
 * import { covers } from "./spool_marks.ts";
 * const mark = { upTo: 10, ahead: new Set([12]) };
 * if (!covers(mark, 10) || covers(mark, 11) || !covers(mark, 12)) throw new Error();
 * ```
 */
export function covers(mark: LaneMark, seq: number): boolean {
  return seq <= mark.upTo || mark.ahead.has(seq);
}

/** Spool records being written outside the lanes' batches, counted until they settle. */
export class PendingSeqs {
  /** Sequence number → writes in progress. */
  readonly #count = new Map<number, number>();

  /** Counts spool record `seq` (if any) as pending until `p` settles. */
  hold<T>(seq: number | undefined, p: Promise<T>): Promise<T> {
    if (!seq) return p;
    this.#count.set(seq, (this.#count.get(seq) ?? 0) + 1);
    return p.finally(() => {
      const n = this.#count.get(seq)! - 1;
      if (n === 0) this.#count.delete(seq);
      else this.#count.set(seq, n);
    });
  }

  /** The numbers pending. */
  keys(): IterableIterator<number> {
    return this.#count.keys();
  }
}

/**
 * A lane's mark once batch `b` is committed: up to the message before the lowest one
 * still waiting anywhere (in the lane's `others` batches or `pending` writes), plus the
 * numbers committed beyond it.
 *
 * @example
 * ```ts
 * import { markAfter, PendingSeqs } from "./spool_marks.ts";
 * const mark = { upTo: 0, ahead: new Set<number>() };
 * const b = { minSeq: 1, maxSeq: 3, seqs: [1, 3] };
 * const slower = { minSeq: 2, maxSeq: 2, seqs: [2] };
 * const next = markAfter(mark, b, [slower], new PendingSeqs());
 * if (next.upTo !== 1 || [...next.ahead].join() !== "3") throw new Error();
 * ```
 */
export function markAfter(
  mark: LaneMark,
  b: SpoolSpan,
  others: Iterable<SpoolSpan>,
  pending: PendingSeqs,
): LaneMark {
  let low = Infinity;
  // A message whose routes fill one batch and start the next is done only with both.
  const elsewhere = new Set<number>(pending.keys());
  for (const other of others) {
    if (other === b || !other.minSeq) continue;
    low = Math.min(low, other.minSeq);
    for (const seq of other.seqs) elsewhere.add(seq);
  }
  for (const seq of pending.keys()) low = Math.min(low, seq);
  const upTo = Math.max(mark.upTo, Math.min(b.maxSeq, low - 1));
  const ahead = new Set<number>();
  for (const seq of mark.ahead) if (seq > upTo) ahead.add(seq);
  for (const seq of b.seqs) if (seq > upTo && !elsewhere.has(seq)) ahead.add(seq);
  return { upTo, ahead };
}

/**
 * The marks the database holds for `source` (migration 0017: '' for `serve`'s spool, a
 * consume member's own otherwise): each lane's, and the highest `spool_applied` number.
 */
export async function readMarks(
  sql: Sql,
  source = "",
): Promise<{ lanes: Map<number, LaneMark>; applied: number }> {
  const lanes = new Map<number, LaneMark>();
  for (const r of await sql`SELECT lane, seq, extra FROM spool_lanes WHERE source = ${source}`) {
    lanes.set(r.lane as number, {
      upTo: Number(r.seq),
      ahead: new Set((r.extra as string[]).map(Number)),
    });
  }
  const [{ applied }] = await sql`SELECT coalesce(max(seq), 0) AS applied FROM spool_applied
    WHERE source = ${source}`;
  return { lanes, applied: Number(applied) };
}

const WRITE_LANE_MARK = `INSERT INTO spool_lanes (source, lane, seq, extra)
  VALUES ($1, $2, $3, $4::bigint[])
  ON CONFLICT (source, lane) DO UPDATE SET seq = excluded.seq, extra = excluded.extra`;

/** Records lane `lane`'s mark, in the batch's transaction on `conn`. */
export async function writeLaneMark(
  conn: ReservedSql,
  source: string,
  lane: number,
  mark: LaneMark,
): Promise<void> {
  await conn.unsafe(WRITE_LANE_MARK, [source, lane, mark.upTo, [...mark.ahead]]);
}

/**
 * Whether the stored mark of lane `lane` covers message `seq`: after an ambiguous
 * failure (the COMMIT may have landed), whether the batch is in.
 */
export async function storedMarkCovers(
  conn: ReservedSql,
  source: string,
  lane: number,
  seq: number,
): Promise<boolean> {
  const [row] = await conn`SELECT seq, extra FROM spool_lanes
    WHERE source = ${source} AND lane = ${lane}`;
  return !!row && (Number(row.seq) >= seq || row.extra.map(Number).includes(seq));
}

/**
 * Records spool record `seq` as applied in `tx`; false when it already was (a replay),
 * and then the caller writes nothing. Without a `seq` (not spooled): always true.
 */
export async function markApplied(tx: Sql, source: string, seq?: number): Promise<boolean> {
  if (!seq) return true;
  const r = await tx`INSERT INTO spool_applied (source, seq) VALUES (${source}, ${seq})
    ON CONFLICT DO NOTHING RETURNING seq`;
  return r.length > 0;
}
