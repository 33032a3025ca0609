/**
 * Test helpers: a fresh database per test on the server of DATABASE_URL, dropped after.
 *
 * @module
 */

import postgres, { type Sql } from "postgres";

/** The server tests run against; unset → database tests are ignored. */
export const DATABASE_URL = Deno.env.get("DATABASE_URL");

/**
 * Registers a test that gets its own database (`bmpmon_test_<random>`), ignored with
 * "no DATABASE_URL" in its name when the variable is unset.
 */
export function dbTest(name: string, fn: (sql: Sql) => Promise<void>): void {
  if (!DATABASE_URL) {
    Deno.test({ name: `${name} (ignored: no DATABASE_URL)`, ignore: true, fn: () => {} });
    return;
  }
  Deno.test({
    name,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => withDatabase(fn),
  });
}

/** Runs `fn` on a new database of DATABASE_URL's server, dropped after. */
export async function withDatabase<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
  const url = DATABASE_URL!;
  const admin = postgres(url, { onnotice: () => {}, max: 1 });
  const db = `bmpmon_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await admin.unsafe(`CREATE DATABASE ${db}`);
  const u = new URL(url);
  u.pathname = `/${db}`;
  const sql = postgres(u.href, { onnotice: () => {}, max: 4 });
  try {
    return await fn(sql);
  } finally {
    // A test that failed with a writer open must not wait for its reserved connections.
    await sql.end({ timeout: 5 });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  }
}
