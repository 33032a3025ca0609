/**
 * Crash: the collector is killed with SIGKILL in the middle of the M320 full table, started
 * again on the same DATA_DIR and database, and the router sends its table again on a new
 * connection (as a router does after its session drops). Nothing it had read is lost,
 * nothing is stored twice, and the peer ends up with the whole table, up.
 */

import { assert, assertEquals } from "../_assert.ts";
import { announcementsByMessage, eventually, M320_NLRI, m320Stream, writeAll } from "./_m320.ts";
import postgres from "postgres";
import { DATABASE_URL, dbTest, serve } from "./_serve.ts";

dbTest("kill -9 mid-load, restart, replay: no lost and no doubled rows", async () => {
  const stream = await m320Stream();
  const byMessage = announcementsByMessage(stream);
  const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-crash-" });
  // The capture is from 2016: the retention job at the restart must keep its rows.
  const first = await serve(
    { DATA_DIR: dataDir, STATS_INTERVAL_S: "3600", RETENTION: "100 years" },
    {
      keepDatabase: true,
    },
  );
  const url = first.url;
  let second: Awaited<ReturnType<typeof serve>> | undefined;
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: first.port });
    const sending = writeAll(conn, stream).catch(() => {});
    await eventually(
      async () => (await first.sql`SELECT count(*)::int AS n FROM route_history`)[0].n > 100_000,
      120_000,
      "100,000 rows before the kill",
    );
    const atKill = (await first.sql`SELECT count(*)::int AS n FROM route_history`)[0].n;
    Deno.kill(first.pid, "SIGKILL");
    await first.stop();
    await sending;
    conn.close();

    second = await serve({
      DATABASE_URL: url,
      DATA_DIR: dataDir,
      STATS_INTERVAL_S: "3600",
      RETENTION: "100 years",
    });
    assert(second.log.some((l) => l.includes('"replaying the spool"')), "the spool is replayed");
    const again = await Deno.connect({ hostname: "127.0.0.1", port: second.port });
    await writeAll(again, stream);
    const sql = second.sql;
    await eventually(
      async () =>
        (await sql`SELECT count(*)::int AS n FROM rib WHERE NOT withdrawn`)[0].n === 707_572 &&
        (await sql`SELECT count(*)::int AS n FROM route_history WHERE withdrawn`)[0].n >= 4,
      300_000,
      "the second session's table",
    );
    // Settled: the history count stops moving for 3 s.
    let last = -1;
    await eventually(
      async () => {
        await new Promise((r) => setTimeout(r, 3000));
        const n = (await sql`SELECT count(*)::int AS n FROM route_history`)[0].n;
        const same = n === last;
        last = n;
        return same;
      },
      60_000,
      "history to settle",
    );

    // Each prefix is announced once per session: the first session's rows are exactly the
    // announcements of the messages it had read before the kill, the second's are all.
    const counts = new Map<string, number>();
    for (
      const r of await sql`SELECT prefix::text AS p, count(*)::int AS n FROM route_history
        WHERE NOT withdrawn GROUP BY prefix`
    ) counts.set(r.p, r.n);
    let read = 0; // messages of the first session stored
    while (read < byMessage.length && byMessage[read].every((p) => counts.get(p) === 2)) read++;
    const firstRows = byMessage.slice(0, read).reduce((n, l) => n + l.length, 0);
    const doubled = [...counts.values()].filter((n) => n === 2).length;
    const worse = [...counts.values()].filter((n) => n > 2 || n < 1).length;
    console.log(
      `killed after ${firstRows.toLocaleString("en-US")} routes of ${read} messages were read; ` +
        `history ${last.toLocaleString("en-US")} rows`,
    );
    // The collector reads faster than it stores: at the kill, rows were still to come, and
    // what it had read (often the whole stream) was in the spool.
    assert(atKill < M320_NLRI, `the kill came mid-load (${atKill} rows stored)`);
    assert(firstRows >= atKill - 4, `the first session kept what it had stored (${firstRows})`);
    assertEquals(worse, 0, "no prefix stored more than once per session");
    assertEquals(doubled, firstRows, "the first session's rows are a prefix of the stream");
    const [{ w }] = await sql`SELECT count(*)::int AS w FROM route_history WHERE withdrawn`;
    // The stream's last 4 NLRI are withdrawals: the first session has them if it read them.
    assert(w === 4 || w === 8, `${w} withdrawals`);
    assertEquals(last, firstRows + (w - 4) + M320_NLRI, "history = first session + the table");

    const peers = await sql`SELECT state FROM peers`;
    assertEquals(peers.map((p) => p.state), ["up"]);
    // Up (first session), down (closed at the restart), up (second session).
    const events = await sql`SELECT event, count(*)::int AS n FROM peer_events GROUP BY event
      ORDER BY event`;
    assertEquals(events.map((e) => `${e.event} ${e.n}`), ["down 1", "up 2"]);
    again.close();
  } finally {
    if (second) await second.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    const admin = postgres(DATABASE_URL!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
    await admin.end();
  }
});
