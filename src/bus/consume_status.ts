/**
 * What a `bmpmon consume` run is doing, as `/metrics`, `/healthz` and `show summary` see
 * it: which member of which stream it is, whether it is connected to NATS, where it reads
 * (the last stream sequence number, the messages after it, the position saved) and what it
 * did with what it read (stored, skipped by reason, connections open).
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import type { ConsumerStats } from "./consumer.ts";
import { BusLink, type LinkLog } from "./link.ts";
import type { Member } from "./membership.ts";

/** A snapshot of a consume run (src/cli/consume.ts). */
export interface ConsumeStatus {
  /** BUS_STREAM. */
  stream: string;
  /** CONSUME_MEMBER. */
  member: Member;
  /** BUS_URL, as configured. */
  servers: string[];
  /** Whether the NATS connection is up (its status events). */
  connected: boolean;
  /** Since when it is down (ms since epoch), if it is. */
  downSince?: number;
  /** The stream sequence number this run started reading at. */
  startSeq: number;
  /** The last one read (0: none yet). */
  lastSeq: number;
  /** Messages in the stream after the last one read (JetStream's `pending`): the lag. */
  pending: number;
  /** Whether the last message read had none after it. */
  caughtUp: boolean;
  /** The position last saved (DATA_DIR/consume/…json): where a restart reads from. */
  resumeSeq: number;
  /** Times reading went on through a new consumer (a server gone, heartbeats missed). */
  restarts: number;
  /** What was done with what was read. */
  stats: Readonly<ConsumerStats>;
  /** Edge connections open now. */
  open: number;
}

/** The consumer as a run reads it (src/bus/consumer.ts `BusConsumer`). */
interface ConsumerView {
  readonly stats: Readonly<ConsumerStats>;
  readonly open: number;
  readonly last: number;
}

/**
 * The changing state of one consume run; the reading loop sets `pending`, `caughtUp`,
 * `resumeSeq` and `restarts`, {@linkcode ConsumeRun.watch} the connection.
 *
 * @example
 * ```ts
 * import { ConsumeRun } from "./consume_status.ts";
 * const consumer = {
 *   stats: { messages: 5, closed: 1, foreign: 0, orphanEnds: 0, decodeErrors: 0, others: 2, parsed: 0 },
 *   open: 0,
 *   last: 8,
 * };
 * const run = new ConsumeRun(
 *   { stream: "BMP", member: { index: 1, count: 1 }, servers: ["nats://127.0.0.1:4222"], startSeq: 1 },
 *   consumer,
 * );
 * run.pending = 3;
 * const s = run.status();
 * if (s.lastSeq !== 8 || s.pending !== 3 || s.stats.messages !== 5 || !s.connected) throw new Error();
 * ```
 */
export class ConsumeRun {
  readonly #consumer: ConsumerView;
  readonly stream: string;
  readonly member: Member;
  readonly servers: string[];
  readonly startSeq: number;
  #link?: BusLink;
  pending = 0;
  caughtUp = false;
  resumeSeq: number;
  restarts = 0;

  constructor(
    opts: { stream: string; member: Member; servers: string[]; startSeq: number },
    consumer: ConsumerView,
  ) {
    this.#consumer = consumer;
    this.stream = opts.stream;
    this.member = opts.member;
    this.servers = opts.servers;
    this.startSeq = opts.startSeq;
    this.resumeSeq = opts.startSeq;
  }

  /** Whether the NATS connection is up. */
  get connected(): boolean {
    return this.#link?.connected ?? true;
  }

  /** The run now. */
  status(): ConsumeStatus {
    const c = this.#consumer;
    return {
      stream: this.stream,
      member: this.member,
      servers: this.servers,
      connected: this.connected,
      downSince: this.#link?.downSince,
      startSeq: this.startSeq,
      lastSeq: c.last,
      pending: this.pending,
      caughtUp: this.caughtUp,
      resumeSeq: this.resumeSeq,
      restarts: this.restarts,
      stats: { ...c.stats },
      open: c.open,
    };
  }

  /**
   * Follows the connection's status events until it is closed, logging `bus down` and
   * `bus back`.
   */
  watch(nc: NatsConnection, log: LinkLog): Promise<void> {
    this.#link = new BusLink(nc, log, {
      fields: () => ({ seq: this.#consumer.last }),
      down: "bus down: reading waits until it is back",
      back: "bus back: reading on",
    });
    return this.#link.watch();
  }
}
