/**
 * The store writer's metrics, shared by `serve` (inside {@linkcode CollectorMetrics}) and
 * `consume`: batches, routes and errors of the writer, its write time by step, and two
 * per-batch histograms; and whether its latest write failed (`/healthz`).
 *
 * ```text
 * bmpmon_store_batches_total           route batches committed
 * bmpmon_store_routes_total            routes handed to the writer
 * bmpmon_store_errors_total            failed batches and statements
 * bmpmon_store_write_seconds_total     database write time, by step
 * bmpmon_store_batch_routes            histogram: routes per batch (sampled)
 * bmpmon_store_batch_commit_seconds    histogram: batch transaction time (sampled)
 * ```
 *
 * The writer reports totals only (batches, routes queued, commit time), so the per-batch
 * histograms are built by sampling those totals every 100 ms: the batches committed within
 * one sample share its routes and commit time evenly. Their `_count` and `_sum` are exact
 * once the writer is idle; the bucket spread is an estimate.
 *
 * @module
 */

import { type Counter, type Histogram, type Registry, SECONDS_BUCKETS } from "./registry.ts";

/** Totals of a store writer (the fields of `StoreWriter.stats` used here). */
export interface StoreTotals {
  batches: number;
  routes: number;
  errors: number;
  commitMs: number;
  steps: Record<string, number>;
}

/** Routes per batch, up to well past the default BATCH_MAX_ROUTES (20,000). */
const BATCH_ROUTE_BUCKETS = [1, 10, 100, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

/** Milliseconds between two samples of the store's totals. */
const STORE_SAMPLE_MS = 100;

/**
 * The store metrics on a registry, fed by the writer's totals once
 * {@linkcode StoreMetrics.attach}ed.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * import { StoreMetrics } from "./store_metrics.ts";
 * const r = new Registry();
 * const m = new StoreMetrics(r);
 * m.attach(() => ({ batches: 2, routes: 10, errors: 0, commitMs: 30, steps: {} }));
 * const text = await r.expose();
 * m.close();
 * if (!text.includes("bmpmon_store_routes_total 10\n")) throw new Error(text);
 * if (!m.storeWritable) throw new Error("writable");
 * ```
 */
export class StoreMetrics {
  #source?: () => StoreTotals;
  #timer?: ReturnType<typeof setInterval>;
  #prev?: StoreTotals;
  #pendingRoutes = 0;
  /** `performance.now()` of the last sample with a committed batch / a new store error. */
  lastBatchAt = -Infinity;
  lastErrorAt = -Infinity;

  readonly batches: Counter;
  readonly storedRoutes: Counter;
  readonly storeErrors: Counter;
  readonly writeSeconds: Counter;
  readonly batchRoutes: Histogram;
  readonly batchSeconds: Histogram;

  /** Registers the store metrics on `registry` (in the order of the module doc). */
  constructor(registry: Registry) {
    this.batches = registry.counter("bmpmon_store_batches_total", "Route batches committed.");
    this.storedRoutes = registry.counter(
      "bmpmon_store_routes_total",
      "Routes handed to the store writer.",
    );
    this.storeErrors = registry.counter(
      "bmpmon_store_errors_total",
      "Store batches or statements that failed.",
    );
    this.writeSeconds = registry.counter(
      "bmpmon_store_write_seconds_total",
      "Time spent writing route batches to the database, by step.",
      ["step"],
    );
    this.batchRoutes = registry.histogram(
      "bmpmon_store_batch_routes",
      "Routes per committed batch (sampled every 100 ms; see the module doc).",
      BATCH_ROUTE_BUCKETS,
    );
    this.batchSeconds = registry.histogram(
      "bmpmon_store_batch_commit_seconds",
      "Duration of one batch transaction (COPY, upsert, COMMIT), sampled every 100 ms.",
      SECONDS_BUCKETS,
    );
    for (const m of [this.batches, this.storedRoutes, this.storeErrors]) m.labels();
    this.batchRoutes.labels();
    this.batchSeconds.labels();
    registry.onCollect(() => this.#collect());
  }

  /** Reads the writer's totals from `source` from now on, sampling them every 100 ms. */
  attach(source: () => StoreTotals): void {
    this.#source = source;
    if (this.#timer === undefined) {
      const timer = setInterval(() => this.sampleStore(), STORE_SAMPLE_MS);
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
  }

  /** Stops sampling. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reads the store's totals and records the batches committed since the last sample. */
  sampleStore(): void {
    const s = this.#source?.();
    if (!s) return;
    const prev = this.#prev ?? { batches: 0, routes: 0, errors: 0, commitMs: 0, steps: {} };
    this.#prev = { ...s, steps: { ...s.steps } };
    const now = performance.now();
    this.#pendingRoutes += s.routes - prev.routes;
    const n = s.batches - prev.batches;
    if (n > 0) {
      const routes = this.#pendingRoutes / n;
      const seconds = (s.commitMs - prev.commitMs) / n / 1000;
      const h = this.batchRoutes.labels(), t = this.batchSeconds.labels();
      for (let i = 0; i < n; i++) {
        h.observe(routes);
        t.observe(seconds);
      }
      this.#pendingRoutes = 0;
      this.lastBatchAt = now;
    }
    if (s.errors > prev.errors) this.lastErrorAt = now;
  }

  /** True unless the store's latest write (batch or statement) failed. */
  get storeWritable(): boolean {
    return this.lastErrorAt <= this.lastBatchAt;
  }

  #collect(): void {
    this.sampleStore();
    const s = this.#source?.();
    if (!s) return;
    this.batches.labels().set(s.batches);
    this.storedRoutes.labels().set(s.routes);
    this.storeErrors.labels().set(s.errors);
    for (const [step, ms] of Object.entries(s.steps)) {
      this.writeSeconds.labels(step).set(ms / 1000);
    }
  }
}
