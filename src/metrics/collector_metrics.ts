/**
 * The collector's metrics: what passes through the listener (messages, routes, bytes,
 * decode errors, sessions), the peers' state, and the store's batches.
 *
 * Message and route counts are taken inline by {@linkcode CollectorMetrics.sink}, a
 * {@linkcode MessageSink} in the chain; the rest is read at scrape time from the objects
 * that keep it (the per-peer counters, the writer's `stats`). The store's metrics are
 * {@linkcode StoreMetrics} (store_metrics.ts), which `consume` uses as well.
 *
 * @module
 */

import { familyKey, familyName } from "../bgp/constants.ts";
import { forEachRoute } from "../bgp/routes.ts";
import type { BmpMessage } from "../bmp/message.ts";
import { BMP_MESSAGE_NAMES, PEER_TYPE_NAMES } from "../bmp/constants.ts";
import { REFUSAL_REASONS } from "../collector/limits.ts";
import type { MessageSink, RouterConnection } from "../collector/server.ts";
import type { DecodeError } from "../wire/errors.ts";
import { type CounterChild, Registry } from "./registry.ts";
import { StoreMetrics, type StoreTotals } from "./store_metrics.ts";

export type { StoreTotals } from "./store_metrics.ts";

/** Where metrics read values they do not count themselves. */
export interface MetricSources {
  /** Peers currently up (Peer Up seen, no Peer Down since), over all routers. */
  peersUp(): number;
  /** The store writer's totals. */
  store?(): StoreTotals;
  /** Messages waiting in the spool (0 while there is no spool). */
  spoolDepth?(): number;
  /** Spool bytes on disk and the start of a database outage (ms since epoch), if any. */
  spoolStatus?(): { bytes: number; outageSince?: number };
  /** The collector's limit counters (`Collector.limits`). */
  limits?(): Readonly<Record<string, number>>;
  /** Routers held down now, and hold-downs since start per router address. */
  holddown?(): { held: number; holddowns: ReadonlyMap<string, number> } | undefined;
}

/** The collector's metrics registry and the sink that feeds it. */
export class CollectorMetrics {
  readonly registry: Registry = new Registry();
  readonly #messages = new Map<string, CounterChild>();
  readonly #routes = new Map<number, [CounterChild, CounterChild]>();
  readonly #live = new Map<number, RouterConnection>();
  #closedBytes = 0;
  #sources: MetricSources = { peersUp: () => 0 };

