import type { Sql } from "postgres";
import { assert, assertEquals } from "../_assert.ts";
import { migrate, type MigrationDb } from "../../src/store/migrate.ts";
import { ensurePartitions, listPartitions } from "../../src/store/partitions.ts";
import { applyRetention, startRetentionJob } from "../../src/store/retention.ts";
import { dbTest } from "./_db.ts";

dbTest(
  "the retention job deletes rows older than RETENTION at once and on each run",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    // No range partition covers these rows (the job creates them from today on): they are in
    // the DEFAULT partition, the one partition whose expired rows are deleted.
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

const DAY = 86_400_000;

/**
 * A database with route_history partitions for each of the 30 days before today, one row
 * at noon of each, and a trigger that logs every row deleted from any partition (cloned to
 * partitions attached later).
 */
async function thirtyDays(sql: Sql): Promise<number> {
  await migrate(sql, { timescaledb: false });
  await sql.unsafe(`CREATE TABLE deleted_rows (partition text, time timestamptz);
    CREATE FUNCTION log_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO deleted_rows VALUES (TG_TABLE_NAME, OLD.time); RETURN OLD; END $$;
    CREATE TRIGGER log_delete BEFORE DELETE ON route_history
      FOR EACH ROW EXECUTE FUNCTION log_delete()`);
  const today = Math.floor(Date.now() / DAY) * DAY;
  const created = await ensurePartitions(sql, {
    now: new Date(today - 30 * DAY + 3_600_000),
    daysAhead: 29,
  });
  assertEquals(created.filter((n) => n.startsWith("route_history_")).length, 30);
  await sql`INSERT INTO route_history (time, router_id, peer_id, afi, safi, prefix, withdrawn)
    SELECT ${new Date(today)}::timestamptz - d * INTERVAL '1 day' + INTERVAL '12 hours',
      1, 1, 1, 1, '192.0.2.0/24', false
    FROM generate_series(1, 30) d`;
  const [{ n }] = await sql`SELECT count(*)::int AS n FROM route_history_default`;
  assertEquals(n, 0);
  return today;
}

/** `sql` that records every statement sent through it. */
function recording(sql: Sql, log: string[]): MigrationDb {
  return { unsafe: (q) => (log.push(q), sql.unsafe(q)) };
}

const dayNames = async (sql: Sql) =>
  (await listPartitions(sql, "route_history")).filter((p) => !p.isDefault).map((p) => p.name);

dbTest(
  "applyRetention() drops 23 of 30 daily partitions for 7 days and issues no DELETE",
  async (sql) => {
    const today = await thirtyDays(sql);
    assertEquals((await dayNames(sql)).length, 30);
    const sent: string[] = [];
    const r = await applyRetention(recording(sql, sent), "7 days");
    assertEquals(r.dropped.route_history, 23);
    assertEquals(r.deleted.route_history, 0);
    // The 7 days before today are kept whole, the one holding the cutoff included.
    const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll("-", "");
    assertEquals(
      await dayNames(sql),
      [7, 6, 5, 4, 3, 2, 1].map((d) => `route_history_p${ymd(today - d * DAY)}`),
    );
    const [{ n }] = await sql`SELECT count(*)::int AS n FROM route_history`;
    assertEquals(n, 7);
    // No DELETE was sent, and no row of any partition went through one.
    assertEquals(sent.filter((q) => /\bDELETE\b/i.test(q)), []);
    assertEquals(sent.filter((q) => /\bDROP TABLE route_history_p/.test(q)).length, 23);
    assertEquals([...await sql`SELECT * FROM deleted_rows`], []);
    const stats = await sql`SELECT relname, n_tup_del FROM pg_stat_user_tables
    WHERE relname LIKE 'route_history_%' AND n_tup_del > 0`;
    assertEquals([...stats], []);
    // A second run has nothing left to do.
    assertEquals((await applyRetention(sql, "7 days")).dropped.route_history, 0);
  },
);

dbTest("applyRetention() deletes expired rows from the DEFAULT partition only", async (sql) => {
  await thirtyDays(sql);
  // Outside every range partition: a replayed 2016 row (expired) and one 3 years ahead.
  await sql`INSERT INTO route_history (time, router_id, peer_id, afi, safi, prefix, withdrawn)
    VALUES ('2016-08-01Z', 1, 1, 1, 1, '192.0.2.0/24', false),
      (now() + INTERVAL '3 years', 1, 1, 1, 1, '192.0.2.0/24', true)`;
  const sent: string[] = [];
  const r = await applyRetention(recording(sql, sent), "7 days");
  assertEquals(r.dropped.route_history, 23);
  assertEquals(r.deleted.route_history, 1);
  const deletes = sent.filter((q) => /\bDELETE\b/i.test(q));
  assertEquals(deletes.length, 1);
  assert(/DELETE FROM route_history_default /.test(deletes[0]), deletes[0]);
  const logged = await sql`SELECT partition || ' ' || to_char(time AT TIME ZONE 'UTC',
    'YYYY-MM-DD') AS r FROM deleted_rows`;
  assertEquals(logged.map((x) => x.r), ["route_history_default 2016-08-01"]);
  const [{ n }] = await sql`SELECT count(*)::int AS n FROM route_history_default`;
  assertEquals(n, 1);
});
