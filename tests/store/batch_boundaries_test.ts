/**
 * The RIB does not depend on where batches end. The lab's FRR and GoBGP captures, one
 * connection after the other from one router (the GoBGP one re-announces and withdraws
 * routes the FRR one left withdrawn), written in batches of 50 routes and in one batch:
 * equal rows. Before, a route announced and withdrawn in one batch lost its attribute
 * set, which it kept when the withdrawal came in a later batch; `serve` and `consume`, or
 * two runs of `serve`, then stored different RIBs from the same messages.
 */

import { fixtureMessages } from "../_data.ts";
import { assert, assertEquals } from "../_assert.ts";
import { migrate } from "../../src/store/migrate.ts";
import { storable } from "../../src/store/pg_text.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { dbTest, withDatabase } from "./_db.ts";

dbTest("the RIB is the same whatever the batch sizes", async () => {
  const captures = [
    await fixtureMessages("gobgp-frr-lab/frr-8.4-prepost-1k.bmp"),
    await fixtureMessages("gobgp-frr-lab/gobgp-3.10-all-1k.bmp"),
  ];
  const ribs: string[][] = [];
  for (const batchRows of [50, 1_000_000]) {
    ribs.push(
      await withDatabase(async (sql) => {
        await migrate(sql, { timescaledb: false });
        const w = await StoreWriter.open(sql, { batchRows, flushMs: 60_000 });
        for (const messages of captures) {
          const id = await w.router("127.0.0.1", "127.0.0.1");
          for (const m of messages) {
            const wait = w.write(id, storable(m));
            if (wait) await wait;
          }
          await w.routerDown(id);
        }
        await w.close();
        const rows = await sql`SELECT concat_ws('|', p.peer_type, p.address, p.post_policy,
            b.route_key, b.path_id, b.withdrawn, coalesce(b.attr_id::text, '-'), b.origin_as, b.labels, b.first_seen,
            b.last_change) AS x
          FROM rib b JOIN peers p ON p.id = b.peer_id ORDER BY 1`;
        return rows.map((r) => r.x as string);
      }),
    );
  }
  const [small, one] = ribs;
  assert(small.length > 2000, `${small.length} RIB rows`);
  assert(one.some((x) => x.includes("|t|-|")), "routes only ever withdrawn have no set");
  const only = (a: string[], b: string[]) => a.filter((x) => !new Set(b).has(x)).slice(0, 3);
  assertEquals([only(one, small), only(small, one)], [[], []]);
});
