/**
 * Router flap hold-down (`ROUTER_HOLDDOWN=FLAPS/PERIOD/HOLD`): a router address whose BMP
 * sessions end `flaps` times within `period` has its new connections refused for `hold`,
 * as Junos holds down a flapping BMP station (`routing-options bmp hold-down`: 3 flaps in
 * 300 s, 600 s). Each new session makes a router re-dump its tables; a router that flaps
 * all day would otherwise keep the store busy re-writing the same routes.
 *
 * Flaps are counted per router address, not per connection (a router reconnects from a
 * new port each time). Pure bookkeeping like limits.ts: no sockets, no timers, the caller
 * passes the time.
 *
 * @module
 */

/** A parsed `ROUTER_HOLDDOWN`. */
export interface HolddownPolicy {
  /** Session ends within `periodMs` that start a hold-down (>= 1). */
  flaps: number;
  periodMs: number;
  holdMs: number;
}

/** One router address held down now. */
export interface HeldRouter {
  address: string;
  /** Start and end of the hold, ms since the epoch. */
  since: number;
  until: number;
  /** Session ends counted within the period when the hold began. */
  flaps: number;
  /** Connections refused during this hold. */
  refused: number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function durationMs(text: string, what: string): number {
  const m = /^(\d{1,9})(ms|s|m|h)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] ?? "s"] : NaN;
  if (!(ms > 0)) {
    throw new Error(`Cannot parse ${what} ${JSON.stringify(text)}: not a duration like 300s`);
  }
  return ms;
}

/**
 * Parses `FLAPS/PERIOD/HOLD` (`3/300s/600s`; durations in ms, s, m or h, bare numbers
 * are seconds) or `off`.
 *
 * @returns the policy, or undefined for `off`
 * @throws {Error} one line naming what is wrong
 *
 * @example
 * ```ts
 * import { parseHolddown } from "./holddown.ts";
 * const p = parseHolddown("3/5m/600");
 * if (p?.flaps !== 3 || p.periodMs !== 300_000 || p.holdMs !== 600_000) throw new Error("unexpected");
 * if (parseHolddown("off") !== undefined) throw new Error("off is no policy");
 * ```
 */
export function parseHolddown(text: string): HolddownPolicy | undefined {
  const t = text.trim();
  if (t.toLowerCase() === "off") return undefined;
  const parts = t.split("/");
  if (parts.length !== 3) {
    throw new Error(
      `Cannot parse ${JSON.stringify(text)}: FLAPS/PERIOD/HOLD like 3/300s/600s, or off`,
    );
  }
  const flaps = /^\d{1,4}$/.test(parts[0].trim()) ? Number(parts[0]) : NaN;
  if (!(flaps >= 1)) {
    throw new Error(`Cannot parse flaps ${JSON.stringify(parts[0])}: not a whole number >= 1`);
  }
  return {
    flaps,
    periodMs: durationMs(parts[1], "period"),
    holdMs: durationMs(parts[2], "hold"),
  };
}

/**
 * A policy as `ROUTER_HOLDDOWN` text, in seconds: `3/300s/600s`.
 *
 * @example
 * ```ts
 * import { holddownText } from "./holddown.ts";
 * const t = holddownText({ flaps: 3, periodMs: 300_000, holdMs: 600_000 });
 * if (t !== "3/300s/600s") throw new Error(t);
 * ```
 */
export function holddownText(p: HolddownPolicy): string {
  const s = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
  return `${p.flaps}/${s(p.periodMs)}/${s(p.holdMs)}`;
}

/** The fields of the `router held down` log line. */
export function holdFields(h: HeldRouter, p: HolddownPolicy): Record<string, unknown> {
  return {
    address: h.address,
    flaps: h.flaps,
    holddown: holddownText(p),
    until: new Date(h.until).toISOString(),
  };
}

/**
 * Counts session ends per router address and holds down the addresses over the policy.
 *
 * Memory: one small array of times per address that flapped within the last period
 * (swept once per period), one entry per address held now, and one hold-down count per
 * address ever held (the metric's label set).
 *
 * @example
 * ```ts
 * import { FlapHolddown } from "./holddown.ts";
 * const h = new FlapHolddown({ flaps: 2, periodMs: 10_000, holdMs: 60_000 });
 * h.flap("192.0.2.1", 0);
 * if (h.refuse("192.0.2.1", 1) !== undefined) throw new Error("one flap is allowed");
 * if (!h.flap("192.0.2.1", 2)) throw new Error("the second flap starts the hold");
 * if (h.refuse("192.0.2.1", 3)?.refused !== 1) throw new Error("refused while held");
 * if (h.refuse("192.0.2.9", 3) !== undefined) throw new Error("other routers are untouched");
 * if (h.refuse("192.0.2.1", 60_002) !== undefined) throw new Error("accepted after the hold");
 * ```
 */
export class FlapHolddown {
  readonly policy: HolddownPolicy;
  readonly #flaps = new Map<string, number[]>();
  readonly #held = new Map<string, HeldRouter>();
  readonly #holddowns = new Map<string, number>();
  #sweptAt = 0;

  constructor(policy: HolddownPolicy) {
    this.policy = policy;
  }

  /**
   * A session from `address` ended at `nowMs` (by the router, or on its broken stream).
   *
   * @returns the hold-down this flap started, else undefined
   */
  flap(address: string, nowMs: number): HeldRouter | undefined {
    const { flaps, periodMs, holdMs } = this.policy;
    this.#sweep(nowMs);
    if (this.#holding(address, nowMs)) return undefined;
    const from = nowMs - periodMs;
    const times = (this.#flaps.get(address) ?? []).filter((t) => t > from);
    times.push(nowMs);
    if (times.length < flaps) {
      this.#flaps.set(address, times);
      return undefined;
    }
    // The count starts over: after the hold, the router gets its full allowance again.
    this.#flaps.delete(address);
    const h: HeldRouter = {
      address,
      since: nowMs,
      until: nowMs + holdMs,
      flaps: times.length,
      refused: 0,
    };
    this.#held.set(address, h);
    this.#holddowns.set(address, (this.#holddowns.get(address) ?? 0) + 1);
    return h;
  }

  /**
   * A connection from `address` arrived at `nowMs`.
   *
   * @returns the hold in force (its `refused` counts this connection), else undefined
   */
  refuse(address: string, nowMs: number): HeldRouter | undefined {
    const h = this.#holding(address, nowMs);
    if (h) h.refused++;
    return h;
  }

  /** The addresses held down at `nowMs`, longest held first. */
  held(nowMs: number): HeldRouter[] {
    for (const a of [...this.#held.keys()]) this.#holding(a, nowMs);
    return [...this.#held.values()].sort((a, b) => a.since - b.since);
  }

  /** Hold-downs started since start, per address. */
  get holddowns(): ReadonlyMap<string, number> {
    return this.#holddowns;
  }

  #holding(address: string, nowMs: number): HeldRouter | undefined {
    const h = this.#held.get(address);
    if (h && h.until <= nowMs) {
      this.#held.delete(address);
      return undefined;
    }
    return h;
  }

  /** Forgets addresses whose last flap is older than the period. */
  #sweep(nowMs: number): void {
    if (nowMs - this.#sweptAt < this.policy.periodMs) return;
    this.#sweptAt = nowMs;
    const from = nowMs - this.policy.periodMs;
    for (const [a, times] of this.#flaps) {
      if (times[times.length - 1] <= from) this.#flaps.delete(a);
    }
  }
}
