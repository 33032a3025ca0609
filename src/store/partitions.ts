/**
 * Time partitions of the history, event, statistics and mirroring tables when TimescaleDB is
 * not used (`migrations/0007_time_partitions.sql` makes the tables partitioned). Range
 * partitions are created ahead of time by the collector; rows no range partition covers
 * (replayed captures with 2016 BMP timestamps, a router's clock far ahead) go to the table's
 * DEFAULT partition, so a COPY never fails for want of a partition.
 *
 * Partition widths follow the TimescaleDB chunk intervals of `0003_timescaledb.sql`, aligned
 * on whole UTC days since the epoch: `route_history_p20261203` holds
 * [2026-12-03 00:00Z, 2026-12-04 00:00Z).
 *
 * @module
 */

import { type MigrationDb, TIME_TABLES } from "./migrate.ts";

/** A table of {@linkcode TIME_TABLES}. */
export type TimeTable = typeof TIME_TABLES[number];

/** Days per range partition, per table (the chunk intervals of 0003_timescaledb.sql). */
export const PARTITION_DAYS: Readonly<Record<TimeTable, number>> = {
  route_history: 1,
  peer_events: 30,
  stats_reports: 7,
  router_events: 30,
  route_mirroring: 7,
};

/** Default of {@linkcode EnsurePartitionsOptions.daysAhead}. */
export const DAYS_AHEAD = 7;

const DAY_MS = 86_400_000;

/**
 * DDL waits at most this long for a lock, then fails and is retried on the next run: a
 * partition created or dropped must never hold the writers back behind a long query.
 */
export const LOCK_TIMEOUT = "10s";

/** One partition of a partitioned table. `from`/`to` are epoch ms; null is MINVALUE/MAXVALUE. */
export interface Partition {
  name: string;
  isDefault: boolean;
  from: number | null;
  to: number | null;
}

/** Options of {@linkcode ensurePartitions}. */
export interface EnsurePartitionsOptions {
  /** Cover from the current period up to this many days after `now` (default 7). */
  daysAhead?: number;
  /** The time to count from (default now). */
  now?: Date;
}

async function rows(db: MigrationDb, q: string): Promise<Record<string, unknown>[]> {
  return [...await db.unsafe(q)] as Record<string, unknown>[];
}

/** The kind of a table: "p" partitioned, "r" plain table (or hypertable), undefined absent. */
export async function tableKind(db: MigrationDb, table: string): Promise<string | undefined> {
  const r = await rows(
    db,
    `SELECT relkind::text AS k FROM pg_class WHERE oid = to_regclass('${table}')`,
  );
  return r.length ? String(r[0].k) : undefined;
}

/**
 * The partitions of a partitioned table with their bounds.
 *
 * @param db postgres.js `sql` or an adapter
 * @param table a table name (not quoted: one of {@linkcode TIME_TABLES})
 * @returns partitions sorted by lower bound, the DEFAULT partition last
 */
export async function listPartitions(db: MigrationDb, table: string): Promise<Partition[]> {
  // Bounds are printed in the session's time zone and parsed back in the same session.
  const r = await rows(
    db,
    `SELECT name, bound = 'DEFAULT' AS is_default,
      CASE WHEN m[1] IS NULL OR m[1] IN ('MINVALUE', 'MAXVALUE') THEN NULL
        ELSE extract(epoch FROM btrim(m[1], '''')::timestamptz)::float8 * 1000 END AS from_ms,
      CASE WHEN m[2] IS NULL OR m[2] IN ('MINVALUE', 'MAXVALUE') THEN NULL
        ELSE extract(epoch FROM btrim(m[2], '''')::timestamptz)::float8 * 1000 END AS to_ms
    FROM (SELECT c.relname::text AS name, pg_get_expr(c.relpartbound, c.oid) AS bound,
        regexp_match(pg_get_expr(c.relpartbound, c.oid), '^FOR VALUES FROM \\((.*)\\) TO \\((.*)\\)$') AS m
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = to_regclass('${table}')) p`,
  );
  const num = (v: unknown) => v === null || v === undefined ? null : Number(v);
  return r.map((p) => ({
    name: String(p.name),
    isDefault: p.is_default === true,
    from: num(p.from_ms),
    to: num(p.to_ms),
  })).sort((a, b) =>
    Number(a.isDefault) - Number(b.isDefault) || (a.from ?? -Infinity) - (b.from ?? -Infinity)
  );
}

