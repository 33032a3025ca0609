/**
 * Test helpers of `bmpmon import`: MRT files imported through the writer as the command
 * does it, and the command line itself on a test's database.
 *
 * @module
 */

import type { Sql } from "postgres";
import { importMrt, type ImportOptions, type ImportResult } from "../../src/cli/import.ts";
import { readInput } from "../../src/io/file.ts";
import { migrate } from "../../src/store/migrate.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { DATABASE_URL } from "../store/_db.ts";
import { MAIN } from "./_export.ts";

/** Imports `paths` (or files given as bytes) into `sql`, migrated first. */
export async function importInto(
  sql: Sql,
  files: (string | { path: string; bytes: Uint8Array })[],
  opts: ImportOptions = {},
): Promise<ImportResult> {
  await migrate(sql);
  const writer = await StoreWriter.open(sql);
  try {
    const read = await Promise.all(
      files.map(async (f) => typeof f === "string" ? { path: f, bytes: await readInput(f) } : f),
    );
    return await importMrt(sql, writer, read, opts);
  } finally {
    await writer.close();
  }
}

/** `bmpmon import ARGS` on the database of `sql`: exit code, stdout and stderr lines. */
export async function importCommand(sql: Sql | undefined, args: string[]) {
  const url = new URL(DATABASE_URL ?? "postgres://x@127.0.0.1:1/x");
  if (sql) url.pathname = `/${sql.options.database}`;
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "import", ...args],
    env: { DATABASE_URL: url.href, LOG_LEVEL: "WARNING" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = (b: Uint8Array) => new TextDecoder().decode(b).split("\n").filter(Boolean);
  return { code: o.code, out: lines(o.stdout), err: lines(o.stderr) };
}

/** Row counts of what an import writes. */
export async function counts(sql: Sql): Promise<Record<string, number>> {
  const [r] = await sql`SELECT
    (SELECT count(*) FROM rib)::int AS rib,
    (SELECT count(*) FROM route_history)::int AS history,
    (SELECT count(*) FROM peers)::int AS peers,
    (SELECT count(*) FROM peer_events)::int AS peer_events,
    (SELECT count(*) FROM routers)::int AS routers,
    (SELECT count(*) FROM mrt_imports)::int AS imports`;
  return { ...r } as Record<string, number>;
}