  readonly #r = this.registry;
  readonly messages = this.#r.counter(
    "bmpmon_messages_total",
    "BMP messages decoded, by message type.",
    ["type"],
  );
  readonly routes = this.#r.counter(
    "bmpmon_routes_total",
    "NLRI in Route Monitoring messages as sent, by address family and action.",
    ["family", "action"],
  );
  readonly bytes = this.#r.counter(
    "bmpmon_received_bytes_total",
    "Bytes received from routers.",
  );
  readonly decodeErrors = this.#r.counter(
    "bmpmon_decode_errors_total",
    "BMP messages that could not be decoded, by DecodeError code.",
    ["code"],
  );
  readonly recoveries = this.#r.counter(
    "bmpmon_decode_recoveries_total",
    "UPDATEs decoded through a sender-quirk recovery (path IDs against the negotiated " +
      "Add-Path, AS_PATH or AGGREGATOR ASN size), by router address, peer and cause.",
    ["router", "peer_type", "peer", "rd", "cause"],
  );
  readonly sessions = this.#r.gauge("bmpmon_router_sessions", "Router connections open now.");
  readonly sessionsTotal = this.#r.counter(
    "bmpmon_router_sessions_total",
    "Router connections accepted since start.",
  );
  readonly peersUp = this.#r.gauge(
    "bmpmon_peers_up",
    "Monitored BGP peers up (Peer Up seen and no Peer Down since).",
  );
  /** The store writer's metrics (`bmpmon_store_*`). */
  readonly store: StoreMetrics = new StoreMetrics(this.#r);
  readonly spoolDepth = this.#r.gauge(
    "bmpmon_spool_depth",
    "Messages waiting in the spool for the store.",
  );
  readonly spoolBytes = this.#r.gauge(
    "bmpmon_spool_bytes",
    "Bytes of spool segments on disk (DATA_DIR/spool).",
  );
  readonly outageSeconds = this.#r.gauge(
    "bmpmon_store_outage_seconds",
    "How long the database has been unavailable (0 when it answers).",
  );
  readonly connectionsRefused = this.#r.counter(
    "bmpmon_router_connections_refused_total",
    "Router connections closed at once, before anything was read, by limit.",
    ["limit"],
  );
  readonly holddowns = this.#r.counter(
    "bmpmon_router_holddowns_total",
    "Hold-downs of a flapping router (ROUTER_HOLDDOWN), by router address.",
    ["router"],
  );
  readonly heldDown = this.#r.gauge(
    "bmpmon_routers_held_down",
    "Router addresses held down now: their new connections are refused.",
  );
  readonly startTime = this.#r.gauge(
    "bmpmon_start_time_seconds",
    "Start time of the collector, seconds since the Unix epoch.",
  );

  constructor() {
    for (const name of BMP_MESSAGE_NAMES) this.#messages.set(name, this.messages.labels(name));
    for (const m of [this.bytes, this.sessionsTotal]) m.labels();
    for (
      const m of [
        this.sessions,
        this.peersUp,
        this.spoolDepth,
        this.spoolBytes,
        this.outageSeconds,
        this.heldDown,
      ]
    ) m.labels();
    for (const r of REFUSAL_REASONS) this.connectionsRefused.labels(r);
    this.startTime.labels().set(Math.floor(Date.now() / 1000));
    this.registry.onCollect(() => this.#collect());
  }

  /** Connects the values read at scrape time and starts sampling the store. */
  attach(sources: MetricSources): void {
    this.#sources = sources;
    const store = sources.store;
    if (store) this.store.attach(store);
  }

  /** Stops sampling. */
  close(): void {
    this.store.close();
  }

  /** Bytes received from every router since start. */
  get receivedBytes(): number {
    let n = this.#closedBytes;
    for (const r of this.#live.values()) n += r.bytes;
    return n;
  }

  /** Reads the store's totals and records the batches committed since the last sample. */
  sampleStore(): void {
    this.store.sampleStore();
  }

  /** True unless the store's latest write (batch or statement) failed. */
  get storeWritable(): boolean {
    return this.store.storeWritable;
  }

  #collect(): void {
    this.bytes.labels().set(this.receivedBytes);
    this.sessions.labels().set(this.#live.size);
    this.peersUp.labels().set(this.#sources.peersUp());
    this.spoolDepth.labels().set(this.#sources.spoolDepth?.() ?? 0);
    const spool = this.#sources.spoolStatus?.();
    this.spoolBytes.labels().set(spool?.bytes ?? 0);
    this.outageSeconds.labels().set(
      spool?.outageSince ? (Date.now() - spool.outageSince) / 1000 : 0,
    );
    const limits = this.#sources.limits?.();
    if (limits) {
      for (const r of REFUSAL_REASONS) {
        this.connectionsRefused.labels(r).set(limits[r]);
      }
    }
    const hd = this.#sources.holddown?.();
    this.heldDown.labels().set(hd?.held ?? 0);
    for (const [router, n] of hd?.holddowns ?? []) this.holddowns.labels(router).set(n);
  }

  /** Counts one message (for sinks that do not go through {@linkcode CollectorMetrics.sink}). */
  count(m: BmpMessage): void {
    this.#messages.get(m.kind)?.inc();
    if (m.kind === "route_monitoring") forEachRoute(m.update, this.#countRoute);
  }

  readonly #countRoute = (afi: number, safi: number, withdrawn: boolean): void => {
    const k = familyKey(afi, safi);
    let c = this.#routes.get(k);
    if (!c) {
      const family = familyName(afi, safi);
      c = [this.routes.labels(family, "announce"), this.routes.labels(family, "withdraw")];
      this.#routes.set(k, c);
    }
    c[withdrawn ? 1 : 0].value++;
  };

  /**
   * Counts the recoveries of one Route Monitoring message: once per cause. Series exist
   * only for peers that needed one, so the label set stays as small as the quirky peers.
   */
  countRecoveries(router: RouterConnection, m: BmpMessage & { kind: "route_monitoring" }): void {
    let seen = "";
    for (const p of m.update.problems) {
      if (p.action !== "recovered" || !p.cause || seen.includes(p.cause)) continue;
      seen += p.cause + " ";
      const h = m.peer;
      this.recoveries.labels(
        router.remoteAddress,
        PEER_TYPE_NAMES[h.peerType] ?? String(h.peerType),
        h.address,
        h.rd ?? "",
        p.cause,
      ).inc();
    }
  }

  /** A sink that counts each call, then passes it on to `inner`. */
  sink(inner: MessageSink): MessageSink {
    return new MetricsSink(this, inner, this.#live, (n) => this.#closedBytes += n);
  }

  /** Counts a decode error. */
  countError(e: DecodeError): void {
    this.decodeErrors.labels(e.code).inc();
  }
}

class MetricsSink implements MessageSink {
  constructor(
    readonly metrics: CollectorMetrics,
    readonly inner: MessageSink,
    readonly live: Map<number, RouterConnection>,
    readonly closed: (bytes: number) => void,
  ) {}

  write(router: RouterConnection, m: BmpMessage, raw: Uint8Array): void | Promise<void> {
    this.metrics.count(m);
    if (m.kind === "route_monitoring" && m.update.problems.length) {
      this.metrics.countRecoveries(router, m);
    }
    return this.inner.write(router, m, raw);
  }

  decodeError(router: RouterConnection, error: DecodeError, raw: Uint8Array): void {
    this.metrics.countError(error);
    this.inner.decodeError?.(router, error, raw);
  }

  routerUp(router: RouterConnection): void | Promise<void> {
    this.live.set(router.id, router);
    this.metrics.sessionsTotal.labels().inc();
    return this.inner.routerUp?.(router);
  }

  routerDown(router: RouterConnection, reason: string): void | Promise<void> {
    if (this.live.delete(router.id)) this.closed(router.bytes);
    return this.inner.routerDown?.(router, reason);
  }
}
