/**
 * The spool in front of the store: every message a router sends is appended to the
 * {@linkcode SpoolLog} before it is stored, and the store is fed in one of two modes.
 *
 * - **inline** (normal): each message goes straight on to the store after its append;
 *   the spool is only a write-ahead log, trimmed as batches commit.
 * - **spooling**: as soon as the store lags (its write asks to wait) or the database is
 *   gone, routers are no longer held back: their messages are only appended, and a
 *   drainer feeds the store from the spool, in arrival order, ahead of anything newer.
 *   When it has caught up, the mode is inline again. Only when the spool holds more
 *   than its cap does a router's connection wait (TCP flow control).
 *
 * The drainer decodes spooled messages with a decoder per connection that has seen every
 * Peer Up before them (also those applied inline), so Add-Path and the like stay right.
 * Each segment of the spool starts with the open connections and their Peer Ups, so it
 * can be replayed without the ones before it.
 *
 * After a crash, {@linkcode SpoolSink.recover} replays the spool from its oldest record:
 * the store skips what it had committed (src/store/spool_marks.ts), and connections that were
 * open are closed (their peers down, their routes withdrawn) before routers reconnect.
 *
 * @module
 */

import type { BmpMessage } from "../bmp/message.ts";
import { BmpSession } from "../bmp/session.ts";
import { type MessageSink, RouterConnection } from "../collector/server.ts";
import type { StoreTarget } from "../collector/store_sink.ts";
import { within } from "../store/retry.ts";
import type { SpoolMarks } from "../store/spool_marks.ts";
import { type DecodeError, toDecodeError } from "../wire/errors.ts";
import { RecordType, type SpoolCursor, type SpoolLog, type SpoolRecord } from "./log.ts";

import type { SpoolSinkOptions, SpoolStatus } from "./sink_types.ts";

export type { SpoolSinkOptions, SpoolStatus } from "./sink_types.ts";

