/**
 * Rows into a batch: a lane's routes of one transaction, encoded for COPY as they come
 * (src/store/batch_sql.ts writes them). No I/O here.
 *
 * Every row goes into `route_history`; the current RIB gets only the last row of each
 * route in the batch (the de-dupe by route identity), and `path_attrs` only attribute
 * sets this writer has not stored yet ({@linkcode AttrCache}).
 *
 * @module
 */

import { encodeAttrs, encodeRoute } from "./_encode.ts";
import { CopyBuffer } from "./copy_buffer.ts";
import { PairSet } from "./key_set.ts";
import type { FirstLoad } from "./first_load.ts";
import { routeHash, RouteIndex } from "./route_index.ts";
import type { AttrRow } from "./rows/attrs.ts";
import type { RouteRow } from "./rows/route.ts";
import type { SpoolSpan } from "./spool_marks.ts";

/**
 * Attribute set ids remembered as stored (or on their way in a batch); cleared when
 * larger than its size, or when a batch that may have carried some failed.
 */
export class AttrCache {
  readonly #ids = new PairSet();
  readonly #max: number;
  #generation = 0;

  /** @param max ids remembered before the cache is cleared */
  constructor(max: number) {
    this.#max = max;
  }

  /**
   * Remembers the id of set `a` (by its halves); true when it was not known, and the set
   * must be written.
   */
  add(a: Pick<AttrRow, "idHi" | "idLo">): boolean {
    if (this.#ids.has(a.idHi, a.idLo)) return false;
    if (this.#ids.size >= this.#max) this.clear();
    return this.#ids.add(a.idHi, a.idLo);
  }

  /** Changes whenever ids are forgotten: what `add` said before may no longer hold. */
  get generation(): number {
    return this.#generation;
  }

  /** Forgets every id. */
  clear(): void {
    this.#ids.clear();
    this.#generation++;
  }
}

/**
 * One batch of a lane: its COPY buffers and what its commit needs to know.
 *
 * @example
 * ```ts ignore
 * const b = new Batch();
 * for (const r of routeRows(message, routerId, peerId)) b.add(r, seq, attrs, firstLoad);
 * b.stageRows(); // then commitBatch(conn, lane, b, hooks)
 * ```
 */
export class Batch implements SpoolSpan {
  readonly hist = new CopyBuffer(1 << 20);
  readonly stage = new CopyBuffer(1 << 20);
  readonly attrs = new CopyBuffer(1 << 18);
  /** Route identity → index in `spans`/`keys` of its latest row. */
  readonly index = new RouteIndex();
  spans: number[] = [];
  keys: string[] = [];
  /** Per key: the time of its first row here, the route's first_seen if it is new to the
   * RIB (the stage holds the last row; its time is last_change). */
  firstTimes: string[] = [];
  /** Per key: its latest row here. */
  latest: RouteRow[] = [];
  /**
   * Per key whose latest row is a withdrawal: the announcement before it here, if any. The
   * withdrawn RIB row keeps that announcement's attribute set, labels and origin, as it
   * keeps the row's when the withdrawal comes in a later batch.
   */
  kept: (RouteRow | null)[] = [];
  /** Per key: new to the current RIB (the first-load path, src/store/first_load.ts). */
  newToRib: boolean[] = [];
  /** Keys new to the current RIB. */
  newRows = 0;
  /** Peer views with routes new to the RIB here: their first load ends if a guess was wrong. */
  readonly newRowViews = new Set<number>();
  /** Its routes new to the RIB went in by the plain insert (set by the commit). */
  firstLoaded = false;
  /** Rows (NLRI) in the batch. */
  routes = 0;
  /** When the first row came (performance.now()). */
  firstAt = 0;
  minSeq = 0;
  maxSeq = 0;
  seqs: number[] = [];
  /** The attribute set of the last row and the cache's generation then: the routes of one
   * message share one set, which the cache need not be asked about again. */
  #lastAttrs: AttrRow | null = null;
  #lastGeneration = -1;

  /**
   * Adds route row `r` of spool message `seq` (0: not spooled).
   *
   * @param attrs the writer's stored attribute sets: a set not in it goes in the batch
   * @param firstLoad tells whether the route is new to the RIB
   * @returns whether its attribute set is new and goes in the batch
   */
  add(r: RouteRow, seq: number, attrs: AttrCache, firstLoad: FirstLoad): boolean {
    if (this.routes === 0) this.firstAt = performance.now();
    if (seq && this.seqs.at(-1) !== seq) {
      if (!this.minSeq || seq < this.minSeq) this.minSeq = seq;
      if (seq > this.maxSeq) this.maxSeq = seq;
      this.seqs.push(seq);
    }
    const a = r.attrs;
    let newAttrs = false;
    if (a && (a !== this.#lastAttrs || attrs.generation !== this.#lastGeneration)) {
      this.#lastAttrs = a;
      this.#lastGeneration = attrs.generation;
      if (attrs.add(a)) {
        encodeAttrs(this.attrs, a);
        newAttrs = true;
      }
    }
    const start = this.hist.length;
    encodeRoute(this.hist, r);
    const end = this.hist.length;
    this.hist.end();
    const h = routeHash(r);
    const at = this.index.find(r, h);
    if (at < 0) {
      this.index.insert(r, h, this.keys.length);
      this.keys.push(r.routeKey);
      this.firstTimes.push(r.time);
      this.latest.push(r);
      this.kept.push(null);
      this.spans.push(start, end);
      const isNew = firstLoad.isNew(r.peerId, h);
      this.newToRib.push(isNew);
      if (isNew) {
        this.newRows++;
        this.newRowViews.add(r.peerId);
      }
    } else {
      this.spans[2 * at] = start;
      this.spans[2 * at + 1] = end;
      const prev = this.latest[at];
      this.kept[at] = !r.withdrawn ? null : prev.withdrawn ? this.kept[at] : prev;
      this.latest[at] = r;
    }
    this.routes++;
    return newAttrs;
  }

  /** Nothing to write. */
  get empty(): boolean {
    return this.routes === 0 && this.attrs.length === 0;
  }

  /** Fills `stage` with the last row of each route, its key and whether it is new. */
  stageRows(): void {
    for (let i = 0; i < this.keys.length; i++) {
      this.stage.appendFrom(this.hist, this.spans[2 * i], this.spans[2 * i + 1])
        .text(this.keys[i]).bool(this.newToRib[i]).raw(this.firstTimes[i]);
      const k = this.kept[i];
      if (k?.attrs) this.stage.raw(k.attrs.id).int(k.attrs.originAs).intArray(k.labels);
      else if (k) this.stage.nul().nul().intArray(k.labels);
      else this.stage.nul().nul().nul();
      this.stage.end();
    }
  }

  /** Empties the batch for reuse. */
  reset(): void {
    this.minSeq = 0;
    this.maxSeq = 0;
    this.seqs = [];
    this.hist.reset();
    this.stage.reset();
    this.attrs.reset();
    this.index.clear();
    this.#lastAttrs = null;
    this.spans = [];
    this.keys = [];
    this.firstTimes = [];
    this.latest = [];
    this.kept = [];
    this.newToRib = [];
    this.newRows = 0;
    this.newRowViews.clear();
    this.firstLoaded = false;
    this.routes = 0;
  }
}
