/**
 * `bmpmon serve`: the collector. Listens for routers, decodes inline and writes into
 * PostgreSQL/TimescaleDB, or without DATABASE_URL into the embedded store under DATA_DIR, or
 * with STORE=none only into the spool for the bus (an edge collector);
 * logs JSON Lines; SIGTERM/SIGINT stop accepting, flush the
 * batches, close the database and exit 0.
 *
 * @module
 */

import { registerBusMetrics } from "../bus/bus_metrics.ts";
import { type Bus, openBus } from "../bus/connect.ts";
import { BusPublisher } from "../bus/publisher.ts";
import { PeerStatsSink } from "../collector/peer_stats.ts";
import { Allowlist } from "../collector/limits.ts";
import { Collector } from "../collector/server.ts";
import { StepProgress } from "./progress.ts";
import { openDatabase, openServeStore } from "./serve_store.ts";
import type { Config } from "../config.ts";
import { startControlPlane } from "../control/plane.ts";
import { RouterTap } from "../control/tap.ts";
import { logger, setupLogging } from "../log.ts";
import { CollectorMetrics } from "../metrics/collector_metrics.ts";
import { registerRpkiMetrics } from "../rpki/rpki_metrics.ts";
import { RovMetrics } from "../rpki/rov_metrics.ts";
import { RpkiService } from "../rpki/rpki_service.ts";
import { SpoolLog } from "../spool/log.ts";
import { SpoolSink } from "../spool/sink.ts";

/** How long shutdown waits for the store before leaving the rest in the spool. */
const SHUTDOWN_WAIT_MS = 15_000;

function logTo(
  l: ReturnType<typeof logger>,
  level: "info" | "warn" | "error",
  message: string,
  fields: Record<string, unknown>,
): void {
  if (level === "info") l.info(message, fields);
  else if (level === "warn") l.warn(message, fields);
  else l.error(message, fields);
}

