/**
 * transaction(): BEGIN…COMMIT on a reserved connection of a shared pool. The pipelined
 * case is the bug it replaces `sql.begin` for: with 99 queries in flight on each of the
 * pool's connections, postgres.js 3.4's `sql.begin` lands on a connection at its
 * max_pipeline and fails with UNSAFE_TRANSACTION (`serve` exited 1 at shutdown after a
 * thousand routers had disconnected).
 */

import postgres from "postgres";
import { transaction } from "../../src/store/transaction.ts";
import { assert, assertEquals } from "../_assert.ts";
import { dbTest } from "./_db.ts";

dbTest("transaction(): commits, and rolls back when fn throws", async (sql) => {
  await sql`CREATE TABLE tx_t (n int)`;
  assertEquals(await transaction(sql, async (tx) => (await tx`INSERT INTO tx_t VALUES (1)`, 7)), 7);
  const e = await transaction(sql, async (tx) => {
    await tx`INSERT INTO tx_t VALUES (2)`;
    throw new Error("no");
  }).catch((e) => e);
  assert(e instanceof Error && e.message === "no", `rethrown: ${e}`);
  assertEquals((await sql`SELECT n FROM tx_t ORDER BY n`).map((r) => r.n), [1]);
  const ro = await transaction(sql, (tx) => tx`SHOW transaction_read_only`, "READ ONLY");
  assertEquals(ro[0].transaction_read_only, "on");
});

dbTest("transaction(): stays whole behind 100 pipelined queries per connection", async (sql) => {
  const u = new URL(Deno.env.get("DATABASE_URL")!);
  u.pathname = `/${(await sql`SELECT current_database() AS d`)[0].d}`;
  await sql`CREATE TABLE tx_p (n int)`;
  for (let n = 392; n <= 408; n++) {
    const pool = postgres(u.href, { max: 4, onnotice: () => {} });
    try {
      // Opens all four connections, so the queries below pipeline onto busy ones.
      await Promise.all([1, 2, 3, 4].map(() => pool`SELECT pg_sleep(0.05)`));
      const busy = Array.from({ length: n }, () => pool`SELECT 1`.execute());
      const tx = transaction(pool, async (tx) => {
        await tx`INSERT INTO tx_p VALUES (${n})`;
        // Inside the transaction, the row is seen; outside it (another connection) not.
        return (await tx`SELECT count(*)::int AS c FROM tx_p WHERE n = ${n}`)[0].c;
      });
      await Promise.all(busy);
      assertEquals(await tx, 1, `${n} queries in flight`);
    } finally {
      await pool.end({ timeout: 5 });
    }
  }
  assertEquals((await sql`SELECT count(*)::int AS c FROM tx_p`)[0].c, 17);
});
