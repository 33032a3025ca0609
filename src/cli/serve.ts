/**
 * `bmpmon serve`: the collector. Listens for routers, decodes inline and writes into
 * PostgreSQL/TimescaleDB; logs JSON Lines; SIGTERM/SIGINT stop accepting, flush the
 * batches, close the database and exit 0.
 *
 * @module
 */

import postgres from "postgres";
import type { BmpMessage } from "../bmp/message.ts";
import { PeerStatsSink } from "../collector/peer_stats.ts";
import { Collector, type MessageSink, type RouterConnection } from "../collector/server.ts";
import { StoreSink } from "../collector/store_sink.ts";
import { type Config, ConfigError } from "../config.ts";
import { logger, setupLogging } from "../log.ts";
import { migrate } from "../store/migrate.ts";
import { StoreWriter } from "../store/writer.ts";
import { hex } from "../wire/ip.ts";
import type { DecodeError } from "../wire/errors.ts";

/** Logs each message in hex with its decoded kind (LOG_LEVEL=DEBUG), then passes it on. */
class DebugSink implements MessageSink {
  readonly #log = logger("message");
  constructor(readonly inner: MessageSink) {}
  write(router: RouterConnection, m: BmpMessage, raw: Uint8Array) {
    this.#log.debug("message {kind} from router {router}", {
      kind: m.kind,
      router: router.id,
      offset: m.offset,
      hex: hex(raw),
    });
    return this.inner.write(router, m, raw);
  }
  decodeError(router: RouterConnection, error: DecodeError, raw: Uint8Array) {
    return this.inner.decodeError?.(router, error, raw);
  }
  routerUp(router: RouterConnection) {
    return this.inner.routerUp?.(router);
  }
  routerDown(router: RouterConnection, reason: string) {
    return this.inner.routerDown?.(router, reason);
  }
}

/** Opens the database pool and applies the migrations. */
export async function openDatabase(config: Config, lanes = 2) {
  if (!config.DATABASE_URL) {
    throw new ConfigError("DATABASE_URL: not set (the embedded store is not available yet)");
  }
  const sql = postgres(config.DATABASE_URL, { max: lanes + 4, onnotice: () => {} });
  const result = await migrate(sql, {
    retention: config.RETENTION,
    compressAfter: config.COMPRESS_AFTER,
  });
  return { sql, result };
}

/** Runs the collector until SIGTERM/SIGINT; returns the exit code. */
export async function runServe(config: Config): Promise<number> {
  await setupLogging(config.LOG_LEVEL);
  const log = logger("serve");
  if (config.SENTRY_DSN) {
    const Sentry = await import("@sentry/deno");
    Sentry.init({ dsn: config.SENTRY_DSN });
  }
  const { sql, result } = await openDatabase(config);
  log.info("database ready", { applied: result.applied, timescaledb: result.timescaledb });
  const writer = await StoreWriter.open(sql, {
    batchRows: config.BATCH_MAX_ROUTES,
    flushMs: config.BATCH_MAX_MS,
    onError: (e) => log.error("store write failed: {error}", { error: String(e) }),
  });
  const store: MessageSink = new StoreSink(writer);
  const stats = new PeerStatsSink(config.LOG_LEVEL === "DEBUG" ? new DebugSink(store) : store);
  const collector = new Collector({
    hostname: config.BMP_LISTEN_HOST,
    port: config.BMP_LISTEN_PORT,
    sink: stats,
    maxMessageLength: config.MAX_MESSAGE_BYTES,
    log: (level, message, fields) => {
      if (level === "info") logger("collector").info(message, fields);
      else if (level === "warn") logger("collector").warn(message, fields);
      else logger("collector").error(message, fields);
    },
  });
  const { promise: stopped, resolve } = Promise.withResolvers<string>();
  const onSignal = (name: string) => () => resolve(name);
  const signals: [Deno.Signal, () => void][] = [["SIGTERM", onSignal("SIGTERM")], [
    "SIGINT",
    onSignal("SIGINT"),
  ]];
  for (const [s, h] of signals) Deno.addSignalListener(s, h);
  const addr = collector.start();
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
  let code = 0;
  try {
    await collector.stop();
    await writer.close();
  } catch (e) {
    // Batches that could not be committed are lost: say so and exit non-zero.
    log.error("shutdown failed: {error}", { error: String(e) });
    code = 1;
  }
  await sql.end({ timeout: 5 });
  for (const [s, h] of signals) Deno.removeSignalListener(s, h);
  log.info("stopped", { routes: writer.stats.routes, batches: writer.stats.batches, exit: code });
  return code;
}

/** `bmpmon migrate`: applies the migrations and exits. */
export async function runMigrate(config: Config): Promise<number> {
  const { sql, result } = await openDatabase(config, 0);
  await sql.end({ timeout: 5 });
  console.log(JSON.stringify(result));
  return 0;
}
