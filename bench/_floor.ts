/**
 * Bench helper: PostgreSQL's floor for a set of stored rows. The rows bmpmon stored
 * (history, current RIB, attribute sets) are dumped as COPY text, then sent back already
 * encoded by two connections at once (one per core of the 2-vCPU machine) into a fresh
 * database: no decoding, no upsert, no client work but sending bytes.
 *
 * @module
 */

import postgres, { type Sql } from "postgres";
import { CopyBuffer } from "../src/store/copy_buffer.ts";
import { copyIn } from "../src/store/copy_in.ts";
import { migrate } from "../src/store/migrate.ts";

/** The tables a route lands in. */
export const ROUTE_TABLES = ["path_attrs", "route_history", "rib"] as const;
/** Connections that COPY at once. */
export const FLOOR_CONNECTIONS = 2;

/** SQL that leaves the route tables with no index and no constraint at all. */
export async function dropAllIndexes(sql: Sql): Promise<void> {
  const rows = await sql<{ stmt: string }[]>`
    SELECT format('ALTER TABLE %I DROP CONSTRAINT %I', t.relname, c.conname) AS stmt
      FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
     WHERE t.relname = ANY(${[...ROUTE_TABLES]}) AND c.contype IN ('p', 'u')
    UNION ALL
    SELECT format('DROP INDEX %I', i.indexrelid::regclass::text)
      FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
     WHERE t.relname = ANY(${[...ROUTE_TABLES]})
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`;
  for (const r of rows) await sql.unsafe(r.stmt);
}

/** Scratch databases made from one admin URL, all dropped by `drop()`. */
export class ScratchDatabases {
  #admin: Sql;
  #url: string;
  #made: string[] = [];

  constructor(url: string) {
    this.#url = url;
    this.#admin = postgres(url, { onnotice: () => {}, max: 1 });
  }

  /** A new, migrated database (plain PostgreSQL schema). */
  async create(): Promise<Sql> {
    const name = `bmpmon_floor_${crypto.randomUUID().slice(0, 8)}`;
    await this.#admin.unsafe(`CREATE DATABASE ${name}`);
    this.#made.push(name);
    const u = new URL(this.#url);
    u.pathname = `/${name}`;
    const sql = postgres(u.href, { onnotice: () => {}, max: FLOOR_CONNECTIONS + 2 });
    await migrate(sql, { timescaledb: false });
    return sql;
  }

  async drop(): Promise<void> {
    for (const n of this.#made) {
      await this.#admin.unsafe(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`);
    }
    await this.#admin.end();
  }
}

/**
 * The rows of `table` as COPY text, split into `parts` buffers of whole rows. The server
 * writes them to a file (the bench's PostgreSQL runs on this machine, as a superuser may):
 * reading a large `COPY ... TO STDOUT` through postgres.js stalled now and then (the
 * server waiting in ClientWrite, the client idle).
 */
export async function dumpTable(sql: Sql, table: string, parts: number): Promise<CopyBuffer[]> {
  const dir = await Deno.makeTempDir({ prefix: "bmpmon-dump-" });
  await Deno.chmod(dir, 0o777);
  const file = `${dir}/${table}.copy`;
  let all: Uint8Array;
  try {
    await sql.unsafe(`COPY (SELECT * FROM ${table}) TO '${file}'`);
    all = await Deno.readFile(file);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const out: CopyBuffer[] = [];
  let start = 0;
  for (let i = 1; i <= parts; i++) {
    let end = i === parts ? all.length : Math.floor((all.length * i) / parts);
    while (end < all.length && all[end - 1] !== 0x0a) end++;
    out.push(new CopyBuffer(end - start + 1).append(all.subarray(start, end)));
    start = end;
  }
  return out;
}

/** The route tables of `sql`, dumped for {@linkcode copySeconds}. */
export async function dumpRoutes(sql: Sql): Promise<Map<string, CopyBuffer[]>> {
  const rows = new Map<string, CopyBuffer[]>();
  for (const t of ROUTE_TABLES) rows.set(t, await dumpTable(sql, t, FLOOR_CONNECTIONS));
  return rows;
}

/** MiB of COPY text in a dump. */
export function dumpMiB(rows: Map<string, CopyBuffer[]>): number {
  return [...rows.values()].flat().reduce((n, b) => n + b.length, 0) / 2 ** 20;
}

/**
 * Seconds to COPY the dumped rows into `sql` (already prepared: indexes as wanted) from
 * {@linkcode FLOOR_CONNECTIONS} connections, each in one transaction.
 */
export async function copySeconds(sql: Sql, rows: Map<string, CopyBuffer[]>): Promise<number> {
  const conns = await Promise.all(
    Array.from({ length: FLOOR_CONNECTIONS }, () => sql.reserve()),
  );
  const t0 = performance.now();
  await Promise.all(conns.map(async (c, i) => {
    await c.unsafe("BEGIN");
    for (const t of ROUTE_TABLES) await copyIn(c, t, rows.get(t)![i]);
    await c.unsafe("COMMIT");
  }));
  const secs = (performance.now() - t0) / 1000;
  for (const c of conns) c.release();
  return secs;
}
