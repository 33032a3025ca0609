/**
 * Publishes the spool to JetStream: every BMP Message record, in arrival order, to
 * `bmp.raw.<router>` (src/bus/subject.ts), with many publishes in flight, and after a
 * connection's last message an empty one that ends it (`Bmp-Connection-End`).
 *
 * The publisher is one more reader at the end of the spool, beside the store's drainer:
 * it has its own cursor, so while the bus is down the spool holds the messages and the
 * routers are read on as usual. The spool deletes nothing the publisher still needs
 * ({@linkcode BusPublisher.lowestPending}, passed to `SpoolSink` as `pending`).
 *
 * A message counts as delivered once JetStream acks it. Its msgID is
 * `<collector id>:<spool seq>`, so a publish retried after a failure whose ack was lost,
 * or repeated after a restart, is stored once (the stream's duplicate window). After a
 * failure, or a disconnect, nothing new is sent: the publisher waits for every publish in
 * flight to settle and sends the failed ones again in their order, so the stream keeps
 * arrival order. With BUS_PARSED a message's decoded records (parsed.ts) are parts of its
 * entry: the entry, and so the mark, waits for all of their acks.
 *
 * @module
 */

import { AckQueue } from "./ack_queue.ts";
import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { RecordType, type SpoolCursor, type SpoolLog, type SpoolRecord } from "../spool/log.ts";
import { oneLine } from "./errors.ts";
import { BusLink } from "./link.ts";
import { markOf, markPath, readMark, writeMark } from "./mark.ts";
import { ParsedEncoder, type ParsedRecord as Parsed } from "./parsed.ts";
import type { BusPublisherOptions, BusStatus, Conn, Entry, Part } from "./publisher_types.ts";
import { initiationSysName, messageHeaders, rawSubject, routerToken } from "./subject.ts";

export type { BusPublisherOptions, BusStatus } from "./publisher_types.ts";

const INITIATION = 4;
const decoder = new TextDecoder();
const POLL_MS = 5;

/** Reads the spool and publishes its messages to JetStream. */
export class BusPublisher {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #spool: SpoolLog;
  readonly #id: string;
  readonly #window: number;
  readonly #timeout: number;
  readonly #markFile: string;
  readonly #log: NonNullable<BusPublisherOptions["log"]>;
  /** BUS_PARSED: each connection's decoder state, for the `bmp.parsed.*` records. */
  readonly #parsed?: ParsedEncoder;
  readonly #conns = new Map<number, Conn>();
  /** Connection → sysName of its Initiation. */
  readonly #sysNames = new Map<number, string>();
  /** Router token → last Bmp-Router-Seq given out. */
  readonly #counters = new Map<string, number>();
  /** Router token → last Bmp-Router-Seq acked in order (what the mark records). */
  readonly #acked = new Map<string, number>();
  /** Records read and not yet acked in order. */
  readonly #queue = new AckQueue();
  #inFlight = 0;
  /** Parts whose publish failed, to be sent again. */
  #failed = 0;
  /** Records up to this are acked, in order. */
  #ackedSeq: number;
  /** What the mark file says (records after it are kept in the spool). */
  #markedSeq: number;
  /** Records up to this the previous run had acked: read again, not published. */
  readonly #resumeAfter: number;
  #nextRead: number;
  #cursor: SpoolCursor;
  readonly #link: BusLink;
  #closed = false;
  #wake?: () => void;
  #loop?: Promise<void>;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #stats = { published: 0, bytes: 0, duplicates: 0, errors: 0, dropped: 0 };

