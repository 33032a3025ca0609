/**
 * `bmpmon export mrt --updates`: route history written as BGP4MP_ET and read back by
 * Debian's `bgpdump -m` equals `route_history` in SQL, row for row and in time order (peer,
 * time to the microsecond, announcement or withdrawal, prefix, path ID, AS path, origin,
 * next hop, LOCAL_PREF, MED, communities, atomic aggregate, aggregator); each Peer Up and
 * Peer Down is a STATE line; `--since`/`--until` cut the same window as SQL does; and
 * bmpmon's own MRT reader prints the same lines as bgpdump.
 *
 * @module
 */

import type { Sql } from "postgres";
import { assert, assertEquals } from "../_assert.ts";
import { dbTest } from "../store/_db.ts";
import { exportTo, HAVE_BGPDUMP, LAB, load, MAIN } from "./_export.ts";

const NAME = "export mrt --updates: history read back by bgpdump equals route_history in SQL";

/** `bgpdump -m FILE`, in its order. */
async function bgpdump(file: string): Promise<string[]> {
  const o = await new Deno.Command("bgpdump", { args: ["-m", file], stderr: "null" }).output();
  assert(o.success, "bgpdump failed");
  return new TextDecoder().decode(o.stdout).trim().split("\n").filter(Boolean);
}

/** The lines bgpdump should print for history rows with `since <= time < until`. */
async function expected(sql: Sql, since = "-infinity", until = "infinity"): Promise<string[]> {
  const rows = await sql`
    SELECT h.time, to_char(h.time AT TIME ZONE 'UTC', 'US') AS us,
           extract(epoch FROM date_trunc('second', h.time))::bigint AS s, h.withdrawn,
           host(p.address) AS peer, coalesce(p.asn, 0) AS asn, text(h.prefix) AS prefix,
           coalesce(a.as_path_text, '') AS path,
           CASE a.origin WHEN 0 THEN 'IGP' WHEN 1 THEN 'EGP' WHEN 2 THEN 'INCOMPLETE' END AS origin,
           host(a.next_hop) AS nh, coalesce(a.local_pref, 0) AS lp, coalesce(a.med, 0) AS med,
           array_to_string(a.communities, ' ') AS comm,
           CASE WHEN a.atomic_aggregate THEN 'AG' ELSE 'NAG' END AS ag,
           coalesce(a.aggregator_asn || ' ' || host(a.aggregator_address), '') AS aggr
      FROM route_history h JOIN peers p ON p.id = h.peer_id
      LEFT JOIN path_attrs a ON a.id = h.attr_id
     WHERE h.afi IN (1, 2) AND h.safi IN (1, 2) AND h.rd IS NULL AND h.prefix IS NOT NULL
       AND h.path_id IS NULL AND h.time >= ${since}::text::timestamptz AND h.time < ${until}::text::timestamptz`;
  return rows.map((r) => {
    const head = `BGP4MP_ET|${r.s}.${r.us.padStart(6, "0")}|${
      r.withdrawn ? "W" : "A"
    }|${r.peer}|${r.asn}|${r.prefix}`;
    if (r.withdrawn) return head;
    return [head, r.path, r.origin, r.nh, r.lp, r.med, r.comm, r.ag, r.aggr, ""].join("|");
  }).sort();
}

/** `bmpmon decode FILE --format bgpdump`, in its order. */
async function ourDecode(file: string): Promise<string[]> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "decode", file, "--format", "bgpdump"],
    env: { LOG_LEVEL: "WARNING" },
    stdout: "piped",
    stderr: "null",
  }).output();
  assert(o.success, "bmpmon decode failed");
  return new TextDecoder().decode(o.stdout).trim().split("\n").filter(Boolean);
}

if (!HAVE_BGPDUMP) {
  Deno.test({ name: `${NAME} (ignored: bgpdump is not installed)`, ignore: true, fn() {} });
} else {
  dbTest(NAME, async (sql) => {
    // The whole capture: announcements, withdrawals, Peer Ups and Peer Downs.
    await load(sql, `${LAB}frr-8.4-prepost-1k.bmp`);
    const dir = await Deno.makeTempDir();
    try {
      const all = await exportTo(sql, `${dir}/updates.mrt`, ["--updates"]);
      const got = await bgpdump(`${dir}/updates.mrt`);
      const routes = got.filter((l) => !l.includes("|STATE|"));
      const want = await expected(sql);
      assert(want.length > 3000, `only ${want.length} history rows`);
      assertEquals(routes.length, want.length);
      assertEquals([...routes].sort(), want);
      assertEquals(all.totals.announcements + all.totals.withdrawals, want.length);
      assertEquals(all.totals.skipped, {});
      // In time order, as an update file is.
      const times = got.map((l) => Number(l.split("|")[1]));
      assert(times.every((t, i) => i === 0 || times[i - 1] <= t), "lines in time order");
      // One STATE line per stored Peer Up and Peer Down: Idle → Established and back.
      const [{ up, down }] = await sql`SELECT count(*) FILTER (WHERE event = 'up')::int AS up,
        count(*) FILTER (WHERE event = 'down')::int AS down FROM peer_events`;
      const states = got.filter((l) => l.includes("|STATE|")).map((l) => l.split("|").slice(-2));
      assertEquals(states.filter(([a, b]) => a === "1" && b === "6").length, up);
      assertEquals(states.filter(([a, b]) => a === "6" && b === "1").length, down);
      assert(up > 0 && down > 0, `${up} Peer Ups, ${down} Peer Downs`);
      // bmpmon's own reader agrees with bgpdump on the file bmpmon wrote.
      assertEquals(
        await ourDecode(`${dir}/updates.mrt`),
        got,
      );

      // A window: from the second distinct route time to the last (exclusive), to the
      // millisecond (what a command-line time holds).
      const iso = (e: string) =>
        `to_char(date_trunc('milliseconds', ${e}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
      const [w] = await sql.unsafe(
        `SELECT ${iso("min(time)")} AS since, ${iso("max(time)")} AS until
        FROM (SELECT DISTINCT time FROM route_history ORDER BY time OFFSET 1) t`,
      );
      const part = await exportTo(sql, `${dir}/part.mrt`, [
        "--updates",
        "--since",
        w.since,
        "--until",
        w.until,
      ]);
      const partWant = await expected(sql, w.since, w.until);
      assert(partWant.length > 0 && partWant.length < want.length, `${partWant.length} rows`);
      const partGot = (await bgpdump(`${dir}/part.mrt`)).filter((l) => !l.includes("|STATE|"));
      assertEquals(partGot.sort(), partWant);
      assertEquals(part.totals.announcements + part.totals.withdrawals, partWant.length);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("export mrt --updates: options that do not go together get one line each", async () => {
  const run = async (args: string[]) => {
    const o = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "export", "mrt", ...args],
      env: { DATABASE_URL: "postgres://x@127.0.0.1:1/x" },
      stdout: "null",
      stderr: "piped",
    }).output();
    return { code: o.code, err: new TextDecoder().decode(o.stderr).split("\n")[0] };
  };
  assertEquals(await run(["--updates", "--at", "2026-12-01T00:00:00Z"]), {
    code: 2,
    err: "bmpmon: --at is for a RIB; --updates takes --since and --until",
  });
  assertEquals(await run(["--since", "2026-12-01T00:00:00Z"]), {
    code: 2,
    err: "bmpmon: --since and --until go with --updates",
  });
  assertEquals(await run(["--updates", "--until", "soon"]), {
    code: 2,
    err: "bmpmon: --until soon: not a time (e.g. 2026-12-01T12:00:00Z)",
  });
});
