/**
 * Test helpers of `bmpmon export mrt`: a database loaded from a BMP capture through the
 * writer, and the export run as the command line runs it.
 *
 * @module
 */

import type { Sql } from "postgres";
import type { BmpMessage } from "../../src/bmp/message.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { readInput } from "../../src/io/file.ts";
import { migrate } from "../../src/store/migrate.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { assert } from "../_assert.ts";
import { DATABASE_URL } from "../store/_db.ts";

export const MAIN = new URL("../../main.ts", import.meta.url).pathname;
export const LAB = new URL("../fixtures/gobgp-frr-lab/", import.meta.url).pathname;
export const HAVE_BGPDUMP = await new Deno.Command("sh", { args: ["-c", "command -v bgpdump"] })
  .output().then((o) => o.success, () => false);

/** Writes the BMP messages of `file` (those `keep` accepts) into the store as one router. */
export async function load(
  sql: Sql,
  file: string,
  keep: (kind: string, m: BmpMessage) => boolean = () => true,
): Promise<void> {
  await migrate(sql);
  const writer = await StoreWriter.open(sql);
  const router = await writer.router("192.0.2.1", "192.0.2.1");
  for (const it of readBmpStream(await readInput(file))) {
    if (!it.message || !keep(it.message.kind, it.message)) continue;
    const wait = writer.write(router, it.message);
    if (wait) await wait;
  }
  await writer.close();
}

/** `bmpmon export mrt ARGS` on the test's database; its stderr totals. */
export async function exportTo(sql: Sql, out: string, args: string[] = []) {
  const url = new URL(DATABASE_URL!);
  url.pathname = `/${sql.options.database}`;
  const file = await Deno.open(out, { write: true, create: true, truncate: true });
  const p = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "export", "mrt", ...args],
    env: { DATABASE_URL: url.href, LOG_LEVEL: "WARNING" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const [, status, err] = await Promise.all([
    p.stdout.pipeTo(file.writable),
    p.status,
    new Response(p.stderr).text(),
  ]);
  assert(status.success, err);
  const lines = err.trim().split("\n");
  return { totals: JSON.parse(lines.find((l) => l.startsWith("{"))!), stderr: lines };
}