/** Runs the collector until SIGTERM/SIGINT; returns the exit code. */
export async function runServe(config: Config): Promise<number> {
  await setupLogging(config.LOG_LEVEL);
  const log = logger("serve");
  // One failure must not stop every router's collection: a throw outside any handler (seen:
  // postgres.js writing COPY data to a connection the server just closed) is logged; the
  // write it belonged to fails and is retried by the store.
  globalThis.addEventListener("error", (e) => {
    e.preventDefault();
    log.error("uncaught error: {error}", { error: String(e.error?.stack ?? e.error) });
  });
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    log.error("unhandled rejection: {error}", { error: String(e.reason?.stack ?? e.reason) });
  });
  if (config.SENTRY_DSN) {
    const Sentry = await import("@sentry/deno");
    Sentry.init({
      dsn: config.SENTRY_DSN,
      environment: config.SENTRY_ENVIRONMENT,
      tracesSampleRate: config.SENTRY_TRACES_SAMPLE_RATE,
    });
  }
  // The bus first: a server that refuses (credentials, JetStream, the stream) is one line
  // and exit 2 before anything else starts.
  let bus: Bus | undefined;
  if (config.BUS_URL) {
    bus = await openBus(config);
    const busLog = logger("bus");
    for (const w of bus.warnings) busLog.warn(w, {});
    busLog.info("bus ready", {
      servers: config.BUS_URL.map((s) => s.url),
      stream: config.BUS_STREAM,
      created: bus.created,
      collector: collectorId(config),
      parsed: config.BUS_PARSED,
    });
  }
  const db = await openServeStore(config, new StepProgress("migrate"));
  const { sql } = db;
  const spoolLog = logger("spool");
  const spoolFile = SpoolLog.open(`${config.dataDir}/spool`, {
    fsync: config.SPOOL_FSYNC,
    onDamage: (file, offset, lost) =>
      spoolLog.warn("spool damaged: cut at the first bad record", { file, offset, lost }),
  });
  // The bus reads the spool at its end, beside the store (README "Message bus").
  const busLog = logger("bus");
  const publisher = bus && new BusPublisher(bus, spoolFile, {
    collectorId: collectorId(config),
    dataDir: config.dataDir,
    parsed: config.BUS_PARSED,
    log: (level, message, fields) => logTo(busLog, level, message, fields),
  });
  const spool = new SpoolSink(spoolFile, db.target, db.marks, {
    maxBytes: config.SPOOL_MAX_BYTES,
    log: (level, message, fields) => logTo(spoolLog, level, message, fields),
    pending: publisher && (() => publisher.lowestPending()),
  });
  const recovered = spool.recover();
  if (recovered.records > 0) log.info("replaying the spool", recovered);
  publisher?.start();
  // Hex and decoded dumps: every router with LOG_LEVEL=DEBUG, else `bmpmon debug client ID`.
  const tap = new RouterTap(spool, config.LOG_LEVEL === "DEBUG");
  const metrics = new CollectorMetrics();
  // RPKI sources (README "RPKI"): off the BMP path, they share only the database pool.
  // Started without any too: the VRPs of a source no longer configured are dropped.
  const rpkiLog = logger("rpki");
  // Whole-RIB validation runs (rpki_changes, bmpmon_rpki_routes) only with a source: without
  // one every route is unknown, and a run costs seconds of database time per million routes.
  const rov = sql && (config.RPKI_RTR?.length || config.RPKI_VRP_FILE)
    ? new RovMetrics(metrics.registry, (q) => sql.unsafe(q), {
      onError: (e) => rpkiLog.error("RPKI validation run failed: {error}", { error: String(e) }),
    })
    : undefined;
  // An edge collector (STORE=none) has no tables to keep VRPs in: its consumers validate.
  if (!sql && (config.RPKI_RTR?.length || config.RPKI_VRP_FILE)) {
    rpkiLog.warn("RPKI_RTR and RPKI_VRP_FILE are ignored: STORE=none", {});
  }
  const rpki = sql && RpkiService.start(sql, {
    rtr: config.RPKI_RTR,
    vrpFile: config.RPKI_VRP_FILE,
    log: (level, message, fields) => logTo(rpkiLog, level, message, fields),
    onStored: () => rov?.soon(),
  });
  if (rpki) registerRpkiMetrics(metrics.registry, () => rpki.sources());
  if (publisher) registerBusMetrics(metrics.registry, () => publisher.status());
  // The first run after the VRP file is in (RTR sets arrive later, through onStored).
  if (rov) void rpki?.ready.then(() => rov.start());
  const stats = new PeerStatsSink(metrics.sink(tap));
  const collector = new Collector({
    hostname: config.BMP_LISTEN_HOST,
    port: config.BMP_LISTEN_PORT,
    sink: stats,
    maxMessageLength: config.MAX_MESSAGE_BYTES,
    limits: {
      allow: config.ROUTER_ALLOW ? Allowlist.parse(config.ROUTER_ALLOW) : undefined,
      maxConnections: config.MAX_CONNECTIONS,
      maxConnectionsPerAddress: config.MAX_CONNECTIONS_PER_ADDRESS,
      maxMessagesPerS: config.ROUTER_MAX_MSGS_PER_S,
      burstMessages: config.ROUTER_BURST_MSGS,
      idleTimeoutMs: config.IDLE_TIMEOUT_S * 1000,
      maxPeersPerRouter: config.MAX_PEERS_PER_ROUTER,
      holddown: config.ROUTER_HOLDDOWN,
    },
    log: (level, message, fields) => logTo(logger("collector"), level, message, fields),
  });
  const { promise: stopped, resolve } = Promise.withResolvers<string>();
  const onSignal = (name: string) => () => resolve(name);
  const signals: [Deno.Signal, () => void][] = [["SIGTERM", onSignal("SIGTERM")], [
    "SIGINT",
    onSignal("SIGINT"),
  ]];
  for (const [s, h] of signals) Deno.addSignalListener(s, h);
  const control = await startControlPlane(config, {
    collector,
    peers: stats,
    tap,
    metrics,
    store: {
      kind: db.kind,
      query: db.query,
      writer: db.writer,
      flush: async () => {
        if (!await spool.settle(SHUTDOWN_WAIT_MS)) {
          // Down, or only behind (a full table still going in): `show summary` tells which.
          throw new Error(
            `the spool did not drain in ${SHUTDOWN_WAIT_MS / 1000} s: ` +
              `${spool.status().backlog} records wait (the store is down or behind)`,
          );
        }
        await db.flush();
      },
      routerId: (id) => db.routerId(id),
    },
    spoolDepth: () => spool.status().backlog,
    spoolStatus: () => spool.status(),
    busStatus: publisher && (() => publisher.status()),
  });
  let storeFailed = false;
  db.failed?.then((error) => {
    log.error("embedded store failed: {error}", { error });
    storeFailed = true;
    resolve("embedded store failure");
  });
  const addr = collector.start();
  if (!config.ROUTER_ALLOW) log.warn("ROUTER_ALLOW is not set: any address may connect");
  log.info("listening on {host}:{port}", { host: addr.hostname, port: addr.port });
  const statsLog = logger("stats");
  const timer = setInterval(() => {
    for (const rec of stats.interval(config.STATS_INTERVAL_S, collector.routers)) {
      statsLog.info("peer", rec);
    }
  }, config.STATS_INTERVAL_S * 1000);

  const signal = await stopped;
  log.info("stopping on {signal}", { signal });
  clearInterval(timer);
  await control.stop();
  await rpki?.stop();
  await rov?.stop();
  let code = 0;
  let applied = false;
  try {
    await collector.stop();
    // Without a database, what is not committed stays in the spool for the next start.
    applied = await spool.settle(SHUTDOWN_WAIT_MS) &&
      await db.close(SHUTDOWN_WAIT_MS);
    if (!applied) {
      log.warn("store not reachable: the spool keeps the rest for the next start", {
        spool: spool.status(),
      });
    }
  } catch (e) {
    log.error("shutdown failed: {error}", { error: String(e) });
    code = 1;
  }
  if (publisher && !await publisher.close(SHUTDOWN_WAIT_MS)) {
    log.warn("bus not reachable: the spool keeps the rest for the next start", {
      bus: publisher.status(),
    });
  }
  spool.close(applied);
  try {
    await db.end();
  } catch (e) {
    log.error("embedded store close failed: {error}", { error: String(e) });
    code = 1;
  }
  if (storeFailed) code = 1;
  for (const [s, h] of signals) Deno.removeSignalListener(s, h);
  log.info("stopped", {
    routes: db.writer.stats.routes,
    batches: db.writer.stats.batches,
    limits: collector.limits,
    exit: code,
  });
  return code;
}

/** BUS_COLLECTOR_ID, else this machine's host name. */
function collectorId(config: Config): string {
  return config.BUS_COLLECTOR_ID ?? Deno.hostname();
}

/** `bmpmon migrate`: applies the migrations and exits. */
export async function runMigrate(config: Config): Promise<number> {
  const { sql, result, embedded } = await openDatabase(config, new StepProgress("migrate"));
  await sql.end({ timeout: 5 });
  await embedded?.close();
  console.log(JSON.stringify(result));
  return 0;
}
