import { assertEquals } from "../_assert.ts";
import { migrate } from "../../src/store/migrate.ts";
import { startRetentionJob } from "../../src/store/retention.ts";
import { dbTest } from "./_db.ts";

dbTest(
  "the retention job deletes rows older than RETENTION at once and on each run",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    const insert = (age: string) =>
      sql.unsafe(`INSERT INTO route_history (time, router_id, peer_id, afi, safi, prefix, withdrawn)
      VALUES (now() - INTERVAL '${age}', 1, 1, 1, 1, '192.0.2.0/24', false)`);
    await insert("100 days");
    await insert("10 days");
    await sql`INSERT INTO peer_events (time, router_id, peer_id, event)
    VALUES (now() - INTERVAL '100 days', 1, 1, 'up'), (now(), 1, 1, 'up')`;
    const runs: Record<string, number>[] = [];
    const job = startRetentionJob(sql, {
      retention: "90 days",
      everyMs: 50,
      onRun: (d) => runs.push(d),
    });
    await job.first;
    assertEquals(runs[0].route_history, 1);
    assertEquals(runs[0].peer_events, 1);
    await insert("200 days");
    const deleted = () => runs.reduce((n, r) => n + r.route_history, 0);
    // The job runs every 50 ms: the row inserted after its first run goes on a later run.
    for (let i = 0; i < 200 && deleted() < 2; i++) await new Promise((r) => setTimeout(r, 20));
    await job.stop();
    assertEquals(deleted(), 2);
    assertEquals(runs.at(-1)!.stats_reports, 0);
    const [{ n }] = await sql`SELECT count(*)::int AS n FROM route_history`;
    assertEquals(n, 1);
  },
);
