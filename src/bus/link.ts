/**
 * Whether the bus publisher may send now: it follows the NATS connection's status events,
 * logs `bus down` and `bus back`, and checks the client's own flag as well (the events
 * come late). `consume` follows its connection with it too, with lines of its own.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";

/** The publisher's log function (`BusPublisherOptions.log`). */
export type LinkLog = (
  level: "info" | "warn" | "error",
  message: string,
  fields: Record<string, unknown>,
) => void;

/** The state of the publisher's connection to the bus. */
export class BusLink {
  readonly #nc: NatsConnection;
  readonly #log: LinkLog;
  readonly #lines: { down: string; back: string };
  readonly #fields: () => Record<string, unknown>;
  readonly #onBack: () => void;
  #connected = true;
  #downSince?: number;
  /** Set at a disconnect: nothing new is sent until the publishes then in flight settle. */
  settleFirst = false;

  /**
   * @param fields what the `bus down`/`bus back` lines add (the acked mark, the backlog)
   * @param onBack called when the connection is back
   * @param down, back the lines logged (default: the publisher's)
   */
  constructor(
    nc: NatsConnection,
    log: LinkLog,
    opts: {
      fields: () => Record<string, unknown>;
      onBack?: () => void;
      down?: string;
      back?: string;
    },
  ) {
    this.#nc = nc;
    this.#log = log;
    this.#fields = opts.fields;
    this.#onBack = opts.onBack ?? (() => {});
    this.#lines = {
      down: opts.down ?? "bus down: the spool keeps messages until it is back",
      back: opts.back ?? "bus back: publishing the backlog",
    };
  }

  /** Whether the status events say connected. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Since when the connection is down (ms since epoch), if it is. */
  get downSince(): number | undefined {
    return this.#downSince;
  }

  /**
   * Whether to send now. Besides the status events, the client's own flag: what is
   * published while it is disconnected waits in its buffer and goes out on reconnect,
   * ahead of the publishes lost with the old connection, which would then be stored after
   * newer ones.
   */
  up(): boolean {
    const protocol = (this.#nc as { protocol?: { connected?: unknown } }).protocol;
    return this.#connected && protocol?.connected !== false;
  }

  /** Follows the connection's status until it is closed. */
  async watch(): Promise<void> {
    for await (const s of this.#nc.status()) {
      if (s.type === "disconnect" && this.#connected) {
        this.#connected = false;
        this.settleFirst = true;
        this.#downSince = Date.now();
        this.#log("warn", this.#lines.down, {
          server: s.server,
          ...this.#fields(),
        });
      } else if (s.type === "reconnect") {
        const downMs = this.#downSince ? Date.now() - this.#downSince : 0;
        this.#connected = true;
        this.#downSince = undefined;
        this.#log("info", this.#lines.back, {
          server: s.server,
          down_s: Math.round(downMs / 100) / 10,
          ...this.#fields(),
        });
        this.#onBack();
      }
    }
  }
}
