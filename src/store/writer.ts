/**
 * The batch writer: decoded BMP messages in, committed rows out.
 *
 * Routes (RFC 7854 §4.6) go to one of N lanes, chosen by a hash of (peer, route key) so
 * that the updates of one route stay in order. Each lane owns a reserved connection and
 * two batches: one filling, one committing. A batch is one transaction:
 *
 * ```text
 * COPY bmpmon_attrs_stage      new attribute sets      → INSERT path_attrs ON CONFLICT DO NOTHING
 * COPY route_history           every NLRI
 * COPY bmpmon_rib_stage        last row of each route  → INSERT rib ... ON CONFLICT DO UPDATE
 * COMMIT
 * ```
 *
 * Peer Down (and router disconnect) waits for the batches before it, then marks the
 * peer's current-RIB rows withdrawn in one UPDATE on a pool connection, while the lanes
 * go on with other peers' routes. Statistics, events and mirroring are small inserts on
 * the pool.
 *
 * Messages may carry their spool sequence number (src/spool/): a batch then records its
 * lane's highest one in `spool_lanes`, and every other write its own in `spool_applied`,
 * in the same transaction, so that replaying the spool writes nothing twice (routes at or
 * below their lane's mark are skipped). Writes that fail because the database went away
 * are retried with backoff until they succeed; meanwhile `write` reports backpressure.
 *
 * @module
 */

import type { ReservedSql, Sql, TransactionSql } from "postgres";
import type {
  BmpMessage,
  PeerDownMessage,
  PeerUpMessage,
  RouteMonitoringMessage,
} from "../bmp/message.ts";
import type { PerPeerHeader } from "../bmp/per_peer_header.ts";
import type { DecodeError } from "../wire/errors.ts";
import {
  ATTR_COLUMNS,
  encodeAttrs,
  encodeMirroring,
  encodeRoute,
  MIRRORING_COLUMNS,
  ROUTE_COLUMNS,
  STAGE_COLUMNS,
} from "./_encode.ts";
import { CopyBuffer, copyIn } from "./copy.ts";
import { hash32, KeySet } from "./key_set.ts";
import { backoffMs, isRetryable, withDeadline } from "./retry.ts";
import {
  mirroringRow,
  peerDownRow,
  type PeerEventRow,
  peerKey,
  peerKeyText,
  peerUpRow,
  routerEventRow,
  routeRows,
  statRows,
  tableNameOf,
} from "./rows.ts";

/** Options of {@linkcode StoreWriter.open}. */
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
}

/** Counters of a writer. */
export interface WriterStats {
  batches: number;
  routes: number;
  attrSets: number;
  errors: number;
  /** Time spent in batch transactions, ms (summed over lanes). */
  commitMs: number;
  /** Of `commitMs`: ms per step (attrs, history, stage, insert of new routes, upsert, commit). */
  steps: Record<"attrs" | "history" | "stage" | "insert" | "upsert" | "commit", number>;
  /** Batches whose routes taken for new were not: redone through the upsert. */
  firstLoadMisses: number;
  /** Routes of the current RIB written by the first-load path (plain insert). */
  firstLoadRoutes: number;
}

class Batch {
  readonly hist = new CopyBuffer(1 << 20);
  readonly stage = new CopyBuffer(1 << 20);
  readonly attrs = new CopyBuffer(1 << 18);
  /** Route identity → index in `spans`/`keys` of its latest row. */
  readonly index = new Map<string, number>();
  spans: number[] = [];
  keys: string[] = [];
  /** Per key: new to the current RIB (first-load path, see StoreWriter). */
  fresh: boolean[] = [];
  freshRows = 0;
  /** Peer views with fresh rows here: their first-load path ends if the guess was wrong. */
  freshPeers = new Set<number>();
  /** Its fresh rows went in by the plain insert (set by the commit). */
  firstLoaded = false;
  routes = 0;
  firstAt = 0;
  /** Lowest and highest spool sequence numbers of its routes (0: none), and all of them. */
  minSeq = 0;
  maxSeq = 0;
  seqs: number[] = [];

  reset(): void {
    this.minSeq = 0;
    this.maxSeq = 0;
    this.seqs = [];
    this.hist.reset();
    this.stage.reset();
    this.attrs.reset();
    this.index.clear();
    this.spans = [];
    this.keys = [];
    this.fresh = [];
    this.freshRows = 0;
    this.freshPeers.clear();
    this.firstLoaded = false;
    this.routes = 0;
  }
}

interface Lane {
  index: number;
  /** The lane's own pool (WriterOptions.connect), if any. */
  db?: Sql;
  conn: ReservedSql;
  /** The connection failed: reserve a new one before the next statement. */
  broken: boolean;
  fill: Batch;
  spare: Batch | null;
  inflight: Promise<void> | null;
  /** Sealed batches not yet committed. */
  sealed: Set<Batch>;
  /**
   * Spool mark: every route of this lane from a message numbered up to `seq` is committed,
   * and so are those of the messages in `extra` (committed ahead of a slower one).
   */
  seq: number;
  extra: Set<number>;
}

const RESOLVED = Promise.resolve();

