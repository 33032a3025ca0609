/**
 * Applies the SQL files of `migrations/` in name order, once each, recording them in
 * `schema_migrations`. Files whose first lines say `-- bmpmon:requires timescaledb` run
 * only when the timescaledb extension can be created; they are not recorded otherwise,
 * so they apply on a later run once TimescaleDB is there. With TimescaleDB, the
 * compression and retention policies are (re)set on every run from the options.
 *
 * @module
 */

/**
 * What `migrate` needs of a database: a simple-protocol query that may hold several
 * statements. postgres.js `sql` fits as it is; PGlite through
 * `{ unsafe: (q) => db.exec(q).then((r) => r.at(-1)?.rows ?? []) }`.
 */
export interface MigrationDb {
  unsafe(query: string): PromiseLike<readonly unknown[]>;
}

/** Options of {@linkcode migrate}. */
export interface MigrateOptions {
  /** Use TimescaleDB: true requires it, false never tries, "auto" (default) detects it. */
  timescaledb?: boolean | "auto";
  /** Keep history, events and statistics this long (TimescaleDB); default "5 years". */
  retention?: string;
  /** Compress chunks older than this (TimescaleDB); default "7 days". */
  compressAfter?: string;
  /** Directory of the SQL files; default the repository's `migrations/`. */
  dir?: URL;
  /** Called before each file is applied: its name, its place (1-based) and the count. */
  onApply?: (name: string, index: number, total: number) => void;
}

/** What {@linkcode migrate} did. */
export interface MigrateResult {
  /** Files applied by this run. */
  applied: string[];
  /** Files left for TimescaleDB. */
  skipped: string[];
  timescaledb: boolean;
}

const INTERVAL = /^\s*\d+\s*(second|minute|hour|day|week|month|year)s?\s*$/i;

/** Tables whose rows age out and may be compressed (TimescaleDB). */
export const TIME_TABLES = [
  "route_history",
  "peer_events",
  "stats_reports",
  "router_events",
  "route_mirroring",
] as const;

const COMPRESSED_TABLES = ["route_history", "stats_reports", "peer_events"] as const;

/**
 * `v` trimmed, if it is an interval such as "5 years".
 *
 * @throws {RangeError} otherwise
 */
export function checkInterval(name: string, v: string): string {
  if (!INTERVAL.test(v)) {
    throw new RangeError(`Cannot use ${name}: "${v}" is not an interval like "5 years"`);
  }
  return v.trim();
}

function quote(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

async function rows(db: MigrationDb, q: string): Promise<Record<string, unknown>[]> {
  return [...await db.unsafe(q)] as Record<string, unknown>[];
}

/** Whether the timescaledb extension is (or can now be) installed in the database. */
export async function detectTimescale(db: MigrationDb): Promise<boolean> {
  const have = await rows(db, "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
  if (have.length > 0) return true;
  const avail = await rows(
    db,
    "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'",
  );
  if (avail.length === 0) return false;
  try {
    // Fails when the library is not in shared_preload_libraries.
    await db.unsafe("CREATE EXTENSION IF NOT EXISTS timescaledb");
    return true;
  } catch {
    return false;
  }
}

/** The migration files of `dir`, sorted by name. */
export async function migrationFiles(dir: URL): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /^\d+_.*\.sql$/.test(e.name)) names.push(e.name);
  }
  return names.sort();
}

/**
 * Brings the schema up to date.
 *
 * @param db postgres.js `sql` or an adapter (see {@linkcode MigrationDb})
 * @param opts TimescaleDB use, retention and compression age
 * @returns the files applied and skipped, and whether TimescaleDB is in use
 * @throws {RangeError} for a retention or compression age that is not an interval
 *
 * @example
 * ```ts ignore
 * import postgres from "postgres";
 * import { migrate } from "./migrate.ts";
 * const sql = postgres(Deno.env.get("DATABASE_URL")!);
 * const { applied } = await migrate(sql, { retention: "2 years" });
 * ```
 */
export async function migrate(
  db: MigrationDb,
  opts: MigrateOptions = {},
): Promise<MigrateResult> {
  const retention = checkInterval("retention", opts.retention ?? "5 years");
  const compressAfter = checkInterval("compressAfter", opts.compressAfter ?? "7 days");
  const dir = opts.dir ?? new URL("../../migrations/", import.meta.url);
  await db.unsafe(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const want = opts.timescaledb ?? "auto";
  // Tables partitioned natively (0007, a database first set up without TimescaleDB) cannot
  // become hypertables: such a database goes on without TimescaleDB.
  const native = await rows(
    db,
    "SELECT 1 FROM pg_class WHERE oid = to_regclass('route_history') AND relkind = 'p'",
  );
  if (want === true && native.length > 0) {
    throw new Error("Cannot migrate: route_history is natively partitioned, not a hypertable");
  }
  const timescaledb = want === false || native.length > 0 ? false : await detectTimescale(db);
  if (want === true && !timescaledb) {
    throw new Error("Cannot migrate: the timescaledb extension is not available");
  }
  const done = new Set(
    (await rows(db, "SELECT name FROM schema_migrations")).map((r) => String(r.name)),
  );
  const applied: string[] = [];
  const skipped: string[] = [];
  const pending: [string, string][] = [];
  for (const name of await migrationFiles(dir)) {
    if (done.has(name)) continue;
    const text = await Deno.readTextFile(new URL(name, dir));
    const head = text.slice(0, 400);
    if (/--\s*bmpmon:requires\s+timescaledb/.test(head) && !timescaledb) skipped.push(name);
    else pending.push([name, text]);
  }
  for (const [name, text] of pending) {
    opts.onApply?.(name, applied.length + 1, pending.length);
    // One simple query: PostgreSQL runs its statements as one implicit transaction.
    try {
      await db.unsafe(`${text}\n;INSERT INTO schema_migrations (name) VALUES (${quote(name)})`);
    } catch (e) {
      throw new Error(`Cannot apply migration ${name}: ${e instanceof Error ? e.message : e}`, {
        cause: e,
      });
    }
    applied.push(name);
  }
  if (timescaledb) await setPolicies(db, retention, compressAfter);
  return { applied, skipped, timescaledb };
}

/** (Re)sets the retention and compression policies of the time tables. */
async function setPolicies(db: MigrationDb, retention: string, compressAfter: string) {
  const hypertables = new Set(
    (await rows(db, "SELECT hypertable_name FROM timescaledb_information.hypertables"))
      .map((r) => String(r.hypertable_name)),
  );
  const stmts: string[] = [];
  for (const t of TIME_TABLES) {
    if (!hypertables.has(t)) continue;
    stmts.push(
      `SELECT remove_retention_policy('${t}', if_exists => true)`,
      `SELECT add_retention_policy('${t}', INTERVAL ${quote(retention)})`,
    );
  }
  for (const t of COMPRESSED_TABLES) {
    if (!hypertables.has(t)) continue;
    stmts.push(
      `SELECT remove_compression_policy('${t}', if_exists => true)`,
      `SELECT add_compression_policy('${t}', INTERVAL ${quote(compressAfter)})`,
    );
  }
  if (stmts.length > 0) await db.unsafe(stmts.join(";\n"));
}
