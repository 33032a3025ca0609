/**
 * The batch writer: decoded BMP messages in, committed rows out. This module is the
 * façade (open, write, flush, close, stats); the jobs behind it have a module each:
 *
 * - `lane.ts`: routes (RFC 7854 §4.6) go to one of N lanes, chosen by a hash of (peer,
 *   route key) so that the updates of one route stay in order. Each lane owns a reserved
 *   connection and two batches: one filling, one committing.
 * - `batch.ts` puts rows into a batch, `batch_sql.ts` commits it in one transaction, and
 *   `first_load.ts` tells which routes are new to the RIB (a cheaper plain insert).
 * - `peer_registry.ts`: peer view ids; routes of a view being looked up wait in order.
 * - `events.ts`: Peer Up/Down, statistics, mirroring, router events and decode errors,
 *   small transactions on the pool. Peer Down (and router disconnect) waits for the
 *   batches before it, then marks the peer's current-RIB rows withdrawn in one UPDATE,
 *   while the lanes go on with other peers' routes.
 * - `spool_marks.ts`: messages may carry their spool sequence number (src/spool/); what
 *   is committed is recorded with it, so that replaying the spool writes nothing twice.
 * - `retry.ts`: writes that fail because the database went away are retried with backoff
 *   until they succeed; meanwhile `write` reports backpressure.
 *
 * @module
 */

import type { Sql } from "postgres";
import type { BmpMessage, RouteMonitoringMessage } from "../bmp/message.ts";
import type { DecodeError } from "../wire/errors.ts";
import { AttrCache } from "./batch.ts";
import { EventWriter } from "./events.ts";
import { FirstLoad } from "./first_load.ts";
import { Lane, type LaneContext, laneOf } from "./lane.ts";
import { PeerRegistry, peerSessionKey, peerViewKey } from "./peer_registry.ts";
import { Retrier } from "./retry.ts";
import { routeRows } from "./rows/route.ts";
import { Serial, Settling } from "./serial.ts";
import { covers, PendingSeqs, readMarks, type SpoolMarks } from "./spool_marks.ts";
import type { WriterOptions, WriterStats } from "./writer_options.ts";

export type { WriterOptions, WriterStats } from "./writer_options.ts";

/**
 * Writes decoded BMP messages of any number of routers into the store.
 *
 * @example
 * ```ts ignore
 * import postgres from "postgres";
 * const sql = postgres(Deno.env.get("DATABASE_URL")!);
 * const writer = await StoreWriter.open(sql);
 * const routerId = await writer.router("192.0.2.1", "192.0.2.1");
 * for (const { message } of readBmpStream(bytes)) {
 *   if (message) await writer.write(routerId, message);
 * }
 * await writer.close();
 * ```
 */
export class StoreWriter implements SpoolMarks {
  readonly #lanes: Lane[] = [];
  readonly #batchRows: number;
  readonly #flushMs: number;
  readonly #onError?: (e: unknown) => void;
  readonly #now: () => number;
  readonly #retry: Retrier;
  /** Spool records being written outside the lanes' batches. */
  readonly #spooled = new PendingSeqs();
  readonly #firstLoad = new FirstLoad();
  readonly #attrs: AttrCache;
  readonly #peers: PeerRegistry;
  readonly #events: EventWriter;
  /** A peer's Up and Down writes, by peer session. */
  readonly #peerOrder = new Serial<string>();
  /** Peer Up/Down writes in flight by router id (`routerDown` waits for them). */
  readonly #peerEvents = new Settling<number>();
  /** Writes not settled yet (flush waits for them). */
  readonly #pending = new Set<Promise<unknown>>();
  #errors: unknown[] = [];
  #timer?: ReturnType<typeof setInterval>;
  #closed = false;
  /** Highest `spool_applied` sequence number at open. */
  #appliedMark = 0;
  readonly stats: WriterStats = {
    batches: 0,
    routes: 0,
    attrSets: 0,
    errors: 0,
    commitMs: 0,
    steps: { attrs: 0, history: 0, stage: 0, insert: 0, upsert: 0, commit: 0 },
    firstLoadMisses: 0,
    firstLoadRoutes: 0,
  };