/** Staging lives in temp tables (no WAL); give them room in local buffers first. */
async function prepareLane(conn: ReservedSql): Promise<void> {
  await conn.unsafe(`SET temp_buffers = '128MB'`);
  await conn.unsafe(`CREATE TEMP TABLE IF NOT EXISTS bmpmon_rib_stage
    (LIKE route_history, route_key text COLLATE "C", fresh boolean) ON COMMIT DELETE ROWS`);
  await conn.unsafe(`CREATE TEMP TABLE IF NOT EXISTS bmpmon_attrs_stage
    (LIKE path_attrs INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`);
}

/** Longest a write may take before it counts as lost with its connection (then retried). */
const ATTEMPT_MS = 60_000;

const MARK_LANE = `INSERT INTO spool_lanes (lane, seq, extra) VALUES ($1, $2, $3::bigint[])
  ON CONFLICT (lane) DO UPDATE SET seq = excluded.seq, extra = excluded.extra`;

const RIB_FROM_STAGE = `
INSERT INTO rib AS r (peer_id, afi, safi, rd, route_key, path_id, prefix, labels, attr_id,
  origin_as, evpn_route_type, evpn_esi, evpn_ethernet_tag, evpn_mac, evpn_ip, evpn_gateway,
  first_seen, last_change, withdrawn, withdrawn_time)
SELECT peer_id, afi, safi, coalesce(rd, ''), route_key, coalesce(path_id, 0), prefix, labels,
  attr_id, origin_as, evpn_route_type, evpn_esi, evpn_ethernet_tag, evpn_mac, evpn_ip,
  evpn_gateway, time, time, withdrawn, CASE WHEN withdrawn THEN time END
FROM bmpmon_rib_stage`;

/** Routes new to the RIB: a plain insert (no conflict arbitration, ≈ 25 % cheaper). */
const INSERT_RIB = `${RIB_FROM_STAGE} WHERE fresh`;

const ON_CONFLICT = `
ON CONFLICT (peer_id, afi, safi, rd, route_key, path_id) DO UPDATE SET
  labels = CASE WHEN excluded.withdrawn THEN r.labels ELSE excluded.labels END,
  attr_id = CASE WHEN excluded.withdrawn THEN r.attr_id ELSE excluded.attr_id END,
  origin_as = CASE WHEN excluded.withdrawn THEN r.origin_as ELSE excluded.origin_as END,
  last_change = excluded.last_change,
  withdrawn = excluded.withdrawn,
  withdrawn_time = excluded.withdrawn_time`;

const UPSERT_RIB = `${RIB_FROM_STAGE} WHERE NOT fresh ${ON_CONFLICT}`;

/** When a route taken for new was not: every route of the batch through the upsert. */
const UPSERT_RIB_ALL = `${RIB_FROM_STAGE} ${ON_CONFLICT}`;

const INSERT_ATTRS = `INSERT INTO path_attrs (${ATTR_COLUMNS.join(", ")})
SELECT ${ATTR_COLUMNS.join(", ")} FROM bmpmon_attrs_stage ON CONFLICT (id) DO NOTHING`;

function laneOf(peerId: number, key: string, lanes: number): number {
  return lanes === 1 ? 0 : hash32(key, peerId) % lanes;
}

/** Route identities tracked for the first-load path, at most (8–16 bytes each). */
const FRESH_KEYS_MAX = 8_000_000;

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
export class StoreWriter {
  readonly #sql: Sql;
  readonly #lanes: Lane[];
  readonly #batchRows: number;
  readonly #maxWaiting: number;
  readonly #flushMs: number;
  readonly #attrCacheSize: number;
  readonly #onError?: (e: unknown) => void;
  readonly #connect?: () => Sql;
  readonly #now: () => number;
  readonly #attrIds = new Set<string>();
  readonly #peerIds = new Map<string, number>();
  readonly #peerPending = new Map<string, Promise<number>>();
  /** Peer Ups being written, by router id | peer key: new views of the peer wait for them. */
  readonly #peerUpPending = new Map<string, Promise<void>>();
  /** Loc-RIB / VRF table name of a peer, from its Peer Up: router id | peer key. */
  readonly #tableNames = new Map<string, string>();
  readonly #pending = new Set<Promise<unknown>>();
  /** Route writes of a peer view waiting for its id, by view: later ones chain on. */
  readonly #routeTail = new Map<string, Promise<number>>();
  #waiting = 0;
  /**
   * First-load path: peer views whose current RIB was empty when this writer first saw
   * them, with the route identities written since. A route not in its view's set is new
   * to the RIB and skips the upsert's conflict arbitration.
   */
  readonly #fresh = new Map<number, KeySet>();
  #freshKeys = 0;
  /** The last Peer Up/Down write of each peer (router id | peer key), settled. */
  readonly #peerOrder = new Map<string, Promise<void>>();
  #errors: unknown[] = [];
  readonly #timer: ReturnType<typeof setInterval>;
  #closed = false;
  /** Spool sequence numbers of writes in progress outside the lanes' batches → count. */
  readonly #opSeqs = new Map<number, number>();
  /** Since when writes fail for want of a database (ms since epoch). */
  #outageSince?: number;
  /** Writes waiting to be retried. */
  #retrying = 0;
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

