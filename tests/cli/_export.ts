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

/** `bgpdump -m FILE` without its TABLE_DUMP2 timestamps, sorted. */
export async function bgpdump(file: string): Promise<string[]> {
  const o = await new Deno.Command("bgpdump", { args: ["-m", file], stderr: "null" }).output();
  assert(o.success, "bgpdump failed");
  return new TextDecoder().decode(o.stdout).trim().split("\n").filter(Boolean)
    .map((l) => l.replace(/^(TABLE_DUMP2(?:_AP)?)\|\d+\|/, "$1||")).sort();
}

/**
 * The lines `bgpdump -m` should print for the RIB, built from SQL alone. Debian's bgpdump
 * (1.6) prints no large communities (RFC 8092), so they are not in the lines; the large
 * communities test checks them another way.
 */
export async function expected(sql: Sql, at?: string): Promise<string[]> {
  const rows = await sql.unsafe(
    `SELECT host(p.address) AS peer, coalesce(p.asn, 0) AS asn, text(r.prefix) AS prefix,
            r.path_id, coalesce(a.as_path_text, '') AS path,
            CASE a.origin WHEN 0 THEN 'IGP' WHEN 1 THEN 'EGP' WHEN 2 THEN 'INCOMPLETE' END AS origin,
            host(a.next_hop) AS nh, coalesce(a.local_pref, 0) AS lp, coalesce(a.med, 0) AS med,
            array_to_string(a.communities, ' ') AS comm,
            CASE WHEN a.atomic_aggregate THEN 'AG' ELSE 'NAG' END AS ag,
            coalesce(a.aggregator_asn || ' ' || host(a.aggregator_address), '') AS aggr
       FROM ${at ? "export_at_rib" : "rib"} r JOIN peers p ON p.id = r.peer_id
       JOIN path_attrs a ON a.id = r.attr_id
      WHERE NOT r.withdrawn AND r.afi IN (1, 2) AND r.safi IN (1, 2) AND r.rd = ''`,
  );
  return rows.map((r) =>
    [
      r.path_id === "0" ? "TABLE_DUMP2" : "TABLE_DUMP2_AP",
      "",
      "B",
      r.peer,
      r.asn,
      r.prefix,
      ...(r.path_id === "0" ? [] : [r.path_id]),
      r.path,
      r.origin,
      r.nh,
      r.lp,
      r.med,
      r.comm,
      r.ag,
      r.aggr,
      "",
    ].join("|")
  ).sort();
}