/** [from, to) minus the ranges of `taken`, as disjoint pieces in order. */
function uncovered(from: number, to: number, taken: Partition[]): [number, number][] {
  let pieces: [number, number][] = [[from, to]];
  for (const p of taken) {
    const lo = p.from ?? -Infinity, hi = p.to ?? Infinity;
    pieces = pieces.flatMap(([a, b]): [number, number][] =>
      hi <= a || lo >= b ? [[a, b]] : [[a, Math.max(a, lo)], [Math.min(b, hi), b]]
    ).filter(([a, b]) => a < b);
  }
  return pieces;
}

function partitionName(table: string, from: number): string {
  return `${table}_p${new Date(from).toISOString().slice(0, 10).replaceAll("-", "")}`;
}

const ts = (ms: number) => `'${new Date(ms).toISOString()}'`;

/**
 * Creates the range partitions of every partitioned time table from the period holding
 * `now` to `daysAhead` days after it; existing ones are kept, so a run with nothing to do
 * reads the catalog only. Rows already in the DEFAULT partition for a new partition's
 * range are moved into it in the same transaction (the one DELETE this module issues, and
 * only on the DEFAULT partition). Tables that are not partitioned (TimescaleDB) are skipped.
 *
 * @param db postgres.js `sql` or an adapter
 * @param opts days ahead, and the time to count from
 * @returns the names of the partitions created
 *
 * @example
 * ```ts ignore
 * const created = await ensurePartitions(sql, { daysAhead: 7 });
 * // ["route_history_p20261203", ..., "route_history_p20261210", "peer_events_p20261126", ...]
 * ```
 */
export async function ensurePartitions(
  db: MigrationDb,
  opts: EnsurePartitionsOptions = {},
): Promise<string[]> {
  const now = (opts.now ?? new Date()).getTime();
  const end = now + (opts.daysAhead ?? DAYS_AHEAD) * DAY_MS;
  const created: string[] = [];
  for (const table of TIME_TABLES) {
    if (await tableKind(db, table) !== "p") continue;
    const parts = await listPartitions(db, table);
    const dflt = parts.find((p) => p.isDefault);
    const ranges = parts.filter((p) => !p.isDefault);
    const width = PARTITION_DAYS[table] * DAY_MS;
    for (let p = Math.floor(now / width) * width; p < end; p += width) {
      for (const [a, b] of uncovered(p, p + width, ranges)) {
        const name = partitionName(table, a);
        const range = `time >= ${ts(a)} AND time < ${ts(b)}`;
        const move = dflt !== undefined && (await rows(
              db,
              `SELECT 1 FROM ${dflt.name} WHERE ${range} LIMIT 1`,
            )).length > 0;
        // ATTACH (not CREATE ... PARTITION OF) locks the parent in SHARE UPDATE EXCLUSIVE
        // mode only: writers and readers go on. One simple query: one transaction.
        await db.unsafe([
          `SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`,
          `CREATE TABLE ${name} (LIKE ${table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS
            INCLUDING STORAGE INCLUDING COMMENTS)`,
          ...(move
            ? [`WITH m AS (DELETE FROM ${dflt!.name} WHERE ${range} RETURNING *)
                INSERT INTO ${name} SELECT * FROM m`]
            : []),
          `ALTER TABLE ${table} ATTACH PARTITION ${name} FOR VALUES FROM (${ts(a)}) TO (${ts(b)})`,
        ].join(";\n"));
        created.push(name);
      }
    }
  }
  return created;
}
