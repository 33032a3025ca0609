/**
 * Read-only queries on the collector's database, for the control endpoint (`bmpmon sql`,
 * `show routes`) and the health probe. The endpoint only sees a {@linkcode ReadQuery},
 * so it works with any store that can provide one.
 *
 * @module
 */

import type { Sql } from "postgres";
import { transaction } from "../store/transaction.ts";

/** Column names and rows (arrays, in column order) of one statement's result. */
export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

/**
 * Runs one SQL statement with `$1…` parameters in a READ ONLY transaction and returns its
 * result as JSON-ready values (timestamps as ISO text, bytea as `\x` hex, int8 as numbers
 * when exact). Rejects several statements in one text.
 */
export type ReadQuery = (text: string, params?: unknown[]) => Promise<QueryResult>;

/** Statement timeout of {@linkcode postgresReadQuery} queries, ms. */
export const QUERY_TIMEOUT_MS = 30_000;

const INT8 = 20;
const INT8_ARRAY = 1016;

function int8Value(v: unknown): unknown {
  if (typeof v === "string") {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  return Array.isArray(v) ? v.map(int8Value) : jsonValue(v);
}

/** A value as JSON carries it. */
export function jsonValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? String(v) : v.toISOString();
  if (v instanceof Uint8Array) {
    return "\\x" + Array.from(v, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(jsonValue);
  if (typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)]));
  }
  return v;
}

/**
 * A {@linkcode ReadQuery} on a postgres.js pool. The statement goes through the extended
 * protocol (one statement only, so it cannot COMMIT its way out of the transaction) after
 * a first query has taken the snapshot (so it cannot switch the transaction to read-write).
 */
export function postgresReadQuery(sql: Sql, timeoutMs = QUERY_TIMEOUT_MS): ReadQuery {
  return async (text, params = []) => {
    return await transaction(sql, async (tx) => {
      await tx.unsafe(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
      await tx.unsafe("SELECT 1");
      // `simple: false` (postgres.js 3.4 reads it, its types omit it): the extended protocol
      // even without parameters.
      const opts = { simple: false, prepare: false } as { prepare: boolean };
      const res = await tx.unsafe(text, params as never[], opts).values();
      const cols = res.columns ?? [];
      // postgres.js returns int8 as text: numbers when exact read better in tables and jq.
      const int8 = cols.map((c) => c.type === INT8 || c.type === INT8_ARRAY);
      return {
        columns: cols.map((c) => c.name),
        rows: res.map((row) =>
          row.map((v: unknown, i: number) => int8[i] ? int8Value(v) : jsonValue(v))
        ),
      };
    }, "READ ONLY") as QueryResult;
  };
}
