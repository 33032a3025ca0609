/**
 * The metrics listener (METRICS_LISTEN, loopback only): `GET /metrics` in the Prometheus
 * text format and `GET /healthz`, 200 when the collector listens and its store answers
 * and takes writes, 503 otherwise, with the checks as JSON.
 *
 * @module
 */

import { listenHttp } from "../http_listen.ts";
import { type CollectorState, health } from "../control/state.ts";

import { EXPOSITION_CONTENT_TYPE } from "./registry.ts";

/** A running metrics listener. */
export interface MetricsServer {
  readonly addr: Deno.NetAddr;
  stop(): Promise<void>;
}

/** Answers one request of the metrics listener. */
export async function handleMetrics(s: CollectorState, req: Request): Promise<Response> {
  const path = new URL(req.url).pathname;
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  if (path === "/metrics") {
    const text = await s.metrics.registry.expose();
    return new Response(text, { headers: { "content-type": EXPOSITION_CONTENT_TYPE } });
  }
  if (path === "/healthz") {
    const h = await health(s);
    return Response.json({ status: h.ok ? "ok" : "unhealthy", ...h }, {
      status: h.ok ? 200 : 503,
    });
  }
  return new Response("not found: /metrics or /healthz\n", { status: 404 });
}

/** Starts the listener on `addr`. */
export async function startMetricsServer(
  addr: { hostname: string; port: number },
  state: CollectorState,
): Promise<MetricsServer> {
  return await listenHttp("METRICS_LISTEN", addr, (req) => handleMetrics(state, req));
}
