/**
 * Transactions on a shared postgres.js pool, on a reserved connection.
 *
 * Not `sql.begin`: postgres.js 3.4 pipelines its BEGIN onto a busy connection, and when
 * that connection then holds its 100th pipelined query (`max_pipeline`) it never marks
 * the connection as the transaction's. The BEGIN then fails with UNSAFE_TRANSACTION (pool
 * of more than one), or other queries of the pool can land inside the transaction (pool
 * of one). A thousand routers disconnecting at once reach that depth. `sql.reserve()`
 * waits for an idle connection and keeps it out of the pool until released, so nothing
 * else is ever sent on it while the transaction is open.
 *
 * @module
 */

import type { ReservedSql, Sql } from "postgres";

/**
 * Runs `fn` in a transaction on a connection reserved from `sql`: BEGIN (with `mode`,
 * e.g. "READ ONLY"), `fn`, COMMIT; ROLLBACK and rethrow when `fn` or the COMMIT fails.
 *
 * @example
 * ```ts ignore
 * import postgres from "postgres";
 * import { transaction } from "./transaction.ts";
 * const sql = postgres();
 * const n = await transaction(sql, async (tx) => (await tx`SELECT 1 AS n`)[0].n);
 * ```
 */
export async function transaction<T>(
  sql: Sql,
  fn: (tx: ReservedSql) => Promise<T>,
  mode = "",
): Promise<T> {
  const tx = await sql.reserve();
  try {
    await tx.unsafe(mode ? `BEGIN ${mode}` : "BEGIN");
    let result: T;
    try {
      result = await fn(tx);
    } catch (e) {
      await tx.unsafe("ROLLBACK").catch(() => {});
      throw e;
    }
    await tx.unsafe("COMMIT");
    return result;
  } finally {
    tx.release();
  }
}
