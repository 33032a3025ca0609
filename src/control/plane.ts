/**
 * Starts what `bmpmon serve` offers besides the BMP listener: the control socket in
 * DATA_DIR and, with METRICS_LISTEN, the `/metrics` and `/healthz` listener.
 *
 * @module
 */

import { type Config, listenAddress, loopbackAddress } from "../config.ts";
import { logger } from "../log.ts";
import { collectorMetricsSource, startMetricsServer } from "../metrics/server.ts";
import { startWebServer, type WebServer } from "../web/server.ts";
import { startControlServer } from "./server.ts";
import { type CollectorState, peersUp } from "./state.ts";

/** The running control socket and metrics listener. */
export interface ControlPlane {
  readonly state: CollectorState;
  /** Turns health bad, stops both listeners and removes the socket. */
  stop(): Promise<void>;
}

/**
 * Starts the control socket (and the metrics listener when METRICS_LISTEN is set) for a
 * collector made of `parts`.
 *
 * @throws {ConfigError} when DATA_DIR or METRICS_LISTEN cannot be used
 */
export async function startControlPlane(
  config: Config,
  parts: Omit<CollectorState, "startedAt" | "stopping">,
): Promise<ControlPlane> {
  const log = logger("control");
  const state: CollectorState = { ...parts, startedAt: new Date() };
  state.metrics.attach({
    peersUp: () => peersUp(state.peers),
    store: () => state.store.writer.stats,
    spoolDepth: () => state.spoolDepth?.() ?? 0,
    spoolStatus: () => state.spoolStatus?.() ?? { bytes: 0 },
    limits: () => state.collector.limits,
    holddown: () => {
      const h = state.collector.holddown;
      return h && { held: h.held(Date.now()).length, holddowns: h.holddowns };
    },
  });
  const control = await startControlServer(
    config.dataDir,
    state,
    (e) => log.error("control request failed: {error}", { error: String(e) }),
  );
  log.info("control socket ready", { path: control.path });
  let metrics;
  try {
    metrics = config.METRICS_LISTEN
      ? await startMetricsServer(
        loopbackAddress(config.METRICS_LISTEN),
        collectorMetricsSource(state),
      )
      : undefined;
  } catch (e) {
    await control.stop();
    throw e;
  }
  let web: WebServer | undefined;
  if (config.WEB_LISTEN) {
    const a = listenAddress(config.WEB_LISTEN);
    if (!a.loopback) {
      log.warn(
        "WEB_LISTEN {listen} is not a loopback address: the looking glass asks for WEB_TOKEN",
        {
          listen: config.WEB_LISTEN,
        },
      );
    }
    try {
      web = await startWebServer(a, state, {
        token: config.WEB_TOKEN,
        onError: (e) => log.error("web page failed: {error}", { error: String(e) }),
      });
    } catch (e) {
      await metrics?.stop();
      await control.stop();
      throw e;
    }
    log.info("looking glass ready", { host: web.addr.hostname, port: web.addr.port });
  }
  if (metrics) {
    log.info("metrics listener ready", {
      host: metrics.addr.hostname,
      port: metrics.addr.port,
    });
  }
  return {
    state,
    async stop() {
      state.stopping = true;
      await web?.stop();
      await metrics?.stop();
      await control.stop();
      state.metrics.close();
    },
  };
}
