/**
 * `bmpmon serve`: the collector. Listens for routers, decodes inline and writes into
 * PostgreSQL/TimescaleDB, or without DATABASE_URL into the embedded store under DATA_DIR;
 * logs JSON Lines; SIGTERM/SIGINT stop accepting, flush the
 * batches, close the database and exit 0.
 *
 * @module
 */

import postgres from "postgres";
import { registerBusMetrics } from "../bus/bus_metrics.ts";
import { type Bus, openBus } from "../bus/connect.ts";
import { BusPublisher } from "../bus/publisher.ts";
import { PeerStatsSink } from "../collector/peer_stats.ts";
import { Allowlist } from "../collector/limits.ts";
import { Collector } from "../collector/server.ts";
import { StepProgress } from "./progress.ts";
import { StoreSink } from "../collector/store_sink.ts";
import { type Config, loopbackAddress } from "../config.ts";
import { startControlPlane } from "../control/plane.ts";
import { postgresReadQuery } from "../control/query.ts";
import { RouterTap } from "../control/tap.ts";
import { logger, setupLogging } from "../log.ts";
import { CollectorMetrics } from "../metrics/collector_metrics.ts";
import { registerRpkiMetrics } from "../rpki/rpki_metrics.ts";
import { RovMetrics } from "../rpki/rov_metrics.ts";
import { RpkiService } from "../rpki/rpki_service.ts";
import { startAnalyzer } from "../store/analyze.ts";
import { startCheckpointer } from "../store/embedded/checkpoint.ts";
import { openEmbedded } from "../store/embedded/mod.ts";
import { migrate } from "../store/migrate.ts";
import { startRetentionJob } from "../store/retention.ts";
import { ensurePartitions } from "../store/partitions.ts";
import { within } from "../store/retry.ts";
import { StoreWriter } from "../store/writer.ts";
import { SpoolLog } from "../spool/log.ts";
import { SpoolSink } from "../spool/sink.ts";

/**
 * Opens the store (PostgreSQL at DATABASE_URL, else the embedded store under DATA_DIR)
 * with a pool for `lanes` writer lanes, and applies the migrations.
 */
