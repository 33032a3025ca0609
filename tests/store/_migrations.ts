/**
 * Test helper: the schema as it was before a migration, for the tests that upgrade an
 * existing database in place.
 *
 * @module
 */

import { migrationFiles } from "../../src/store/migrate.ts";

/** The repository's migrations. */
export const MIGRATIONS = new URL("../../migrations/", import.meta.url);

/**
 * A temporary directory holding copies of the migrations whose names sort before
 * `name` (e.g. "0007"), to pass as `migrate(db, { dir })`. `remove()` deletes it.
 */
export async function migrationsBefore(
  name: string,
): Promise<{ dir: URL; names: string[]; remove(): Promise<void> }> {
  const tmp = await Deno.makeTempDir({ prefix: "bmpmon-migrations-" });
  const names = (await migrationFiles(MIGRATIONS)).filter((n) => n < name);
  for (const n of names) await Deno.copyFile(new URL(n, MIGRATIONS), `${tmp}/${n}`);
  return {
    dir: new URL(`file://${tmp}/`),
    names,
    remove: () => Deno.remove(tmp, { recursive: true }),
  };
}

/**
 * Runs the `ALTER TABLE … ADD COLUMN IF NOT EXISTS …;` statements of the migrations from
 * `name` on, so that today's StoreWriter (which writes those columns) can write into a
 * schema of before `name`. They are idempotent: the migrations add them again as a no-op.
 */
export async function addLaterColumns(
  sql: { unsafe(q: string): PromiseLike<unknown> },
  name: string,
): Promise<string[]> {
  const done: string[] = [];
  for (const n of (await migrationFiles(MIGRATIONS)).filter((n) => n >= name)) {
    const text = await Deno.readTextFile(new URL(n, MIGRATIONS));
    for (const m of text.matchAll(/^ALTER TABLE \w+ ADD COLUMN IF NOT EXISTS [^;]+;/gm)) {
      await sql.unsafe(m[0]);
      done.push(m[0]);
    }
  }
  return done;
}
