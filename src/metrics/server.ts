/**
 * The metrics listener (METRICS_LISTEN, loopback only): `GET /metrics` in the Prometheus
 * text format and `GET /healthz`, 200 when the collector listens and its store answers
 * and takes writes (`consume`: the store, and the bus connected), 503 otherwise, with the
 * checks as JSON.
 *
 * @module
 */

import { listenHttp } from "../http_listen.ts";
import { type CollectorState, health } from "../control/state.ts";

import { EXPOSITION_CONTENT_TYPE, type Registry } from "./registry.ts";

/** A running metrics listener. */
export interface MetricsServer {
  readonly addr: Deno.NetAddr;
  stop(): Promise<void>;
}

/** What a metrics listener answers with: `serve`'s collector, or `consume`. */
export interface MetricsSource {
  registry: Registry;
  /** The `/healthz` checks: 200 when `ok`, else 503; the rest is the JSON body. */
  health(): Promise<{ ok: boolean }>;
}

/** Answers one request of the metrics listener of `source`. */
export async function answerMetrics(source: MetricsSource, req: Request): Promise<Response> {
  const path = new URL(req.url).pathname;
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  if (path === "/metrics") {
    const text = await source.registry.expose();
    return new Response(text, { headers: { "content-type": EXPOSITION_CONTENT_TYPE } });
  }
  if (path === "/healthz") {
    const h = await source.health();
    return Response.json({ status: h.ok ? "ok" : "unhealthy", ...h }, {
      status: h.ok ? 200 : 503,
    });
  }
  return new Response("not found: /metrics or /healthz\n", { status: 404 });
}

/** The metrics source of a collector (`serve`). */
export function collectorMetricsSource(s: CollectorState): MetricsSource {
  return { registry: s.metrics.registry, health: () => health(s) };
}

/** Answers one request of a collector's metrics listener. */
export function handleMetrics(s: CollectorState, req: Request): Promise<Response> {
  return answerMetrics(collectorMetricsSource(s), req);
}

/** Starts the listener on `addr`. */
export async function startMetricsServer(
  addr: { hostname: string; port: number },
  source: MetricsSource,
): Promise<MetricsServer> {
  return await listenHttp("METRICS_LISTEN", addr, (req) => answerMetrics(source, req));
}
