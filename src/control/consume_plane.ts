/**
 * What `bmpmon consume` offers besides reading the stream: its control socket, where
 * `bmpmon show summary`, `show routes` and `sql` ask it (`DATA_DIR/consume/<stream>.sock`,
 * api.ts `consumeSocketPath`), and with METRICS_LISTEN `/metrics` (the consume metrics,
 * src/bus/consume_metrics.ts, and the store writer's) and `/healthz`: 200 while it reads,
 * is connected to NATS and its store answers and takes writes, else 503.
 *
 * @module
 */

import { registerConsumeMetrics, SKIP_REASONS, skipped } from "../bus/consume_metrics.ts";
import type { ConsumeStatus } from "../bus/consume_status.ts";
import { type Config, loopbackAddress } from "../config.ts";
import { logger } from "../log.ts";
import { Registry } from "../metrics/registry.ts";
import { startMetricsServer } from "../metrics/server.ts";
import { StoreMetrics } from "../metrics/store_metrics.ts";
import { consumeSocketPath, type ConsumeSummary, type StoreState } from "./api.ts";
import { sql } from "./handlers.ts";
import { body, listenControl, respond, routesRequest } from "./server.ts";
import { type StoreAccess, storeState } from "./state.ts";

/** A running consume, as its control socket and metrics listener see it. */
export interface ConsumeState {
  startedAt: Date;
  /** The run now (src/bus/consume_status.ts). */
  status(): ConsumeStatus;
  store: Pick<StoreAccess, "kind" | "query" | "writer">;
  /** The `/metrics` registry: consume's metrics and the store writer's. */
  registry: Registry;
  /** The store writer's metrics (sampled totals, whether its last write failed). */
  storeMetrics: StoreMetrics;
  /** Set when consume begins to stop: health turns bad at once. */
  stopping?: boolean;
}

/** `/healthz` of consume. */
export interface ConsumeHealth {
  ok: boolean;
  /** Not stopping. */
  reading: boolean;
  bus: { connected: boolean; down_s: number; stream: string; member: string };
  store: StoreState;
}

const downSeconds = (s: ConsumeStatus) =>
  s.downSince ? Math.round((Date.now() - s.downSince) / 1000) : 0;

const storeOf = (s: ConsumeState) => storeState({ store: s.store, metrics: s.storeMetrics });

/** `GET /summary` of consume. */
export async function consumeSummary(s: ConsumeState): Promise<ConsumeSummary> {
  const st = s.status();
  return {
    started_at: s.startedAt.toISOString(),
    uptime_s: Math.round((Date.now() - s.startedAt.getTime()) / 1000),
    consume: {
      stream: st.stream,
      member: { index: st.member.index, count: st.member.count },
      servers: st.servers,
      connected: st.connected,
      down_s: downSeconds(st),
      start_seq: st.startSeq,
      last_seq: st.lastSeq,
      pending: st.pending,
      caught_up: st.caughtUp,
      resume_seq: st.resumeSeq,
      messages: st.stats.messages,
      skipped: Object.fromEntries(
        SKIP_REASONS.map((r) => [r, skipped(st, r)]),
      ) as ConsumeSummary["consume"]["skipped"],
      decode_errors: st.stats.decodeErrors,
      connections: { open: st.open, closed: st.stats.closed },
      restarts: st.restarts,
    },
    store: await storeOf(s),
  };
}

/** `/healthz` of consume: reading, connected to NATS, and the store answers and takes writes. */
export async function consumeHealth(s: ConsumeState): Promise<ConsumeHealth> {
  const st = s.status();
  const store = await storeOf(s);
  const reading = !s.stopping;
  return {
    ok: reading && st.connected && store.state === "ok",
    reading,
    bus: {
      connected: st.connected,
      down_s: downSeconds(st),
      stream: st.stream,
      member: `${st.member.index}/${st.member.count}`,
    },
    store,
  };
}

/** What consume answers on its control socket; other requests get 404 saying so. */
const CONSUME_HINT = " (bmpmon consume answers show summary, show routes and sql)";

/** Answers one control request of consume. */
export function handleConsumeControl(s: ConsumeState, req: Request): Promise<Response> {
  return respond(req, async ({ url, parts, get, post }) => {
    if (parts.length !== 1) return undefined;
    if (get && parts[0] === "summary") return await consumeSummary(s);
    if (get && parts[0] === "routes") return await routesRequest(s, url);
    if (post && parts[0] === "sql") return await sql(s, (await body(req)).query);
    return undefined;
  }, CONSUME_HINT);
}

/** The running control socket and metrics listener of consume. */
export interface ConsumePlane {
  readonly state: ConsumeState;
  /** Turns health bad, stops both listeners and removes the socket. */
  stop(): Promise<void>;
}

/**
 * Starts consume's control socket and, with METRICS_LISTEN, its metrics listener, for the
 * run `status` writing into `store`.
 *
 * @throws {ConfigError} when DATA_DIR or METRICS_LISTEN cannot be used, or another consume
 * of the same member answers on the socket
 */
export async function startConsumePlane(
  config: Config,
  parts: { status: () => ConsumeStatus; store: ConsumeState["store"] },
): Promise<ConsumePlane> {
  const log = logger("control");
  const registry = new Registry();
  registerConsumeMetrics(registry, parts.status);
  const storeMetrics = new StoreMetrics(registry);
  storeMetrics.attach(() => parts.store.writer.stats);
  const state: ConsumeState = { ...parts, startedAt: new Date(), registry, storeMetrics };
  const path = consumeSocketPath(config.dataDir, config.BUS_STREAM, config.CONSUME_MEMBER);
  let control;
  try {
    control = await listenControl(path, (req) => handleConsumeControl(state, req), {
      dataDir: config.dataDir,
      who: "bmpmon consume",
      onError: (e) => log.error("control request failed: {error}", { error: String(e) }),
    });
  } catch (e) {
    storeMetrics.close();
    throw e;
  }
  log.info("control socket ready", { path: control.path });
  let metrics;
  try {
    metrics = config.METRICS_LISTEN
      ? await startMetricsServer(loopbackAddress(config.METRICS_LISTEN), {
        registry,
        health: () => consumeHealth(state),
      })
      : undefined;
  } catch (e) {
    await control.stop();
    storeMetrics.close();
    throw e;
  }
  if (metrics) {
    log.info("metrics listener ready", { host: metrics.addr.hostname, port: metrics.addr.port });
  }
  return {
    state,
    async stop() {
      state.stopping = true;
      await metrics?.stop();
      await control.stop();
      storeMetrics.close();
    },
  };
}
