/**
 * Route Origin Validation counts for alerting, computed off the write path: every
 * `intervalMs` (default 5 minutes: one run over the M320 table costs 17–18 s of database time
 * on the bench server, docs/schema.md) one job runs `SELECT rpki_record_changes()` (migration
 * 0011: the whole RIB's states against the last run's, differences to `rpki_changes`) and
 * then counts the recorded states per RIB view, into
 *
 * ```text
 * # TYPE bmpmon_rpki_routes gauge
 * bmpmon_rpki_routes{router="m320",peer="192.0.2.1",rib="post-policy",state="invalid"} 12
 * ```
 *
 * A scrape reads the last counts and never waits for the database. While no RPKI source
 * is usable every route counts as `unknown`. `rib` tells a peer's pre-policy, post-policy,
 * Adj-RIB-Out and Loc-RIB views apart, which would otherwise add up.
 *
 * @module
 */

import type { Gauge, Registry } from "../metrics/registry.ts";

/** A read of the store: postgres.js `sql.unsafe` fits. */
export type RovQuery = (q: string) => PromiseLike<readonly Record<string, unknown>[]>;

/** Options of {@linkcode RovMetrics}. */
export interface RovMetricsOptions {
  /** Milliseconds between two runs; default 300,000. */
  intervalMs?: number;
  /** Called when a run fails (the counts of the run before stay). */
  onError?: (error: unknown) => void;
}

/** The states `bmpmon_rpki_routes` reports, each present for every view. */
export const ROV_STATES = ["valid", "invalid", "not-found", "unknown"] as const;

const RECORD = "SELECT rpki_record_changes() AS changes";

const COUNTS = `
SELECT coalesce(ro.name, ro.key) AS router, host(p.address) AS peer,
  CASE WHEN p.loc_rib THEN 'loc-rib' WHEN p.adj_rib_out THEN 'adj-rib-out'
    WHEN p.post_policy THEN 'post-policy' ELSE 'pre-policy' END AS rib,
  CASE WHEN rpki_usable() THEN s.state ELSE 'unknown' END AS state, count(*)::int AS routes
FROM rpki_route_states s
JOIN peers p ON p.id = s.peer_id
JOIN routers ro ON ro.id = p.router_id
GROUP BY 1, 2, 3, 4`;

/**
 * The `bmpmon_rpki_routes{router,peer,rib,state}` gauge and the job that fills it.
 *
 * @example
 * ```ts
 * import { Registry } from "../metrics/registry.ts";
 * import { RovMetrics } from "./rov_metrics.ts";
 * const rows = [{ router: "r1", peer: "192.0.2.1", rib: "pre-policy", state: "invalid", routes: 3 }];
 * const m = new RovMetrics(new Registry(), (q) => Promise.resolve(q.includes("count(*)") ? rows : []));
 * await m.run();
 * const text = await m.registry.expose();
 * if (!text.includes('state="invalid"} 3')) throw new Error(text);
 * ```
 */
export class RovMetrics {
  /** The registry the gauge is in. */
  readonly registry: Registry;
  /** Changes recorded by the last run. */
  lastChanges = 0;
  /** `performance.now()` of the last successful run, or undefined. */
  lastRunAt?: number;
  readonly #gauge: Gauge;
  readonly #query: RovQuery;
  readonly #opts: RovMetricsOptions;
  readonly #seen = new Map<string, string[]>();
  #timer?: ReturnType<typeof setInterval>;
  #soon?: ReturnType<typeof setTimeout>;
  #again = false;
  #running?: Promise<void>;

  /**
   * @param registry where `bmpmon_rpki_routes` is registered
   * @param query runs one statement against the store
   * @param opts interval and error hook
   */
  constructor(registry: Registry, query: RovQuery, opts: RovMetricsOptions = {}) {
    this.registry = registry;
    this.#query = query;
    this.#opts = opts;
    this.#gauge = registry.gauge(
      "bmpmon_rpki_routes",
      "Current routes by RPKI origin validation state (RFC 6811), per RIB view.",
      ["router", "peer", "rib", "state"],
    );
  }

  /** Starts the periodic job (a first run now). */
  start(): void {
    if (this.#timer !== undefined) return;
    void this.run();
    this.#timer = setInterval(() => void this.run(), this.#opts.intervalMs ?? 300_000);
  }

  /** Stops the job and waits for a run under way. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#soon !== undefined) clearTimeout(this.#soon);
    this.#timer = this.#soon = undefined;
    this.#again = false;
    await this.#running;
  }

  /**
   * Asks for a run within `delayMs` (a VRP set changed). Requests coalesce: an RTR cache
   * that sends serials every few seconds costs one whole-RIB run per delay, not one per
   * serial. A request during a run gets a run after it, which sees the new set.
   */
  soon(delayMs = 10_000): void {
    if (this.#timer === undefined || this.#soon !== undefined) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      if (this.#running) this.#again = true;
      else void this.run();
    }, delayMs);
  }

  /** One run: record the changes, then count; a run under way is joined, not doubled. */
  run(): Promise<void> {
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
      if (this.#again && this.#timer !== undefined) {
        this.#again = false;
        void this.run();
      }
    });
    return this.#running;
  }

  async #run(): Promise<void> {
    try {
      const [r] = await this.#query(RECORD);
      this.lastChanges = Number(r?.changes ?? 0);
      const rows = await this.#query(COUNTS);
      const now = new Map<string, number>();
      const views = new Map<string, string[]>();
      for (const row of rows) {
        const view = [String(row.router), String(row.peer), String(row.rib)];
        const key = view.join("\0");
        views.set(key, view);
        now.set(`${key}\0${row.state}`, Number(row.routes));
      }
      // Views that went away keep their series at 0 rather than their last count.
      for (const [key, view] of this.#seen) if (!views.has(key)) views.set(key, view);
      for (const [key, view] of views) {
        this.#seen.set(key, view);
        for (const s of ROV_STATES) {
          this.#gauge.labels(...view, s).set(now.get(`${key}\0${s}`) ?? 0);
        }
      }
      this.lastRunAt = performance.now();
    } catch (e) {
      this.#opts.onError?.(e);
    }
  }
}