  /**
   * Reads the mark file and numbers the spool past it; call before the spool is appended
   * to (before `SpoolSink.recover`), then {@linkcode start}.
   */
  constructor(
    bus: { nc: NatsConnection; js: JetStreamClient },
    spool: SpoolLog,
    opts: BusPublisherOptions,
  ) {
    this.#nc = bus.nc;
    this.#js = bus.js;
    this.#spool = spool;
    this.#id = opts.collectorId;
    this.#window = opts.window ?? 512;
    this.#timeout = opts.ackTimeoutMs ?? 5000;
    this.#log = opts.log ?? (() => {});
    this.#link = new BusLink(bus.nc, this.#log, {
      fields: () => ({ ackedSeq: this.#ackedSeq, backlog: this.status().backlog }),
      onBack: () => this.#wake?.(),
    });
    this.#markFile = markPath(opts.dataDir);
    const mark = readMark(this.#markFile);
    for (const [k, v] of Object.entries(mark.routers)) {
      this.#counters.set(k, v);
      this.#acked.set(k, v);
    }
    for (const [k, v] of Object.entries(mark.sysNames)) this.#sysNames.set(Number(k), v);
    if (opts.parsed) this.#parsed = new ParsedEncoder(mark.offsets);
    this.#resumeAfter = this.#ackedSeq = this.#markedSeq = mark.seq;
    // msgIDs must not repeat: numbering goes on past what was published (a spool deleted).
    spool.advanceTo(mark.seq + 1);
    if (spool.firstSeq > mark.seq + 1 && mark.seq > 0) {
      this.#log("warn", "spool records were deleted before the bus had them", {
        from: mark.seq + 1,
        to: spool.firstSeq - 1,
      });
    }
    this.#nextRead = spool.firstSeq;
    this.#cursor = spool.cursor(spool.firstSeq);
    const timer = setInterval(() => this.#writeMark(), opts.markMs ?? 1000);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** Starts publishing, and following the connection's state. */
  start(): void {
    this.#loop ??= this.#run();
    void this.#link.watch();
  }

  /**
   * The lowest spool sequence number the publisher still needs, or `Infinity`: records
   * after the mark written, so a restart finds them.
   */
  lowestPending(): number {
    return this.#markedSeq + 1 >= this.#spool.nextSeq ? Infinity : this.#markedSeq + 1;
  }

  status(): BusStatus {
    return {
      connected: this.#link.connected,
      ...this.#stats,
      ...(this.#parsed?.counts() ?? { parsed: 0, parsedBytes: 0 }),
      inFlight: this.#inFlight,
      backlog: Math.max(0, this.#spool.nextSeq - this.#nextRead),
      ackedSeq: this.#ackedSeq,
      downSince: this.#link.downSince,
    };
  }

  /**
   * Waits until every record appended so far is acked, at most `ms`.
   *
   * @returns true when it is
   */
  async settle(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.#ackedSeq < this.#spool.nextSeq - 1 && Date.now() < deadline) {
      this.#wake?.();
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.#ackedSeq >= this.#spool.nextSeq - 1;
  }

  /**
   * Waits for the publishes in flight (at most `ms`; not at all while disconnected), writes
   * the mark, closes the connection.
   *
   * @returns true when every record was acked
   */
  async close(ms: number): Promise<boolean> {
    const done = await this.settle(this.#link.up() ? ms : 0);
    this.#closed = true;
    this.#wake?.();
    await this.#loop;
    clearInterval(this.#timer);
    this.#writeMark();
    this.#cursor.close();
    await this.#nc.close().catch(() => {});
    return done;
  }

  /** Waits until woken (an ack, a reconnect) or `ms` pass. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#wake = done;
    });
  }

  async #run(): Promise<void> {
    let backoff = 100;
    let reads = 0;
    while (!this.#closed) {
      if (this.#link.settleFirst) {
        // Those may have been lost with the old connection: they time out and go again
        // before anything newer, or the stream would hold them after newer ones.
        if (this.#inFlight > 0) {
          await this.#sleep(200);
          continue;
        }
        this.#link.settleFirst = false;
      }
      if (this.#failed > 0) {
        // Nothing new until every publish in flight has settled: then the failed ones go
        // again, in order, ahead of anything newer.
        if (this.#inFlight > 0 || !this.#link.up()) {
          await this.#sleep(200);
          continue;
        }
        await this.#sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
        this.#resend();
        continue;
      }
      backoff = 100;
      if (!this.#link.up() || this.#inFlight >= this.#window) {
        await this.#sleep(200);
        continue;
      }
      const r = this.#cursor.next();
      if (!r) {
        await this.#sleep(POLL_MS);
        continue;
      }
      this.#nextRead = r.seq + 1;
      this.#read(r);
      // Records read again after a restart take no window: let the rest of serve run.
      if (++reads % 1024 === 0) await new Promise((r) => setTimeout(r, 0));
    }
  }

  #read(r: SpoolRecord): void {
    const replay = r.seq <= this.#resumeAfter;
    const publish = !replay && r.type === RecordType.Message && this.#conns.has(r.conn);
    const parsed = this.#parsed?.read(r, publish);
    switch (r.type) {
      case RecordType.ConnUp: {
        const { address, port } = JSON.parse(decoder.decode(r.body));
        this.#conns.set(r.conn, { address, port, token: routerToken(address) });
        break;
      }
      case RecordType.ConnDown: {
        const c = this.#conns.get(r.conn);
        this.#conns.delete(r.conn);
        if (replay || !c) {
          if (!replay) this.#push({ seq: r.seq, state: "done", closes: r.conn });
          else this.#sysNames.delete(r.conn);
          return;
        }
        // The connection's end goes on its subject, after its messages: a consumer that
        // stores them (`bmpmon consume`) closes its peers as `serve` does.
        return this.#publish(r, c, new Uint8Array(0), { end: decoder.decode(r.body) || "closed" });
      }
      case RecordType.Message: {
        const sysName = r.body[5] === INITIATION ? initiationSysName(r.body) : undefined;
        if (sysName !== undefined) this.#sysNames.set(r.conn, sysName);
        if (replay) return;
        const c = this.#conns.get(r.conn);
        if (!c) {
          this.#log("error", "spooled message of an unknown connection not published", {
            seq: r.seq,
            conn: r.conn,
          });
          break;
        }
        return this.#publish(r, c, r.body, { parsed });
      }
    }
    if (!replay) this.#push({ seq: r.seq, state: "done" });
  }

  /** Publishes a message (or its connection's `end`), then its decoded records if any. */
  #publish(r: SpoolRecord, c: Conn, body: Uint8Array, o: { end?: string; parsed?: Parsed[] }) {
    const { end, parsed } = o;
    const routerSeq = (this.#counters.get(c.token) ?? 0) + 1;
    this.#counters.set(c.token, routerSeq);
    const headers = () =>
      messageHeaders(c, this.#sysNames.get(r.conn), r, this.#id, routerSeq, end);
    const [subject, msgID] = [rawSubject(c.address), `${this.#id}:${r.seq}`];
    const raw: Part = { subject, body, hdrs: headers(), msgID, state: "inflight" };
    const e: Entry = { seq: r.seq, state: "inflight", parts: [raw], token: c.token, routerSeq };
    if (end !== undefined) e.closes = r.conn;
    if (parsed?.length) this.#parsed!.attach(e, { records: parsed, ...c, conn: r.conn, headers });
    this.#push(e);
    this.#send(e);
  }

  #push(e: Entry): void {
    if (this.#queue.empty && e.state === "done") return this.#passed(e); // nothing ahead
    this.#queue.push(e);
  }

  /** Sends the parts of `e` not acked yet, in order. */
  #send(e: Entry): void {
    e.state = "inflight";
    for (const part of e.parts!) if (part.state !== "done") this.#sendPart(e, part);
  }

  #sendPart(e: Entry, part: Part): void {
    part.state = "inflight";
    this.#inFlight++;
    let p: Promise<PubAck>;
    try {
      p = this.#js.publish(part.subject, part.body, {
        msgID: part.msgID,
        headers: part.hdrs,
        timeout: this.#timeout,
      });
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then((ack) => {
      this.#inFlight--;
      part.state = "done";
      if (part.parsed) this.#parsed!.count(part.body.length);
      else {
        this.#stats.published++;
        this.#stats.bytes += part.body.length;
        if (ack.duplicate) this.#stats.duplicates++;
      }
      this.#partDone(e);
    }, (err) => {
      this.#inFlight--;
      this.#stats.errors++;
      if (/max.?payload/i.test(String(err?.message ?? err))) {
        // It can never be stored: said once, counted, and the rest goes on.
        this.#stats.dropped++;
        part.state = "done";
        this.#log("error", "message too large for the bus, not published: {error}", {
          seq: e.seq,
          subject: part.subject,
          bytes: part.body.length,
          error: oneLine(err),
        });
        this.#partDone(e);
        return;
      }
      if (this.#failed === 0) {
        this.#log("warn", "bus publish failed, will retry in order: {error}", {
          seq: e.seq,
          error: oneLine(err),
        });
      }
      part.state = "failed";
      e.state = "failed";
      this.#failed++;
      this.#wake?.();
    });
  }

  /** A part of `e` is acked (or dropped): `e` is done with its last one. */
  #partDone(e: Entry): void {
    if (e.state === "inflight" && e.parts!.every((p) => p.state === "done")) {
      e.state = "done";
      this.#advance();
    } else this.#wake?.();
  }

  /** Sends every failed part again, oldest first. */
  #resend(): void {
    for (const e of this.#queue.waiting()) {
      if (e.state !== "failed") continue;
      this.#failed -= e.parts!.filter((p) => p.state === "failed").length;
      this.#send(e);
    }
  }

  /** Moves the acked mark over the entries done at the head of the queue. */
  #advance(): void {
    for (const e of this.#queue.done()) this.#passed(e);
    this.#wake?.();
  }

  /** `e` and every record before it are done: the mark may pass it. */
  #passed(e: Entry): void {
    this.#ackedSeq = e.seq;
    if (e.token !== undefined) this.#acked.set(e.token, e.routerSeq!);
    if (e.closes !== undefined) this.#sysNames.delete(e.closes);
    this.#parsed?.passed(e);
  }

  #writeMark(): void {
    const seq = this.#ackedSeq;
    if (seq === this.#markedSeq) return;
    const mark = markOf(seq, this.#acked, this.#sysNames, this.#parsed?.ackedOffsets());
    try {
      writeMark(this.#markFile, mark);
      this.#markedSeq = seq;
    } catch (e) {
      this.#log("error", "bus mark not written: {error}", { error: oneLine(e) });
    }
  }
}