  private constructor(sql: Sql, opts: WriterOptions) {
    this.#batchRows = opts.batchRows ?? 20_000;
    this.#flushMs = opts.flushMs ?? 200;
    this.#onError = opts.onError;
    this.#now = opts.now ?? Date.now;
    this.#retry = new Retrier(opts.onError);
    this.#attrs = new AttrCache(opts.attrCacheSize ?? 1_000_000);
    this.#peers = new PeerRegistry(sql, this.#retry, this.#firstLoad, opts.maxWaiting ?? 4_096);
    this.#events = new EventWriter({
      sql,
      retry: this.#retry,
      peers: this.#peers,
      firstLoad: this.#firstLoad,
      now: this.#now,
      markSource: opts.markSource ?? "",
    });
  }

  /**
   * Reserves the lanes' connections and creates their staging tables.
   *
   * @param sql a postgres.js pool with room for `lanes` reserved connections plus one
   * @param opts batch sizes, lanes, error hook
   */
  static async open(sql: Sql, opts: WriterOptions = {}): Promise<StoreWriter> {
    const marks = await readMarks(sql, opts.markSource ?? "");
    const w = new StoreWriter(sql, opts);
    const ctx: LaneContext = {
      sql,
      connect: opts.connect,
      retry: w.#retry,
      pending: w.#spooled,
      firstLoad: w.#firstLoad,
      attrs: w.#attrs,
      stats: w.stats,
      fail: (e) => w.#fail(e),
      markSource: opts.markSource ?? "",
    };
    for (let i = 0; i < (opts.lanes ?? 2); i++) {
      w.#lanes.push(await Lane.open(ctx, i, marks.lanes.get(i) ?? { upTo: 0, ahead: new Set() }));
    }
    w.#appliedMark = marks.applied;
    const timer = setInterval(() => w.#tick(), Math.max(10, w.#flushMs >> 1));
    Deno.unrefTimer(timer);
    w.#timer = timer;
    return w;
  }

  /** Highest spool sequence number the database has seen (0: none). */
  get spoolMark(): number {
    return Math.max(
      this.#appliedMark,
      ...this.#lanes.flatMap((l) => [l.mark.upTo, ...l.mark.ahead]),
    );
  }

  /** Route Monitoring messages accepted but waiting for their peer's lookup. */
  get waiting(): number {
    return this.#peers.waiting;
  }

  /** False while writes fail for want of a database and wait to be retried. */
  get healthy(): boolean {
    return this.#retry.healthy;
  }

  /** When the current database outage began (ms since epoch), or undefined. */
  get outageSince(): number | undefined {
    return this.#retry.outageSince;
  }

  /**
   * The lowest spool sequence number whose writes are not all committed yet, or
   * `Infinity`: spool records below it are safe to delete.
   */
  lowestPending(): number {
    let low = Infinity;
    for (const l of this.#lanes) low = Math.min(low, l.lowestPending());
    for (const seq of this.#spooled.keys()) low = Math.min(low, seq);
    return low;
  }

  /**
   * Registers a router connection: creates or updates its `routers` row.
   *
   * @param key identity of the router for the store, e.g. its address
   * @param address the router's IP address
   * @returns the router id
   */
  router(key: string, address?: string, port?: number): Promise<number> {
    return this.#events.router(key, address, port);
  }

  /**
   * Stores one decoded message of router `routerId`.
   *
   * @param raw the message's bytes, kept for Route Mirroring
   * @param seq the message's spool sequence number, if it was spooled
   * @returns a promise to await before writing more when the store lags (backpressure),
   *   or undefined
   */
  write(
    routerId: number,
    m: BmpMessage,
    raw?: Uint8Array,
    seq?: number,
  ): Promise<void> | undefined {
    const events = this.#events;
    switch (m.kind) {
      case "route_monitoring": {
        const peers = this.#peers;
        const table = peers.tableName(routerId, m.peer, m);
        const view = peerViewKey(routerId, m.peer, table);
        const id = peers.ready(view);
        if (id !== undefined) return this.#routes(routerId, id, m, seq);
        // The peer's id is being looked up: its routes wait, in order, while other peers'
        // go on (a thousand routers connecting must not register one after the other).
        const next = peers.queue(
          view,
          routerId,
          m.peer,
          table,
          (pid) => this.#routes(routerId, pid, m, seq),
        );
        this.#run(seq, next);
        // Beyond the bound, the sender waits until this message is in a batch: accepting
        // on would hold a whole table dump in memory while the lookup and the lagging
        // batches go on.
        if (peers.full) return next.then(() => {}, () => {});
        return;
      }
      case "peer_up": {
        const done = this.#run(
          seq,
          this.#inPeerOrder(routerId, m, () => events.peerUp(routerId, m, seq)),
        );
        this.#peers.peerUpWriting(routerId, m.peer, done.then(() => {}, () => {}));
        return;
      }
      case "peer_down": {
        // The routes of this peer written before the Peer Down are committed first.
        const before = this.#sealAfterLookups();
        this.#run(
          seq,
          this.#inPeerOrder(routerId, m, () => events.peerDown(routerId, m, before, seq)),
        );
        return;
      }
      case "statistics_report":
        this.#run(seq, events.stats(routerId, m, seq));
        return;
      case "route_mirroring":
        // The caller's buffer may be reused before the row is written.
        this.#run(seq, events.mirroring(routerId, m, raw?.slice(), seq));
        return;
      case "initiation":
      case "termination":
        this.#run(seq, events.routerEvent(routerId, m, seq));
        return;
    }
  }

  /** Stores a message the decoder rejected, with its raw bytes. */
  writeError(routerId: number, e: DecodeError, raw?: Uint8Array, seq?: number): void {
    this.#run(seq, this.#events.decodeError(routerId, e, raw, seq));
  }

  /**
   * A router's connection ended: every peer of it that is up goes down, its routes are
   * marked withdrawn (one UPDATE), and a `down` event is written per peer.
   */
  routerDown(routerId: number, seq?: number): Promise<void> {
    const spooled = this.#spooled;
    // A Peer Down read before the end is that peer's down event, not the router's.
    const peerEvents = this.#peerEvents.settled(routerId);
    const p = spooled.hold(seq, Promise.all([this.#sealAfterLookups(), peerEvents])).then(() =>
      spooled.hold(seq, this.#events.routerDown(routerId, seq))
    );
    this.#track(p);
    return p.then(() => {});
  }

  /**
   * Commits everything written so far.
   *
   * @throws the first error of a batch or statement since the last flush
   */
  async flush(): Promise<void> {
    // Writes that end while batches commit (a peer lookup) put routes in the lanes' new
    // batches: go round until nothing is pending and nothing is left unsealed.
    do {
      await Promise.allSettled([...this.#pending]);
      await this.#sealAll();
    } while (this.#pending.size > 0 || this.#lanes.some((l) => !l.fill.empty));
    const errors = this.#errors;
    this.#errors = [];
    if (errors.length > 0) throw errors[0];
  }

  /** Flushes, then releases the lanes' connections (the pool stays open). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    try {
      await this.flush();
    } finally {
      for (const l of this.#lanes) await l.release();
    }
  }

  /**
   * Runs a peer's Up and Down writes one after the other, in arrival order (FRR sends a
   * Peer Down and the next Peer Up within milliseconds; racing, the peer's state would be
   * whichever committed last).
   */
  #inPeerOrder(
    routerId: number,
    m: BmpMessage & { kind: "peer_up" | "peer_down" },
    run: () => Promise<void>,
  ): Promise<void> {
    const p = this.#peerOrder.run(peerSessionKey(routerId, m.peer), run);
    this.#peerEvents.add(routerId, p);
    return p;
  }

  /** Tracks write `p` of spool record `seq` (if any), pending until it settles. */
  #run<T>(seq: number | undefined, p: Promise<T>): Promise<T> {
    const held = this.#spooled.hold(seq, p);
    this.#track(held);
    return held;
  }

  #track(p: Promise<unknown>): void {
    const t = p.catch((e) => this.#fail(e)).finally(() => this.#pending.delete(t));
    this.#pending.add(t);
  }

  #fail(e: unknown): void {
    this.stats.errors++;
    this.#errors.push(e);
    this.#onError?.(e);
  }

  #routes(
    routerId: number,
    peerId: number,
    m: RouteMonitoringMessage,
    seq = 0,
  ): Promise<void> | undefined {
    const rows = routeRows(m, routerId, peerId, { nowMs: this.#now() });
    if (rows.length === 0) return;
    const lanes = this.#lanes;
    for (const r of rows) {
      const lane = lanes[laneOf(peerId, r.routeKey, lanes.length)];
      // Replaying the spool: this lane already committed the message.
      if (seq && covers(lane.mark, seq)) continue;
      if (lane.fill.add(r, seq, this.#attrs, this.#firstLoad)) this.stats.attrSets++;
    }
    // Batches end between messages: a message's routes in a lane commit together, which
    // the lane's spool mark relies on (a replay must not write half a message again).
    let wait: Promise<void> | undefined;
    for (const lane of lanes) wait = lane.sealWhenFull(this.#batchRows) ?? wait;
    this.stats.routes += rows.length;
    return wait;
  }

  #tick(): void {
    const now = performance.now();
    for (const lane of this.#lanes) lane.sealWhenOlder(now, this.#flushMs);
  }

  /**
   * Once the routes waiting for a peer lookup are in their batches, seals every lane's;
   * resolves when those are committed (a Peer Down or disconnect comes after them).
   */
  #sealAfterLookups(): Promise<void> {
    const queued = this.#peers.queued();
    return queued ? queued.then(() => this.#sealAll()) : this.#sealAll();
  }

  /** Seals every lane's batch; resolves when all batches so far are committed. */
  #sealAll(): Promise<void> {
    return Promise.all(this.#lanes.map((l) => l.seal())).then(() => {});
  }
}