interface Conn {
  router: RouterConnection;
  /** Decodes this connection's spooled messages. */
  session: BmpSession;
  /** Latest Peer Up per peer (per-peer header without its timestamp), raw. */
  peerUps: Map<string, Uint8Array>;
  /** No ConnDown appended yet. */
  open: boolean;
  /** The store has registered the router. */
  up: boolean;
  /** The inline registration, while it runs. */
  registering?: Promise<void>;
  /** Rebuilt from a segment's snapshot: its State records apply until its first message. */
  fromSnapshot: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const PEER_UP = 3;

/** A {@linkcode MessageSink} that spools every message and feeds the store. */
export class SpoolSink implements MessageSink {
  readonly #spool: SpoolLog;
  readonly #store: StoreTarget;
  /** What the store has committed and still holds (the `StoreWriter`). */
  readonly #marks: SpoolMarks;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #log: NonNullable<SpoolSinkOptions["log"]>;
  readonly #pending: () => number;
  readonly #conns = new Map<number, Conn>();
  /** RouterConnection id → spool connection id. */
  readonly #connOf = new Map<number, number>();
  #mode: "inline" | "spooling" = "inline";
  #drain: Promise<void> = Promise.resolve();
  #cursor?: SpoolCursor;
  /** The record the drainer applies next. */
  #drainNext = 0;
  #full?: PromiseWithResolvers<void>;
  #episodes = 0;
  #drained = 0;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(
    spool: SpoolLog,
    store: StoreTarget,
    marks: SpoolMarks,
    opts: SpoolSinkOptions = {},
  ) {
    this.#spool = spool;
    this.#store = store;
    this.#marks = marks;
    this.#maxBytes = opts.maxBytes ?? 1 << 30;
    this.#now = opts.now ?? Date.now;
    this.#log = opts.log ?? (() => {});
    this.#pending = opts.pending ?? (() => Infinity);
    spool.onRotate = () => this.#snapshot();
    const timer = setInterval(() => this.#tick(), opts.tickMs ?? 200);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** The spool's state now. */
  status(): SpoolStatus {
    return {
      mode: this.#mode,
      bytes: this.#spool.bytes,
      segments: this.#spool.segments,
      backlog: this.#mode === "spooling" ? this.#spool.nextSeq - this.#drainNext : 0,
      outageSince: this.#marks.outageSince,
      episodes: this.#episodes,
      drained: this.#drained,
    };
  }

  /**
   * After a start: closes the connections the spool shows open (the collector stopped
   * without their end) and replays the spool into the store. Call before routers connect.
   *
   * @returns the records found and the connections closed
   */
  recover(): { records: number; closed: number } {
    // Numbering goes on past anything the database has seen (a spool deleted by hand).
    this.#spool.advanceTo(this.#marks.spoolMark + 1);
    const open = new Set<number>();
    let records = 0;
    const c = this.#spool.cursor();
    try {
      for (let r = c.next(); r; r = c.next()) {
        records++;
        if (r.type === RecordType.ConnUp) open.add(r.conn);
        else if (r.type === RecordType.ConnDown) open.delete(r.conn);
      }
    } finally {
      c.close();
    }
    for (const conn of open) {
      this.#spool.append(
        RecordType.ConnDown,
        this.#now(),
        conn,
        encoder.encode("collector restarted"),
      );
    }
    if (records > 0) this.#startDrain(this.#spool.firstSeq);
    return { records, closed: open.size };
  }

  async routerUp(router: RouterConnection): Promise<void> {
    const id = this.#spool.nextSeq;
    const body = encoder.encode(
      JSON.stringify({ address: router.remoteAddress, port: router.remotePort }),
    );
    this.#spool.append(RecordType.ConnUp, this.#now(), id, body);
    const c: Conn = {
      router,
      session: new BmpSession(),
      peerUps: new Map(),
      open: true,
      up: false,
      fromSnapshot: false,
    };
    this.#conns.set(id, c);
    this.#connOf.set(router.id, id);
    if (this.#mode === "inline" && this.#marks.healthy) {
      c.registering = this.#store.routerUp(router);
      try {
        await c.registering;
        c.up = true;
        return;
      } catch (e) {
        this.#log("warn", "store unavailable, spooling: {error}", { error: String(e) });
      } finally {
        c.registering = undefined;
      }
    }
    this.#startDrain(id);
  }

  write(router: RouterConnection, m: BmpMessage, raw: Uint8Array): void | Promise<void> {
    const id = this.#connOf.get(router.id);
    if (id === undefined) throw new Error(`Cannot spool message: router ${router.id} is not up`);
    const c = this.#conns.get(id)!;
    const seq = this.#spool.append(RecordType.Message, this.#now(), id, raw);
    if (m.kind === "peer_up") c.peerUps.set(peerKey(raw), raw.slice());
    if (this.#mode === "inline") {
      // Applied here, not by the drainer: its decoder must still learn the session.
      if (m.kind === "peer_up") decodeQuietly(c.session, raw);
      const wait = this.#store.write(router, m, raw, seq);
      // The store lags: from the next message on, routers are read on into the spool, and
      // the drainer goes on once this write is through (routes reach the store in order).
      if (wait) this.#startDrain(seq + 1, wait);
    }
    return this.#room();
  }

  decodeError(router: RouterConnection, error: DecodeError, raw: Uint8Array): void {
    const id = this.#connOf.get(router.id);
    if (id === undefined) return;
    const seq = this.#spool.append(RecordType.Message, this.#now(), id, raw);
    if (this.#mode === "inline") this.#store.decodeError(router, error, raw, seq);
  }

  async routerDown(router: RouterConnection, reason: string): Promise<void> {
    const id = this.#connOf.get(router.id);
    if (id === undefined) return;
    this.#connOf.delete(router.id);
    const c = this.#conns.get(id)!;
    c.open = false;
    const seq = this.#spool.append(RecordType.ConnDown, this.#now(), id, encoder.encode(reason));
    if (this.#mode === "inline" && c.up) {
      this.#conns.delete(id);
      await this.#store.routerDown(router, reason, seq);
    }
  }

  /**
   * Waits until the drainer has caught up, at most `ms`.
   *
   * @returns true when everything spooled was handed to the store
   */
  async settle(ms: number): Promise<boolean> {
    await within(this.#drain, ms, undefined);
    return this.#mode === "inline";
  }

  /**
   * Stops trimming; when every record is committed (`applied`), empties the spool.
   * Closes the spool file either way.
   */
  close(applied: boolean): void {
    clearInterval(this.#timer);
    this.#cursor?.close();
    if (applied && this.#mode === "inline" && this.#lowestPending() === Infinity) {
      this.#spool.clear();
    }
    this.#spool.close();
  }

  /** The lowest record the store or the other reader (`pending`) still needs. */
  #lowestPending(): number {
    return Math.min(this.#marks.lowestPending(), this.#pending());
  }

  /** Resolves when the spool is below its cap again (undefined: it is). */
  #room(): Promise<void> | undefined {
    if (this.#spool.bytes <= this.#maxBytes) return undefined;
    if (!this.#full) {
      this.#full = Promise.withResolvers();
      this.#log("warn", "spool full: routers wait", {
        bytes: this.#spool.bytes,
        max: this.#maxBytes,
      });
    }
    return this.#full.promise;
  }

  #tick(): void {
    const handed = this.#mode === "spooling" ? this.#drainNext : this.#spool.nextSeq;
    this.#spool.deleteBefore(Math.min(handed, this.#lowestPending()));
    if (this.#full && this.#spool.bytes <= this.#maxBytes) {
      this.#full.resolve();
      this.#full = undefined;
      this.#log("info", "spool below its cap: routers read again", { bytes: this.#spool.bytes });
    }
  }

  #startDrain(from: number, after?: Promise<void>): void {
    if (this.#mode === "spooling") return;
    this.#mode = "spooling";
    this.#episodes++;
    this.#drainNext = from;
    this.#drain = this.#drainLoop(from, after);
  }

  async #drainLoop(from: number, after?: Promise<void>): Promise<void> {
    await after?.catch(() => {}); // the writer reports its own failures
    // One cursor for all episodes: it reads on from where the last one stopped, so the
    // records applied inline in between are skipped, not the whole segment again.
    const cursor = this.#cursor ??= this.#spool.cursor(from);
    cursor.skipTo(from);
    let outage = false;
    for (;;) {
      const r = cursor.next();
      if (!r) break;
      this.#drainNext = r.seq;
      outage ||= !this.#marks.healthy;
      try {
        await this.#apply(r);
      } catch (e) {
        // The store retries what the database refuses for want of a connection; anything
        // else is a bad record: say so, and go on with the rest.
        this.#log("error", "spooled record not stored: {error}", {
          seq: r.seq,
          type: r.type,
          error: String(e),
        });
      }
      this.#drained++;
      this.#drainNext = r.seq + 1;
    }
    // Nothing runs between the last read and here: the next message is written inline.
    this.#mode = "inline";
    const records = this.#drainNext - from;
    // Short episodes (a batch committing, a new peer registered) are routine: not logged.
    if (outage || records >= 10_000) {
      this.#log("info", "spool drained: back to inline writes", { records, outage });
    }
  }

  async #apply(r: SpoolRecord): Promise<void> {
    let c = this.#conns.get(r.conn);
    switch (r.type) {
      case RecordType.ConnUp: {
        if (!c) {
          const { address, port } = JSON.parse(decoder.decode(r.body));
          c = {
            router: new RouterConnection(-r.conn, address, port),
            session: new BmpSession(),
            peerUps: new Map(),
            open: false,
            up: false,
            fromSnapshot: r.seq !== r.conn,
          };
          this.#conns.set(r.conn, c);
        }
        await this.#register(c);
        return;
      }
      case RecordType.State:
        if (c?.fromSnapshot) decodeQuietly(c.session, r.body);
        return;
      case RecordType.Message: {
        if (!c) {
          this.#log("error", "spooled message of an unknown connection skipped", {
            seq: r.seq,
            conn: r.conn,
          });
          return;
        }
        c.fromSnapshot = false;
        await this.#register(c);
        let m: BmpMessage;
        try {
          m = c.session.decode(r.body, 0);
        } catch (e) {
          this.#store.decodeError(c.router, toDecodeError(e, 0), r.body, r.seq);
          return;
        }
        const wait = this.#store.write(c.router, m, r.body, r.seq);
        if (wait) await wait;
        return;
      }
      case RecordType.ConnDown: {
        this.#conns.delete(r.conn);
        if (!c?.up) return;
        const down = this.#store.routerDown(c.router, decoder.decode(r.body), r.seq);
        // A connection from before a restart is closed before anything newer is stored;
        // live ones end side by side (the store keeps their rows apart until done).
        if (c.router.id < 0) await down;
        else down.catch(() => {}); // the writer reports its failures
        return;
      }
    }
  }

  /** Registers a connection's router with the store once (the inline attempt may run). */
  async #register(c: Conn): Promise<void> {
    if (c.registering) await c.registering.catch(() => {});
    if (c.up) return;
    await this.#store.routerUp(c.router);
    c.up = true;
  }

  /** Starts a new segment with what replaying it alone needs: open connections, Peer Ups. */
  #snapshot(): void {
    const now = this.#now();
    for (const [id, c] of this.#conns) {
      if (!c.open) continue;
      const body = encoder.encode(
        JSON.stringify({ address: c.router.remoteAddress, port: c.router.remotePort }),
      );
      this.#spool.append(RecordType.ConnUp, now, id, body);
      for (const raw of c.peerUps.values()) this.#spool.append(RecordType.State, now, id, raw);
    }
  }
}

/** The per-peer header of a Peer Up without its timestamp: the peer's identity. */
function peerKey(raw: Uint8Array): string {
  return String.fromCharCode(...raw.subarray(6, 40));
}

/** Feeds a message to a decoder for its state only (a bad one changes nothing). */
function decodeQuietly(session: BmpSession, raw: Uint8Array): void {
  try {
    if (raw[5] === PEER_UP) session.decode(raw, 0);
  } catch { /* the inline decode reported it */ }
}
