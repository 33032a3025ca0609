/**
 * RovMetrics: one run records changes and fills bmpmon_rpki_routes{router,peer,rib,state}
 * from a migrated database with crafted routes; unknown while no source is usable.
 */

import { assert, assertEquals } from "../_assert.ts";
import { Registry } from "../../src/metrics/registry.ts";
import { migrate } from "../../src/store/migrate.ts";
import { RovMetrics } from "../../src/rpki/rov_metrics.ts";
import { dbTest } from "../store/_db.ts";
import { craftPeers, craftRoutes, craftVrps } from "./_rov_rows.ts";

dbTest("RovMetrics counts routes per view and state off the write path", async (sql) => {
  await migrate(sql, { timescaledb: false });
  await craftPeers(sql);
  await craftRoutes(sql, [
    { prefix: "10.1.0.0/16", path: "64500 65001" },
    { prefix: "10.1.1.0/24", path: "64500 65001" },
    { prefix: "10.5.0.0/16", path: "64500 65666" },
    { prefix: "11.0.0.0/8", path: "64500 65001", peer: 2 },
  ]);
  await craftVrps(sql, [["10.0.0.0/8", 16, 65001]]);
  const errors: unknown[] = [];
  const m = new RovMetrics(new Registry(), (q) => sql.unsafe(q), {
    onError: (e) => errors.push(e),
  });
  await m.run();
  let text = await m.registry.expose();
  const l = (peer: string, state: string, n: number) =>
    `bmpmon_rpki_routes{router="r1",peer="${peer}",rib="pre-policy",state="${state}"} ${n}`;
  for (
    const want of [
      l("192.0.2.1", "valid", 1),
      l("192.0.2.1", "invalid", 2),
      l("192.0.2.1", "not-found", 0),
      l("192.0.2.2", "not-found", 1),
    ]
  ) {
    assert(text.includes(want), `${want}\n${text}`);
  }
  await sql`UPDATE rpki_sources SET state = 'expired'`;
  await m.run();
  text = await m.registry.expose();
  assert(text.includes(l("192.0.2.1", "unknown", 3)), text);
  assert(text.includes(l("192.0.2.1", "invalid", 0)), text);
  assert(errors.length === 0, String(errors[0]));
});

Deno.test("RovMetrics.soon coalesces VRP changes into one run, and reruns after a busy one", async () => {
  let records = 0;
  let release: (() => void) | undefined;
  const m = new RovMetrics(new Registry(), async (q) => {
    if (q.includes("rpki_record_changes")) {
      records++;
      if (release === undefined) await new Promise<void>((r) => release = r);
    }
    return [];
  }, { intervalMs: 3_600_000 });
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
  m.soon(1);
  await wait(20);
  assertEquals(records, 0, "soon() before start() runs nothing");
  m.start(); // the first run, held open
  await wait(5);
  for (let i = 0; i < 5; i++) m.soon(10);
  await wait(40);
  assertEquals(records, 1, "runs while the first is busy");
  release!();
  await wait(40);
  assertEquals(records, 2, "the five requests make one run after the busy one");
  for (let i = 0; i < 5; i++) m.soon(10);
  await wait(40);
  assertEquals(records, 3, "runs after five more requests");
  await m.stop();
});