  private constructor(sql: Sql, lanes: Lane[], opts: WriterOptions) {
    this.#sql = sql;
    this.#lanes = lanes;
    this.#batchRows = opts.batchRows ?? 20_000;
    this.#maxWaiting = opts.maxWaiting ?? 4_096;
    this.#flushMs = opts.flushMs ?? 200;
    this.#attrCacheSize = opts.attrCacheSize ?? 1_000_000;
    this.#onError = opts.onError;
    this.#connect = opts.connect;
    this.#now = opts.now ?? Date.now;
    const timer = setInterval(() => this.#tick(), Math.max(10, this.#flushMs >> 1));
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /**
   * Reserves the lanes' connections and creates their staging tables.
   *
   * @param sql a postgres.js pool with room for `lanes` reserved connections plus one
   * @param opts batch sizes, lanes, error hook
   */
  static async open(sql: Sql, opts: WriterOptions = {}): Promise<StoreWriter> {
    const lanes: Lane[] = [];
    const marks = new Map<number, number>();
    const extras = new Map<number, Set<number>>();
    for (const r of await sql`SELECT lane, seq, extra FROM spool_lanes`) {
      marks.set(r.lane as number, Number(r.seq));
      extras.set(r.lane as number, new Set((r.extra as string[]).map(Number)));
    }
    const [{ applied }] = await sql`SELECT coalesce(max(seq), 0) AS applied FROM spool_applied`;
    for (let i = 0; i < (opts.lanes ?? 2); i++) {
      const db = opts.connect?.();
      const conn = await (db ?? sql).reserve();
      await prepareLane(conn);
      lanes.push({
        index: i,
        db,
        conn,
        broken: false,
        fill: new Batch(),
        spare: new Batch(),
        inflight: null,
        sealed: new Set(),
        seq: marks.get(i) ?? 0,
        extra: extras.get(i) ?? new Set(),
      });
    }
    const w = new StoreWriter(sql, lanes, opts);
    w.#appliedMark = Number(applied);
    return w;
  }

  /** Highest spool sequence number the database has seen (0: none). */
  get spoolMark(): number {
    return Math.max(this.#appliedMark, ...this.#lanes.flatMap((l) => [l.seq, ...l.extra]));
  }

  /** Route Monitoring messages accepted but waiting for their peer's lookup. */
  get waiting(): number {
    return this.#waiting;
  }

  /** False while writes fail for want of a database and wait to be retried. */
  get healthy(): boolean {
    return this.#retrying === 0;
  }

  /** When the current database outage began (ms since epoch), or undefined. */
  get outageSince(): number | undefined {
    return this.#outageSince;
  }

  /**
   * The lowest spool sequence number whose writes are not all committed yet, or
   * `Infinity`: spool records below it are safe to delete.
   */
  lowestPending(): number {
    let low = Infinity;
    for (const l of this.#lanes) {
      if (l.fill.minSeq) low = Math.min(low, l.fill.minSeq);
      for (const b of l.sealed) if (b.minSeq) low = Math.min(low, b.minSeq);
    }
    for (const seq of this.#opSeqs.keys()) low = Math.min(low, seq);
    return low;
  }

  /**
   * Runs `fn` until it succeeds or fails for a reason other than a lost database (then
   * throws); while it retries, the writer is not {@linkcode healthy}.
   */
  async #retry<T>(fn: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0;; attempt++) {
      try {
        const r = await withDeadline(fn(attempt), ATTEMPT_MS, "database write");
        if (attempt > 0 && --this.#retrying === 0) this.#outageSince = undefined;
        return r;
      } catch (e) {
        if (!isRetryable(e)) {
          if (attempt > 0 && --this.#retrying === 0) this.#outageSince = undefined;
          throw e;
        }
        if (attempt === 0) {
          if (this.#retrying++ === 0) this.#outageSince = Date.now();
          this.#onError?.(e);
        }
        await new Promise((r) => setTimeout(r, backoffMs(attempt)));
      }
    }
  }

  /**
   * Runs a peer's Up and Down writes one after the other, in arrival order (FRR sends a
   * Peer Down and the next Peer Up within milliseconds; racing, the peer's state would be
   * whichever committed last).
   */
  #inPeerOrder(key: string, run: () => Promise<void>): Promise<void> {
    const prev = this.#peerOrder.get(key);
    const p = prev ? prev.then(run) : run();
    keepWhilePending(this.#peerOrder, key, p.then(() => {}, () => {}));
    return p;
  }

  /** Counts spool record `seq` (if any) as pending until `p` settles. */
  #hold<T>(seq: number | undefined, p: Promise<T>): Promise<T> {
    if (!seq) return p;
    this.#opSeqs.set(seq, (this.#opSeqs.get(seq) ?? 0) + 1);
    return p.finally(() => {
      const n = this.#opSeqs.get(seq)! - 1;
      if (n === 0) this.#opSeqs.delete(seq);
      else this.#opSeqs.set(seq, n);
    });
  }

  /** Runs a write of spool record `seq` (if any) with retries, tracked as pending. */
  #op<T>(seq: number | undefined, fn: (attempt: number) => Promise<T>): Promise<T> {
    return this.#hold(seq, this.#retry(fn));
  }

  /**
   * Registers a router connection: creates or updates its `routers` row.
   *
   * @param key identity of the router for the store, e.g. its address
   * @param address the router's IP address
   * @returns the router id
   */
  async router(key: string, address?: string, port?: number): Promise<number> {
    const [row] = await this.#retry(() =>
      this.#sql`
      INSERT INTO routers (key, address, port, connected, connected_at, last_seen)
      VALUES (${key}, ${address ?? null}, ${port ?? null}, true, now(), now())
      ON CONFLICT (key) DO UPDATE SET address = excluded.address, port = excluded.port,
        connected = true, connected_at = now(), last_seen = now()
      RETURNING id`
    );
    return row.id as number;
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
    switch (m.kind) {
      case "route_monitoring": {
        const table = this.#tableName(routerId, m.peer, m);
        const key = `${routerId}|${m.peer.key}|${table}|${m.peer.postPolicy ? "L" : ""}${
          m.peer.adjRibOut ? "O" : ""
        }`;
        const id = this.#peerIds.get(key);
        const tail = this.#routeTail.get(key);
        if (id !== undefined && !tail) return this.#routes(routerId, id, m, seq);
        // The peer's id is being looked up: its routes wait, in order, while other peers'
        // go on (a thousand routers connecting must not register one after the other).
        this.#waiting++;
        const next = (tail ?? this.#peerId(routerId, m.peer, table)).then(async (pid) => {
          this.#waiting--;
          const wait = this.#routes(routerId, pid, m, seq);
          if (wait) await wait;
          return pid;
        }, (e) => {
          this.#waiting--;
          throw e;
        });
        keepWhilePending(this.#routeTail, key, next);
        this.#track(this.#hold(seq, next));
        // Beyond the bound, the sender waits until this message is in a batch: accepting
        // on would hold a whole table dump in memory while the lookup and the lagging
        // batches go on.
        if (this.#waiting >= this.#maxWaiting) return next.then(() => {}, () => {});
        return;
      }
      case "peer_up": {
        const key = `${routerId}|${m.peer.key}`;
        const done = this.#hold(seq, this.#inPeerOrder(key, () => this.#peerUp(routerId, m, seq)));
        keepWhilePending(this.#peerUpPending, key, done.then(() => {}, () => {}));
        this.#track(done);
        return;
      }
      case "peer_down": {
        // The routes of this peer written before the Peer Down are committed first.
        const before = this.#sealAfterLookups();
        this.#track(this.#hold(
          seq,
          this.#inPeerOrder(
            `${routerId}|${m.peer.key}`,
            () => this.#peerDown(routerId, m, before, seq),
          ),
        ));
        return;
      }
      case "statistics_report":
        this.#track(this.#hold(seq, this.#stats(routerId, m, seq)));
        return;
      case "route_mirroring":
        // The caller's buffer may be reused before the row is written.
        this.#track(this.#hold(seq, this.#mirroring(routerId, m, raw?.slice(), seq)));
        return;
      case "initiation":
      case "termination":
        this.#track(this.#hold(seq, this.#routerEvent(routerId, m, seq)));
        return;
    }
  }

  /** Stores a message the decoder rejected, with its raw bytes. */
  writeError(routerId: number, e: DecodeError, raw?: Uint8Array, seq?: number): void {
    const bytes = raw ? raw.slice() : null;
    this.#track(this.#op(seq, () =>
      this.#sql.begin(async (tx) => {
        if (!(await firstTime(tx, seq))) return;
        await tx`
          INSERT INTO decode_errors (router_id, message_type, code, message, stream_offset, raw)
          VALUES (${routerId}, ${e.messageType ?? null}, ${e.code}, ${e.message}, ${e.offset},
            ${bytes})`;
      })));
  }

  /**
   * A router's connection ended: every peer of it that is up goes down, its routes are
   * marked withdrawn (one UPDATE), and a `down` event is written per peer.
   */
  routerDown(routerId: number, seq?: number): Promise<void> {
    const p = this.#hold(seq, this.#sealAfterLookups()).then(() =>
      this.#op(seq, () =>
        this.#sql.begin(async (tx) => {
          if (!(await firstTime(tx, seq))) return;
          const now = new Date(this.#now());
          const peers = await tx`
          UPDATE peers SET state = 'down', down_time = ${now}, down_reason = NULL,
            down_reason_name = 'router_disconnected'
          WHERE router_id = ${routerId} AND state <> 'down' RETURNING id`;
          const ids = peers.map((p) => p.id as number);
          this.#endFirstLoad(ids);
          const [{ count }] = await tx`
          WITH w AS (UPDATE rib SET withdrawn = true, withdrawn_time = ${now}
            WHERE peer_id IN (SELECT id FROM peers WHERE router_id = ${routerId})
              AND NOT withdrawn
            RETURNING 1)
          SELECT count(*)::bigint AS count FROM w`;
          if (ids.length > 0) {
            await tx`
            INSERT INTO peer_events (time, router_id, peer_id, event, reason_name,
              routes_withdrawn)
            SELECT ${now}, ${routerId}, unnest(${ids}::int[]), 'down', 'router_disconnected',
              ${count}`;
          }
          await tx`UPDATE routers SET connected = false, disconnected_at = ${now}
          WHERE id = ${routerId}`;
        }))
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
    await this.#sealAll();
    while (this.#pending.size > 0) {
      await Promise.allSettled([...this.#pending]);
      await this.#sealAll();
    }
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
      for (const l of this.#lanes) {
        l.conn.release();
        await l.db?.end({ timeout: 5 });
      }
    }
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

  #tableName(routerId: number, h: PerPeerHeader, m?: RouteMonitoringMessage): string {
    if (m?.tlvs) {
      const t = m.tlvs.find((t) => t.name === "vrf_table_name");
      if (t) return String(t.value);
    }
    return this.#tableNames.get(`${routerId}|${h.key}`) ?? "";
  }

  #peerId(routerId: number, h: PerPeerHeader, table: string, afterPeerUp = true): Promise<number> {
    const k = peerKey(routerId, h, table);
    const text = peerKeyText(k);
    const cacheKey = `${routerId}|${h.key}|${table}|${h.postPolicy ? "L" : ""}${
      h.adjRibOut ? "O" : ""
    }`;
    // Peer Up/Down (afterPeerUp false) never wait on a lookup that itself waits for a Peer Up:
    // they register the peer themselves (the INSERT is an upsert).
    let p = afterPeerUp ? this.#peerPending.get(cacheKey) : undefined;
    if (p) return p;
    // A view first seen after the peer's Peer Up (GoBGP: post-policy, Adj-RIB-Out) takes the
    // session fields of its sibling views, once that Peer Up is written.
    const before = afterPeerUp ? this.#peerUpPending.get(`${routerId}|${h.key}`) : undefined;
    p = (before ?? RESOLVED).then(() =>
      this.#retry(() =>
        this.#sql`
      INSERT INTO peers (router_id, peer_type, rd, address, table_name, post_policy,
        adj_rib_out, asn, bgp_id, flags, state, up_time, down_time, down_reason,
        down_reason_name, down_notification, local_address, local_port, remote_port, local_asn,
        local_bgp_id, hold_time, capabilities, information)
      SELECT ${routerId}::int, ${k.peerType}::smallint, ${k.rd}::text, ${k.address}::inet,
        ${k.tableName}::text, ${k.postPolicy}::boolean, ${k.adjRibOut}::boolean,
        ${h.asn}::bigint, ${h.bgpId}::inet, ${h.flags}::smallint, coalesce(s.state, 'unknown'),
        s.up_time, s.down_time, s.down_reason, s.down_reason_name, s.down_notification,
        s.local_address, s.local_port, s.remote_port, s.local_asn, s.local_bgp_id, s.hold_time,
        s.capabilities, s.information
      FROM (SELECT 1) AS one LEFT JOIN LATERAL (
        SELECT * FROM peers s WHERE s.router_id = ${routerId} AND s.peer_type = ${k.peerType}
          AND s.rd = ${k.rd} AND s.address = ${k.address}::inet AND s.table_name = ${k.tableName}
        ORDER BY greatest(s.up_time, s.down_time) DESC NULLS LAST LIMIT 1) s ON true
      ON CONFLICT (router_id, peer_type, rd, address, table_name, post_policy, adj_rib_out)
      DO UPDATE SET asn = excluded.asn, flags = excluded.flags,
        -- FRR repeats Peer Downs of a down peer with BGP ID 0.0.0.0: keep the real one.
        bgp_id = CASE WHEN excluded.bgp_id = '0.0.0.0' THEN peers.bgp_id
          ELSE excluded.bgp_id END
      RETURNING id, NOT EXISTS (SELECT 1 FROM rib WHERE rib.peer_id = peers.id) AS empty`
      )
    ).then(([row]) => {
      const id = row.id as number;
      // Not once its routes are in batches: they may not be committed yet.
      if (row.empty && !this.#fresh.has(id) && !this.#peerIds.has(cacheKey)) {
        this.#fresh.set(id, new KeySet());
      }
      this.#peerIds.set(cacheKey, id);
      if (this.#peerPending.get(cacheKey) === p) this.#peerPending.delete(cacheKey);
      return id;
    }, (e) => {
      if (this.#peerPending.get(cacheKey) === p) this.#peerPending.delete(cacheKey);
      throw new Error(`Cannot register peer ${text}: ${e instanceof Error ? e.message : e}`, {
        cause: e,
      });
    });
    if (afterPeerUp) this.#peerPending.set(cacheKey, p);
    return p;
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
    let wait: Promise<void> | undefined;
    for (const r of rows) {
      const lane = lanes[laneOf(peerId, r.routeKey, lanes.length)];
      // Replaying the spool: this lane already committed the message.
      if (seq && (seq <= lane.seq || lane.extra.has(seq))) continue;
      const b = lane.fill;
      if (b.routes === 0) b.firstAt = performance.now();
      if (seq && b.seqs.at(-1) !== seq) {
        if (!b.minSeq || seq < b.minSeq) b.minSeq = seq;
        if (seq > b.maxSeq) b.maxSeq = seq;
        b.seqs.push(seq);
      }
      const a = r.attrs;
      if (a && !this.#attrIds.has(a.id)) {
        if (this.#attrIds.size >= this.#attrCacheSize) this.#attrIds.clear();
        this.#attrIds.add(a.id);
        encodeAttrs(b.attrs, a);
        this.stats.attrSets++;
      }
      const start = b.hist.length;
      encodeRoute(b.hist, r);
      const end = b.hist.length;
      b.hist.end();
      const id = `${r.peerId}|${r.afi}|${r.safi}|${r.rd}|${r.pathId}|${r.routeKey}`;
      const at = b.index.get(id);
      if (at === undefined) {
        b.index.set(id, b.keys.length);
        b.keys.push(r.routeKey);
        b.spans.push(start, end);
        const fresh = this.#isNew(peerId, id);
        b.fresh.push(fresh);
        if (fresh) {
          b.freshRows++;
          b.freshPeers.add(peerId);
        }
      } else {
        b.spans[2 * at] = start;
        b.spans[2 * at + 1] = end;
      }
      b.routes++;
    }
    // Batches end between messages: a message's routes in a lane commit together, which
    // the lane's spool mark relies on (a replay must not write half a message again).
    for (const lane of lanes) {
      if (lane.fill.routes < this.#batchRows) continue;
      if (lane.inflight) wait = lane.inflight;
      else this.#seal(lane);
    }
    this.stats.routes += rows.length;
    return wait;
  }

  /** Whether route `id` of peer view `peerId` is new to the RIB (false: not known). */
  #isNew(peerId: number, id: string): boolean {
    const set = this.#fresh.get(peerId);
    if (!set) return false;
    const before = set.size;
    if (!set.add(hash32(id))) return false;
    this.#freshKeys += set.size - before;
    if (this.#freshKeys > FRESH_KEYS_MAX) this.#endFirstLoad([peerId]);
    return true;
  }

  /** The views' routes go through the upsert from now on. */
  #endFirstLoad(peerIds: Iterable<number>): void {
    for (const id of peerIds) {
      const set = this.#fresh.get(id);
      if (!set) continue;
      this.#freshKeys -= set.size;
      this.#fresh.delete(id);
    }
  }

  #tick(): void {
    const now = performance.now();
    for (const lane of this.#lanes) {
      if (lane.fill.routes > 0 && !lane.inflight && now - lane.fill.firstAt >= this.#flushMs) {
        this.#seal(lane);
      }
    }
  }

  /**
   * Once the routes waiting for a peer lookup are in their batches, seals every lane's;
   * resolves when those are committed (a Peer Down or disconnect comes after them).
   */
  #sealAfterLookups(): Promise<void> {
    const tails = [...this.#routeTail.values()];
    if (tails.length === 0) return this.#sealAll();
    return Promise.all(tails.map((t) => t.then(() => {}, () => {}))).then(() => this.#sealAll());
  }

  /** Seals every lane's batch; resolves when all batches so far are committed. */
  #sealAll(): Promise<void> {
    return Promise.all(this.#lanes.map((l) => this.#seal(l))).then(() => {});
  }

  #seal(lane: Lane): Promise<void> {
    const batch = lane.fill;
    if (batch.routes === 0 && batch.attrs.length === 0) return lane.inflight ?? RESOLVED;
    lane.fill = lane.spare ?? new Batch();
    lane.spare = null;
    lane.sealed.add(batch);
    const prev = lane.inflight ?? RESOLVED;
    const p: Promise<void> = prev.then(() => this.#commit(lane, batch)).catch((e) => {
      // A failed batch may have carried attribute sets other batches now rely on.
      this.#attrIds.clear();
      this.#fail(e);
    }).finally(() => {
      lane.sealed.delete(batch);
      batch.reset();
      lane.spare = batch;
      if (lane.inflight === p) lane.inflight = null;
    });
    lane.inflight = p;
    return p;
  }

  async #commit(lane: Lane, b: Batch): Promise<void> {
    const t0 = performance.now();
    for (let i = 0; i < b.keys.length; i++) {
      b.stage.appendFrom(b.hist, b.spans[2 * i], b.spans[2 * i + 1]).text(b.keys[i])
        .bool(b.fresh[i]).end();
    }
    await this.#retry(async (attempt) => {
      const conn = await this.#laneConn(lane);
      // After an ambiguous failure (the COMMIT may have landed), the lane's mark says.
      if (attempt > 0 && b.maxSeq) {
        const [row] = await conn`SELECT seq, extra FROM spool_lanes WHERE lane = ${lane.index}`;
        if (row && (Number(row.seq) >= b.maxSeq || row.extra.map(Number).includes(b.maxSeq))) {
          return;
        }
      }
      try {
        await withDeadline(this.#commitOnce(conn, lane, b), ATTEMPT_MS, "batch");
      } catch (e) {
        if (isRetryable(e)) lane.broken = true;
        throw e;
      }
    });
    if (b.maxSeq) [lane.seq, lane.extra] = this.#markAfter(lane, b);
    this.stats.batches++;
    if (b.firstLoaded) this.stats.firstLoadRoutes += b.freshRows;
    this.stats.commitMs += performance.now() - t0;
  }

  /**
   * The lane's spool mark once batch `b` is committed: up to the message before the lowest
   * one still waiting anywhere (in this lane's other batches or a peer lookup), plus the
   * numbers committed beyond it.
   */
  #markAfter(lane: Lane, b: Batch): [number, Set<number>] {
    let low = Infinity;
    // A message whose routes fill one batch and start the next is done only with both.
    const elsewhere = new Set<number>(this.#opSeqs.keys());
    for (const other of [lane.fill, ...lane.sealed]) {
      if (other === b || !other.minSeq) continue;
      low = Math.min(low, other.minSeq);
      for (const seq of other.seqs) elsewhere.add(seq);
    }
    for (const seq of this.#opSeqs.keys()) low = Math.min(low, seq);
    const mark = Math.max(lane.seq, Math.min(b.maxSeq, low - 1));
    const extra = new Set<number>();
    for (const seq of lane.extra) if (seq > mark) extra.add(seq);
    for (const seq of b.seqs) if (seq > mark && !elsewhere.has(seq)) extra.add(seq);
    return [mark, extra];
  }

  /** The lane's connection, reserved anew (with its staging tables) after a failure. */
  async #laneConn(lane: Lane): Promise<ReservedSql> {
    if (!lane.broken) return lane.conn;
    if (lane.db) {
      // Statements on a connection that died may never settle: end the pool, start anew
      // (not released: an attempt still running must not find it free for others).
      lane.db.end({ timeout: 0 }).catch(() => {});
      lane.db = this.#connect!();
    } else {
      try {
        lane.conn.release();
      } catch { /* gone with its server */ }
    }
    const conn = await (lane.db ?? this.#sql).reserve();
    try {
      await prepareLane(conn);
    } catch (e) {
      conn.release();
      throw e;
    }
    lane.conn = conn;
    lane.broken = false;
    return conn;
  }

  async #commitOnce(conn: ReservedSql, lane: Lane, b: Batch): Promise<void> {
    const steps = this.stats.steps;
    let t = performance.now();
    const step = (k: keyof WriterStats["steps"]) => {
      const now = performance.now();
      steps[k] += now - t;
      t = now;
    };
    await conn.unsafe("BEGIN");
    try {
      if (b.attrs.length > 0) {
        await copyIn(conn, `bmpmon_attrs_stage (${ATTR_COLUMNS.join(", ")})`, b.attrs);
        await conn.unsafe(INSERT_ATTRS);
      }
      step("attrs");
      await copyIn(conn, `route_history (${ROUTE_COLUMNS.join(", ")})`, b.hist);
      step("history");
      await copyIn(conn, `bmpmon_rib_stage (${STAGE_COLUMNS.join(", ")}, fresh)`, b.stage);
      step("stage");
      let upsert = b.freshRows < b.keys.length ? UPSERT_RIB : "";
      if (b.freshRows > 0) {
        await conn.unsafe("SAVEPOINT first_load");
        try {
          await conn.unsafe(INSERT_RIB);
          await conn.unsafe("RELEASE SAVEPOINT first_load");
          b.firstLoaded = true;
        } catch (e) {
          // A route taken for new was in the RIB (written by someone else, or a hash
          // that was not ours): this batch and the views' later ones take the upsert.
          if ((e as { code?: string }).code !== "23505") throw e;
          await conn.unsafe("ROLLBACK TO SAVEPOINT first_load");
          this.#endFirstLoad(b.freshPeers);
          this.stats.firstLoadMisses++;
          b.firstLoaded = false;
          upsert = UPSERT_RIB_ALL;
        }
      }
      step("insert");
      if (upsert) await conn.unsafe(upsert);
      step("upsert");
      if (b.maxSeq) {
        const [mark, extra] = this.#markAfter(lane, b);
        await conn.unsafe(MARK_LANE, [lane.index, mark, [...extra]]);
      }
      await conn.unsafe("COMMIT");
      step("commit");
    } catch (e) {
      await conn.unsafe("ROLLBACK").catch(() => {});
      throw e;
    }
  }

  async #peerUp(routerId: number, m: PeerUpMessage, seq?: number): Promise<void> {
    const table = tableNameOf(m.information);
    this.#tableNames.set(`${routerId}|${m.peer.key}`, table);
    const peerId = await this.#peerId(routerId, m.peer, table, false);
    const ev = peerUpRow(m, routerId, peerId, { nowMs: this.#now() });
    const k = peerKey(routerId, m.peer, table);
    const caps = { sent: m.sentOpen.capabilities, received: m.receivedOpen.capabilities };
    await this.#retry(() =>
      this.#sql.begin(async (tx) => {
        if (!(await firstTime(tx, seq))) return;
        await tx`
        UPDATE peers SET state = 'up', up_time = ${ev.time}, local_address = ${m.localAddress},
          local_port = ${m.localPort}, remote_port = ${m.remotePort},
          local_asn = ${m.sentOpen.asn}, local_bgp_id = ${m.sentOpen.bgpId},
          hold_time = ${Math.min(m.sentOpen.holdTime, m.receivedOpen.holdTime)},
          capabilities = ${tx.json(caps as never)}, information = ${
          tx.json(m.information as never)
        },
          asn = ${m.peer.asn}, bgp_id = ${m.receivedOpen.bgpId}
        WHERE router_id = ${routerId} AND peer_type = ${k.peerType} AND rd = ${k.rd}
          AND address = ${k.address} AND table_name = ${k.tableName}`;
        await insertPeerEvent(tx as unknown as Sql, ev, null);
      })
    );
  }

  async #peerDown(
    routerId: number,
    m: PeerDownMessage,
    before: Promise<void>,
    seq?: number,
  ): Promise<void> {
    const table = tableNameOf(m.information) || this.#tableName(routerId, m.peer);
    // Not after a pending Peer Up: Ups and Downs of a peer run in order (#inPeerOrder).
    const peerId = await this.#peerId(routerId, m.peer, table, false);
    const ev = peerDownRow(m, routerId, peerId, { nowMs: this.#now() });
    const k = peerKey(routerId, m.peer, table);
    await before;
    await this.#retry(() =>
      this.#sql.begin(async (tx) => {
        if (!(await firstTime(tx, seq))) return;
        const views = await tx`
        UPDATE peers SET state = 'down', down_time = ${ev.time}, down_reason = ${m.reason},
          down_reason_name = ${m.reasonName},
          down_notification = ${m.notification ? tx.json(m.notification as never) : null}
        WHERE router_id = ${routerId} AND peer_type = ${k.peerType} AND rd = ${k.rd}
          AND address = ${k.address} AND table_name = ${k.tableName}
        RETURNING id`;
        const ids = views.map((v) => v.id as number);
        this.#endFirstLoad(ids);
        // Routes changed after the Peer Down's time belong to a newer session.
        const [{ count }] = await tx`
        WITH w AS (UPDATE rib SET withdrawn = true, withdrawn_time = ${ev.time}
          WHERE peer_id = ANY(${ids}::int[]) AND NOT withdrawn
            AND last_change <= ${ev.time}
          RETURNING 1)
        SELECT count(*)::bigint AS count FROM w`;
        await insertPeerEvent(tx as unknown as Sql, ev, count);
      })
    );
  }

  async #stats(
    routerId: number,
    m: BmpMessage & { kind: "statistics_report" },
    seq?: number,
  ): Promise<void> {
    const peerId = await this.#peerId(routerId, m.peer, this.#tableName(routerId, m.peer));
    const rows = statRows(m, routerId, peerId, { nowMs: this.#now() });
    if (rows.length === 0) return;
    const last: Record<string, string | null> = {};
    for (const r of rows) {
      last[r.afi === null ? r.name : `${r.name}:${r.afi}/${r.safi}`] = r.value ?? r.raw;
    }
    await this.#retry(() =>
      this.#sql.begin(async (tx) => {
        if (!(await firstTime(tx, seq))) return;
        await tx`INSERT INTO stats_reports ${
          tx(rows.map((r) => ({
            time: r.time,
            router_id: r.routerId,
            peer_id: r.peerId,
            type: r.type,
            name: r.name,
            afi: r.afi,
            safi: r.safi,
            value: r.value,
            raw: r.raw,
          })))
        }`;
        await tx`UPDATE peers SET last_stats = ${tx.json(last)}, last_stats_time = ${rows[0].time}
        WHERE id = ${peerId}`;
      })
    );
  }

  async #mirroring(
    routerId: number,
    m: BmpMessage & { kind: "route_mirroring" },
    raw?: Uint8Array,
    seq?: number,
  ): Promise<void> {
    const peerId = await this.#peerId(routerId, m.peer, this.#tableName(routerId, m.peer));
    const b = new CopyBuffer(1024);
    encodeMirroring(b, mirroringRow(m, routerId, peerId, raw, { nowMs: this.#now() }));
    await this.#retry(() =>
      this.#sql.begin(async (tx) => {
        if (!(await firstTime(tx, seq))) return;
        await copyIn(tx, `route_mirroring (${MIRRORING_COLUMNS.join(", ")})`, b);
      })
    );
  }

  async #routerEvent(
    routerId: number,
    m: BmpMessage & { kind: "initiation" | "termination" },
    seq?: number,
  ): Promise<void> {
    const ev = routerEventRow(m, routerId);
    const info = this.#sql.json(ev.information as never);
    await this.#retry(() =>
      this.#sql.begin(async (tx) => {
        if (!(await firstTime(tx, seq))) return;
        if (ev.event === "initiation") {
          await tx`UPDATE routers SET sys_name = ${ev.sysName}, sys_descr = ${ev.sysDescr},
            name = coalesce(${ev.sysName}, name), initiation = ${info}, last_seen = now()
          WHERE id = ${routerId}`;
        } else {
          await tx`UPDATE routers SET termination = ${info}, termination_reason = ${ev.reason},
            last_seen = now() WHERE id = ${routerId}`;
        }
        await tx`INSERT INTO router_events (router_id, event, sys_name, sys_descr, reason,
          reason_name, information)
        VALUES (${routerId}, ${ev.event}, ${ev.sysName}, ${ev.sysDescr}, ${ev.reason},
          ${ev.reasonName}, ${info})`;
      })
    );
  }
}

/** Keeps `p` under `key` in `map` until it settles (unless replaced meanwhile). */
function keepWhilePending<K, P extends Promise<unknown>>(map: Map<K, P>, key: K, p: P): void {
  map.set(key, p);
  const clear = () => {
    if (map.get(key) === p) map.delete(key);
  };
  p.then(clear, clear);
}

/**
 * Records spool record `seq` as applied in `tx`; false when it already was (a replay),
 * and then the caller writes nothing. Without a `seq` (not spooled): always true.
 */
async function firstTime(tx: Sql | TransactionSql, seq?: number): Promise<boolean> {
  if (!seq) return true;
  const r = await tx`INSERT INTO spool_applied (seq) VALUES (${seq}) ON CONFLICT DO NOTHING
    RETURNING seq`;
  return r.length > 0;
}

async function insertPeerEvent(
  tx: Sql,
  ev: PeerEventRow,
  routesWithdrawn: unknown,
): Promise<void> {
  await tx`INSERT INTO peer_events (time, router_id, peer_id, event, reason, reason_name,
      notification, fsm_event, routes_withdrawn, info)
    VALUES (${ev.time}, ${ev.routerId}, ${ev.peerId}, ${ev.event}, ${ev.reason},
      ${ev.reasonName}, ${ev.notification === null ? null : tx.json(ev.notification as never)},
      ${ev.fsmEvent}, ${routesWithdrawn as number | null},
      ${ev.info === null ? null : tx.json(ev.info as never)})`;
}
