/**
 * The store side of `serve`: PostgreSQL at DATABASE_URL, else the embedded store under
 * DATA_DIR, with the jobs that keep it (checkpoints, ANALYZE, retention), or nothing at
 * all for an edge collector (`STORE=none`).
 *
 * @module
 */

import postgres, { type ReservedSql, type Sql } from "postgres";
import { NO_STORE_QUERY, NoStore } from "../collector/no_store.ts";
import { StoreSink, type StoreTarget } from "../collector/store_sink.ts";
import { type Config, loopbackAddress } from "../config.ts";
import { postgresReadQuery, type ReadQuery } from "../control/query.ts";
import { logger } from "../log.ts";
import type { StoreTotals } from "../metrics/collector_metrics.ts";
import { startAnalyzer } from "../store/analyze.ts";
import { startCheckpointer } from "../store/embedded/checkpoint.ts";
import { openEmbedded } from "../store/embedded/mod.ts";
import { migrate } from "../store/migrate.ts";
import { ensurePartitions } from "../store/partitions.ts";
import { startRetentionJob } from "../store/retention.ts";
import { within } from "../store/retry.ts";
import type { SpoolMarks } from "../store/spool_marks.ts";
import { StoreWriter } from "../store/writer.ts";
import type { StepProgress } from "./progress.ts";

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
    // Processes sharing a database (consume members, a serve beside them) start together:
    // one migrates while the others wait, then find nothing to do.
    const result = await migrationLocked(sql, async (db) => {
      const result = await migrate(db, {
        retention: config.RETENTION,
        compressAfter: config.COMPRESS_AFTER,
        onApply: (name, i, n) => progress?.step(name, i, n),
      });
      // Partitions ahead before the first COPY (`migrate` too); the retention job keeps them.
      if (!result.timescaledb) await ensurePartitions(db);
      return result;
    });
    progress?.done(`${result.applied.length} files applied`);
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

/** An advisory lock key of bmpmon's migrations (any constant other tools leave alone). */
const MIGRATION_LOCK = 0x626d706d; // "bmpm"

/** Runs `fn` on one connection holding the migration lock. */
async function migrationLocked<T>(sql: Sql, fn: (db: ReservedSql) => Promise<T>): Promise<T> {
  const conn = await sql.reserve();
  try {
    await conn`SELECT pg_advisory_lock(${MIGRATION_LOCK})`;
    try {
      return await fn(conn);
    } finally {
      await conn`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
    }
  } finally {
    conn.release();
  }
}

/** The store `serve` writes into, as the rest of `serve` sees it. */
export interface ServeStore {
  kind: "postgresql" | "embedded" | "none";
  /** The pool (absent with `STORE=none`). */
  sql?: Sql;
  /** What the spool feeds. */
  target: StoreTarget;
  /** What the spool asks of the store. */
  marks: SpoolMarks;
  /** The writer's totals. */
  writer: { readonly stats: StoreTotals };
  query: ReadQuery;
  routerId(connectionId: number): number | undefined;
  /** Commits everything written so far. */
  flush(): Promise<void>;
  /** Commits what was written; false when the store did not answer within `ms`. */
  close(ms: number): Promise<boolean>;
  /** Stops the store's jobs and closes the pool and the embedded store. */
  end(): Promise<void>;
  /** Settles with a message if the embedded store fails. */
  failed?: Promise<string>;
}

/** Opens what `config` asks for, with its jobs running. */
export async function openServeStore(
  config: Config,
  progress: StepProgress,
  opts: { markSource?: string } = {},
): Promise<ServeStore> {
  const log = logger("serve");
  if (config.STORE === "none") {
    if (config.DATABASE_URL) log.warn("DATABASE_URL is ignored: STORE=none", {});
    log.info("no store (STORE=none): messages are kept in the spool until the bus acks them");
    const none = new NoStore();
    return {
      kind: "none",
      target: none,
      marks: none,
      writer: none,
      query: () => Promise.reject(new Error(NO_STORE_QUERY)),
      routerId: () => undefined,
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(true),
      end: () => Promise.resolve(),
    };
  }
  // On a terminal, a line shows the migration file applying (nothing when stderr is not).
  const { sql, result, embedded, connect } = await openDatabase(config, progress);
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
    markSource: opts.markSource,
    onError: (e) => log.error("store write failed: {error}", { error: String(e) }),
  });
  const target = new StoreSink(writer);
  return {
    kind: embedded ? "embedded" : "postgresql",
    sql,
    target,
    marks: writer,
    writer,
    query: postgresReadQuery(sql),
    routerId: (id) => target.routerId(id),
    flush: () => writer.flush(),
    close: (ms) => within(writer.close().then(() => true), ms, false),
    end: async () => {
      await retention?.stop();
      await analyzer.stop();
      await checkpointer?.stop();
      await sql.end({ timeout: 5 });
      await embedded?.close();
    },
    failed: embedded?.failed.then((e) => String(e)),
  };
}
