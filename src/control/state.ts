/**
 * Everything of a running collector that the control endpoint and `/metrics` read, and
 * the health checks built on it.
 *
 * @module
 */

import type { PeerStatsSink } from "../collector/peer_stats.ts";
import type { Collector } from "../collector/server.ts";
import type { CollectorMetrics, StoreTotals } from "../metrics/collector_metrics.ts";
import type { StoreState } from "./api.ts";
import type { ReadQuery } from "./query.ts";
import type { RouterTap } from "./tap.ts";

/** The store as the control endpoint uses it. */
export interface StoreAccess {
  /** `postgresql`, `embedded` or `none` (an edge collector). */
  kind: string;
  /** Read-only queries (`bmpmon sql`, `show routes`, the health probe). */
  query: ReadQuery;
  /** The writer's totals. */
  writer: { readonly stats: StoreTotals };
  /** Commits everything received so far (spool included); throws when it cannot. */
  flush(): Promise<void>;
  /** The `routers.id` of a live connection. */
  routerId?(connectionId: number): number | undefined;
}

/** A running collector, as seen by the control endpoint and the metrics listener. */
export interface CollectorState {
  startedAt: Date;
  collector: Collector;
  peers: PeerStatsSink;
  tap: RouterTap;
  metrics: CollectorMetrics;
  store: StoreAccess;
  /** Messages waiting in the spool (absent while there is no spool). */
  spoolDepth?(): number;
  /** The spool's size and mode, and how long the database has been gone. */
  spoolStatus?(): { bytes: number; mode: string; outageSince?: number };
  /** The bus publisher's state (absent without BUS_URL). */
  busStatus?(): {
    connected: boolean;
    published: number;
    bytes: number;
    errors: number;
    inFlight: number;
    backlog: number;
    downSince?: number;
  };
  /** Set when the collector begins to stop: health turns bad at once. */
  stopping?: boolean;
}

/** How long the health probe may take before the store counts as down, ms. */
export const PROBE_TIMEOUT_MS = 2000;

/** Peers up over every router. */
export function peersUp(peers: PeerStatsSink): number {
  let n = 0;
  for (const rc of peers.routers.values()) {
    for (const p of rc.peers.values()) if (p.state === "up") n++;
  }
  return n;
}

/** The store and its metrics, as {@linkcode storeState} reads them (`serve` and `consume`). */
export interface StoreProbe {
  store: Pick<StoreAccess, "kind" | "query" | "writer">;
  /** Samples the writer's totals; whether its latest write failed. */
  metrics: { sampleStore(): void; readonly storeWritable: boolean };
}

/**
 * Probes the store with `SELECT 1` (within {@linkcode PROBE_TIMEOUT_MS}) and combines it
 * with the writer's last result.
 */
export async function storeState(s: StoreProbe): Promise<StoreState> {
  s.metrics.sampleStore();
  const w = s.store.writer.stats;
  const out: StoreState = {
    kind: s.store.kind,
    state: "ok",
    batches: w.batches,
    routes: w.routes,
    errors: w.errors,
    commit_ms: Math.round(w.commitMs),
  };
  // An edge collector (STORE=none) has no store to probe: its bus line tells how it is.
  if (s.store.kind === "none") return out;
  const t0 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)),
        PROBE_TIMEOUT_MS,
      );
    });
    await Promise.race([s.store.query("SELECT 1"), timeout]);
    out.probe_ms = Math.round((performance.now() - t0) * 10) / 10;
  } catch (e) {
    out.state = "error";
    out.error = `probe failed: ${(e as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
  if (out.state === "ok" && !s.metrics.storeWritable) {
    out.state = "error";
    out.error = "the last write to the store failed";
  }
  return out;
}

/** `/healthz`: the router listener runs and the store answers and takes writes. */
export async function health(
  s: CollectorState,
): Promise<{ ok: boolean; listener: boolean; store: StoreState }> {
  let listener = !s.stopping;
  try {
    s.collector.addr;
  } catch {
    listener = false;
  }
  const store = await storeState(s);
  return { ok: listener && store.state === "ok", listener, store };
}
