/**
 * Spool marks by source (migration 0017): writers numbering their messages each their
 * own way (`serve`'s spool, consume members' stream sequences) share a database without
 * taking each other's numbers for their own; a database of before 0017 keeps its marks.
 */

import type { Sql } from "postgres";
import { assert, assertEquals } from "../_assert.ts";
import { fixtureMessages } from "../_data.ts";
import { claimMarks, markSource } from "../../src/bus/membership.ts";
import { ConfigError } from "../../src/config.ts";
import { migrate } from "../../src/store/migrate.ts";
import { storable } from "../../src/store/pg_text.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { dbTest } from "./_db.ts";
import { migrateBefore } from "./_migrations.ts";

/** Writes the FRR capture as router `key`, message i numbered i + 1; returns the count. */
async function writeNumbered(w: StoreWriter, key: string): Promise<number> {
  const messages = await fixtureMessages("gobgp-frr-lab/frr-8.4-prepost-1k.bmp");
  const id = await w.router(key, key);
  let seq = 0;
  for (const m of messages) {
    const wait = w.write(id, storable(m), undefined, ++seq);
    if (wait) await wait;
  }
  return seq;
}

/** Current routes and stored Peer Up/Down events of router `key`. */
async function stored(sql: Sql, key: string) {
  const [r] = await sql`SELECT
    (SELECT count(*)::int FROM rib JOIN peers p ON p.id = rib.peer_id
       JOIN routers r ON r.id = p.router_id WHERE r.key = ${key}) AS history_peers,
    (SELECT count(*)::int FROM route_history h JOIN peers p ON p.id = h.peer_id
       JOIN routers r ON r.id = p.router_id WHERE r.key = ${key}) AS history,
    (SELECT count(*)::int FROM peer_events e JOIN peers p ON p.id = e.peer_id
       JOIN routers r ON r.id = p.router_id WHERE r.key = ${key}) AS events`;
  return { ...r };
}

dbTest("two sources numbering from 1 into one database both write everything", async (sql) => {
  await migrate(sql, { timescaledb: false });
  const serve = await StoreWriter.open(sql);
  const n = await writeNumbered(serve, "192.0.2.1");
  await serve.close();
  const alone = await stored(sql, "192.0.2.1");
  assert(alone.history > 1000 && alone.events > 0, JSON.stringify(alone));
  // Before 0017 the second writer read the first's marks as its own: every message
  // numbered up to theirs was "already applied" and nothing of this router was written.
  const consume = await StoreWriter.open(sql, { markSource: "bus:BMP:1/1" });
  assertEquals(consume.spoolMark, 0);
  assertEquals(await writeNumbered(consume, "192.0.2.2"), n);
  await consume.close();
  assertEquals(await stored(sql, "192.0.2.2"), alone);
  // Each source's replay still writes nothing twice.
  const again = await StoreWriter.open(sql, { markSource: "bus:BMP:1/1" });
  assertEquals(again.spoolMark, n);
  await writeNumbered(again, "192.0.2.2");
  await again.close();
  assertEquals(await stored(sql, "192.0.2.2"), alone);
  assertEquals(await stored(sql, "192.0.2.1"), alone);
});

dbTest("migration 0017 keeps a database's spool marks as serve's", async (sql) => {
  await migrateBefore(sql, "0017_spool_sources.sql");
  await sql`INSERT INTO spool_lanes (lane, seq, extra) VALUES (0, 90, '{95}'), (1, 80, '{}')`;
  await sql`INSERT INTO spool_applied (seq) VALUES (97), (3)`;
  const r = await migrate(sql, { timescaledb: false });
  assertEquals(r.applied, ["0017_spool_sources.sql"]);
  const lanes = await sql`SELECT source, lane, seq::int, extra::int[] FROM spool_lanes
    ORDER BY lane`;
  assertEquals(lanes.map((l) => ({ ...l })), [
    { source: "", lane: 0, seq: 90, extra: [95] },
    { source: "", lane: 1, seq: 80, extra: [] },
  ]);
  const serve = await StoreWriter.open(sql);
  assertEquals(serve.spoolMark, 97);
  await serve.close();
  const other = await StoreWriter.open(sql, { markSource: "bus:BMP:1/2" });
  assertEquals(other.spoolMark, 0);
  await other.close();
});

dbTest("a consume member count other than the database's is refused", async (sql) => {
  await migrate(sql, { timescaledb: false });
  const one = { index: 1, count: 2 };
  const w = await StoreWriter.open(sql, { markSource: markSource("BMP", one) });
  await writeNumbered(w, "192.0.2.3");
  await w.close();
  await claimMarks(sql, "BMP", { index: 2, count: 2 }, false);
  const e = await claimMarks(sql, "BMP", { index: 1, count: 3 }, false).then(
    () => undefined,
    (e) => e,
  );
  assert(e instanceof ConfigError, `refused with a ConfigError: ${e}`);
  assert(/consumed from stream BMP by 2 member/.test(e.message), e.message);
  // Another stream's members are others.
  await claimMarks(sql, "OTHER", { index: 1, count: 3 }, false);
});

dbTest("a lone consume takes over its marks of before 0017 once", async (sql) => {
  await migrate(sql, { timescaledb: false });
  await sql`INSERT INTO spool_lanes (lane, seq, extra) VALUES (0, 40, '{}')`;
  await sql`INSERT INTO spool_applied (seq) VALUES (41)`;
  const me = { index: 1, count: 1 };
  await claimMarks(sql, "BMP", me, true);
  const rows = await sql`SELECT source FROM spool_lanes UNION ALL SELECT source FROM spool_applied`;
  assertEquals(rows.map((r) => r.source), ["bus:BMP:1/1", "bus:BMP:1/1"]);
  const w = await StoreWriter.open(sql, { markSource: markSource("BMP", me) });
  assertEquals(w.spoolMark, 41);
  await w.close();
  // A serve's marks written since are left alone at the next start.
  await sql`INSERT INTO spool_applied (seq) VALUES (7)`;
  await claimMarks(sql, "BMP", me, true);
  assertEquals((await sql`SELECT count(*)::int AS n FROM spool_applied WHERE source = ''`)[0].n, 1);
});
