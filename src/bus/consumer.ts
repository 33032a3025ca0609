/**
 * The store side of the bus: what `bmpmon consume` does with each `bmp.raw.*` message.
 *
 * Every router connection an edge collector published (`Bmp-Collector` + `Bmp-Connection`)
 * gets a decoder of its own and a router row, as a router connecting to `serve` does; its
 * messages go to the same store target in stream order, each with its stream sequence
 * number in place of a spool number, so the writer's spool marks make a replay of the
 * stream write nothing twice. The message that ends a connection (`Bmp-Connection-End`)
 * closes it: its peers go down and its routes are withdrawn, as in `serve`.
 *
 * @module
 */

import { BmpSession } from "../bmp/session.ts";
import { RouterConnection } from "../collector/router_connection.ts";
import type { StoreTarget } from "../collector/store_sink.ts";
import type { SpoolMarks } from "../store/spool_marks.ts";
import { toDecodeError } from "../wire/errors.ts";
import { BusHeader } from "./subject.ts";

/** One stream message, as the consumer needs it. */
export interface BusMessage {
  /** Stream sequence number. */
  seq: number;
  /** Header value by name. */
  header(name: string): string | undefined;
  data: Uint8Array;
}

interface Conn {
  router: RouterConnection;
  session: BmpSession;
  /** Stream sequence number of its first message. */
  firstSeq: number;
}

/** Counters of a {@linkcode BusConsumer}. */
export interface ConsumerStats {
  /** BMP messages handed to the store. */
  messages: number;
  /** Connections closed by their end marker. */
  closed: number;
  /** Messages without the headers of `bmp.raw.*` (not from a bmpmon edge), skipped. */
  foreign: number;
  /** Ends of connections whose start was not read (older than the stream), skipped. */
  orphanEnds: number;
  /** Messages the decoder rejected (stored as decode errors). */
  decodeErrors: number;
  /** Messages of routers another member stores (CONSUME_MEMBER), skipped. */
  others: number;
  /** Decoded copies (`bmp.parsed.*`, BUS_PARSED) of messages read raw as well, skipped. */
  parsed: number;
}

/** Feeds a store target from the stream. */
export class BusConsumer {
  readonly #target: StoreTarget;
  readonly #marks: SpoolMarks;
  readonly #owns: (address: string) => boolean;
  readonly #conns = new Map<string, Conn>();
  #nextId = 1;
  #last = 0;
  readonly stats: ConsumerStats = {
    messages: 0,
    closed: 0,
    foreign: 0,
    orphanEnds: 0,
    decodeErrors: 0,
    others: 0,
    parsed: 0,
  };

  /** @param owns whether this consumer stores the router at an address (default: all) */
  constructor(
    target: StoreTarget,
    marks: SpoolMarks,
    owns: (address: string) => boolean = () => true,
  ) {
    this.#target = target;
    this.#marks = marks;
    this.#owns = owns;
  }

  /** Connections open now. */
  get open(): number {
    return this.#conns.size;
  }

  /** Stream sequence number of the last message handled. */
  get last(): number {
    return this.#last;
  }

  /**
   * The stream sequence number to read again from after a restart: the first message of
   * the oldest connection still open, or the lowest one not committed, whichever is first.
   */
  resumeSeq(): number {
    let low = Math.min(this.#marks.lowestPending(), this.#last + 1);
    for (const c of this.#conns.values()) low = Math.min(low, c.firstSeq);
    return low;
  }

  /** Handles one message; resolves when the store has taken it (backpressure). */
  async handle(m: BusMessage): Promise<void> {
    this.#last = m.seq;
    // A decoded copy (bmp.parsed.*, BUS_PARSED) of a message that is read raw as well.
    if (m.header(BusHeader.ParsedVersion) !== undefined) {
      this.stats.parsed++;
      return;
    }
    const address = m.header(BusHeader.RouterAddress);
    const connection = m.header(BusHeader.Connection);
    if (!address || !connection) {
      this.stats.foreign++;
      return;
    }
    if (!this.#owns(address)) {
      this.stats.others++;
      return;
    }
    const key = `${m.header(BusHeader.Collector) ?? ""}/${connection}`;
    const end = m.header(BusHeader.ConnectionEnd);
    let c = this.#conns.get(key);
    if (!c) {
      if (end !== undefined) {
        this.stats.orphanEnds++;
        return;
      }
      const port = Number(m.header(BusHeader.RouterPort) ?? 0);
      c = {
        router: new RouterConnection(this.#nextId++, address, port),
        session: new BmpSession(),
        firstSeq: m.seq,
      };
      this.#conns.set(key, c);
      await this.#target.routerUp(c.router);
    }
    if (end !== undefined) {
      this.#conns.delete(key);
      this.stats.closed++;
      await this.#target.routerDown(c.router, end, m.seq);
      return;
    }
    this.stats.messages++;
    let msg;
    try {
      msg = c.session.decode(m.data, 0);
    } catch (e) {
      this.stats.decodeErrors++;
      this.#target.decodeError(c.router, toDecodeError(e, 0), m.data, m.seq);
      return;
    }
    await this.#target.write(c.router, msg, m.data, m.seq);
  }
}
