/**
 * Test helper: the schema as it was before a migration, for the tests that upgrade an
 * existing database in place.
 *
 * @module
 */

import type { Sql } from "postgres";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { readInput } from "../../src/io/file.ts";
import { migrate, migrationFiles } from "../../src/store/migrate.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { fixture } from "../_data.ts";

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

/** The columns of `table`, in order. */
export async function tableColumns(sql: Sql, table: string): Promise<string[]> {
  const r = await sql`SELECT column_name FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name = ${table} ORDER BY ordinal_position`;
  return r.map((c) => String(c.column_name));
}

/**
 * A database in use: router 1, peer view 1 (pre-policy, 192.0.2.1), attribute set 7 and the
 * current route 10.0.0.0/8 of that view.
 */
export async function insertOneRoute(sql: Sql): Promise<void> {
  await sql`INSERT INTO routers (id, key) VALUES (1, 'r1')`;
  await sql`INSERT INTO peers (id, router_id, peer_type, address, post_policy)
    VALUES (1, 1, 0, '192.0.2.1', false)`;
  await sql`INSERT INTO path_attrs (id, origin, as_path, next_hop)
    VALUES (7, 0, '{65001}', '192.0.2.1')`;
  await sql`INSERT INTO rib (peer_id, afi, safi, rd, route_key, path_id, prefix, attr_id,
    first_seen, last_change)
    VALUES (1, 1, 1, '', '10.0.0.0/8', 0, '10.0.0.0/8', 7, now(), now())`;
}

/** Migrates `sql` to the schema of just before migration `name`. */
export async function migrateBefore(sql: Sql, name: string): Promise<void> {
  const old = await migrationsBefore(name);
  try {
    await migrate(sql, { timescaledb: false, dir: old.dir });
  } finally {
    await old.remove();
  }
}

/**
 * Stores a lab capture's messages as router 192.0.2.1, its Peer Downs left out, with
 * today's writer (so with the columns of every migration added first).
 */
export async function storeLabRoutes(sql: Sql, rel: string): Promise<void> {
  await addLaterColumns(sql, "");
  const writer = await StoreWriter.open(sql);
  const router = await writer.router("192.0.2.1", "192.0.2.1");
  for (const it of readBmpStream(await readInput(fixture(rel)))) {
    if (it.message && it.message.kind !== "peer_down") await writer.write(router, it.message);
  }
  await writer.close();
}