export async function openDatabase(config: Config, progress?: StepProgress) {
  const embedded = config.DATABASE_URL ? undefined : await openEmbedded({
    dataDir: config.dataDir,
    pgListen: config.PG_LISTEN ? loopbackAddress(config.PG_LISTEN) : undefined,
  });
  const pool = (max: number) => {
    const options = { max, onnotice: () => {} };
    return embedded
      ? postgres({ ...embedded.connection, ...options })
      : postgres(config.DATABASE_URL!, options);
  };
  const sql = pool(4);
  try {
    const result = await migrate(sql, {
      retention: config.RETENTION,
      compressAfter: config.COMPRESS_AFTER,
      onApply: (name, i, n) => progress?.step(name, i, n),
    });
    progress?.done(`${result.applied.length} files applied`);
    // Partitions ahead before the first COPY (`migrate` too); the retention job keeps them.
    if (!result.timescaledb) await ensurePartitions(sql);
    /** A one-connection pool for each store lane. */
    const connect = () => pool(1);
    return { sql, result, embedded, connect };
  } catch (e) {
    progress?.done("failed");
    await sql.end({ timeout: 5 });
    await embedded?.close();
    throw e;
  }
}

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
    });
  }
  // On a terminal, a line shows the migration file applying (nothing when stderr is not).
  const { sql, result, embedded, connect } = await openDatabase(
    config,
    new StepProgress("migrate"),
  );
  log.info("database ready", { applied: result.applied, timescaledb: result.timescaledb });
  if (embedded) {
    log.info("embedded store at {pgdata}", {
      pgdata: embedded.pgdata,
      socket: embedded.socketPath,
      pgListen: embedded.pgListen,
    });
  } else if (config.PG_LISTEN) log.warn("PG_LISTEN is ignored: DATABASE_URL is set");
  // PGlite has no checkpointer of its own: without this pg_wal grows until close.
  const checkpointer = embedded && startCheckpointer(sql, {
    onCheckpoint: (wal, ms) =>
      log.info("embedded store checkpoint", { wal_mb: Math.round(wal / 1048576), ms }),
    onError: (e) => log.warn("embedded store checkpoint failed: {error}", { error: String(e) }),
  });
  // Statistics of rib as a table comes in: autovacuum is a minute late (PGlite has none).
  const analyzer = startAnalyzer(sql, {
    onAnalyze: (bytes, ms) =>
      log.debug("rib analyzed", { rib_mb: Math.round(bytes / 1048576), ms: Math.round(ms) }),
    onError: (e) => log.warn("ANALYZE of rib failed: {error}", { error: String(e) }),
  });
  // TimescaleDB ages rows out by its own policy; a plain PostgreSQL needs this job (it also
  // creates the partitions ahead).
  const retention = result.timescaledb ? undefined : startRetentionJob(sql, {
    retention: config.RETENTION,
    onRun: (deleted, { dropped, created }) =>
      log.info("retention applied", { retention: config.RETENTION, deleted, dropped, created }),
    onError: (e) => log.error("retention failed: {error}", { error: String(e) }),
  });
  const writer = await StoreWriter.open(sql, {
    connect,
    batchRows: config.BATCH_MAX_ROUTES,
    flushMs: config.BATCH_MAX_MS,
    onError: (e) => log.error("store write failed: {error}", { error: String(e) }),
  });
  const store = new StoreSink(writer);
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
    log: (level, message, fields) => logTo(busLog, level, message, fields),
  });
  const spool = new SpoolSink(spoolFile, store, writer, {
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
  const rov = config.RPKI_RTR?.length || config.RPKI_VRP_FILE
    ? new RovMetrics(metrics.registry, (q) => sql.unsafe(q), {
      onError: (e) => rpkiLog.error("RPKI validation run failed: {error}", { error: String(e) }),
    })
    : undefined;
  const rpki = RpkiService.start(sql, {
    rtr: config.RPKI_RTR,
    vrpFile: config.RPKI_VRP_FILE,
    log: (level, message, fields) => logTo(rpkiLog, level, message, fields),
    onStored: () => rov?.soon(),
  });
  registerRpkiMetrics(metrics.registry, () => rpki.sources());
  if (publisher) registerBusMetrics(metrics.registry, () => publisher.status());
  // The first run after the VRP file is in (RTR sets arrive later, through onStored).
  if (rov) void rpki.ready.then(() => rov.start());
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
      kind: embedded ? "embedded" : "postgresql",
      query: postgresReadQuery(sql),
      writer,
      flush: async () => {
        if (!await spool.settle(SHUTDOWN_WAIT_MS)) {
          // Down, or only behind (a full table still going in): `show summary` tells which.
          throw new Error(
            `the spool did not drain in ${SHUTDOWN_WAIT_MS / 1000} s: ` +
              `${spool.status().backlog} records wait (the store is down or behind)`,
          );
        }
        await writer.flush();
      },
      routerId: (id) => store.routerId(id),
    },
    spoolDepth: () => spool.status().backlog,
    spoolStatus: () => spool.status(),
    busStatus: publisher && (() => publisher.status()),
  });
  let storeFailed = false;
  embedded?.failed.then((error) => {
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
  await rpki.stop();
  await rov?.stop();
  await retention?.stop();
  let code = 0;
  let applied = false;
  try {
    await collector.stop();
    // Without a database, what is not committed stays in the spool for the next start.
    applied = await spool.settle(SHUTDOWN_WAIT_MS) &&
      await within(writer.close().then(() => true), SHUTDOWN_WAIT_MS, false);
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
  await analyzer.stop();
  await checkpointer?.stop();
  await sql.end({ timeout: 5 });
  try {
    await embedded?.close();
  } catch (e) {
    log.error("embedded store close failed: {error}", { error: String(e) });
    code = 1;
  }
  if (storeFailed) code = 1;
  for (const [s, h] of signals) Deno.removeSignalListener(s, h);
  log.info("stopped", {
    routes: writer.stats.routes,
    batches: writer.stats.batches,
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
