/**
 * The M320 round trip of issue 15: the full table (707,576 IPv4 prefixes) through
 * `bmpmon serve`, out with `bmpmon export mrt`, and in again with `bmpmon import` into a
 * second database. Both RIBs, as the lines `bgpdump -m` would print for them (peer, peer
 * AS, prefix, path ID, AS path, origin, next hop, LOCAL_PREF, MED, communities, atomic
 * aggregate, aggregator), are equal.
 *
 * @module
 */

import { assert, assertEquals } from "../_assert.ts";
import { M320_NLRI, m320Stream, writeAll } from "../e2e/_m320.ts";
import { serve, until } from "../e2e/_serve.ts";
import { dbTest } from "../store/_db.ts";
import { expected, exportTo } from "./_export.ts";
import { importCommand } from "./_import.ts";

dbTest(
  "M320: serve → export mrt → import into a second database gives the same RIB",
  async (sql) => {
    const dir = await Deno.makeTempDir();
    const s = await serve();
    let served: string[];
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
      try {
        await writeAll(conn, await m320Stream());
        await until(
          async () => (await s.sql`SELECT count(*)::int AS n FROM route_history`)[0].n >= M320_NLRI,
          300_000,
          `${M320_NLRI} history rows`,
        );
        // The connection stays open: a router that leaves takes its routes with it.
        const { totals } = await exportTo(s.sql, `${dir}/m320.mrt`);
        served = await expected(s.sql);
        assertEquals(totals.routes, served.length);
      } finally {
        conn.close();
      }
    } finally {
      await s.stop();
    }
    try {
      assert(served.length > 700_000, `only ${served.length} routes served`);
      const r = await importCommand(sql, [`${dir}/m320.mrt`, "--router", "m320"]);
      assertEquals(r.code, 0, r.err.join("\n"));
      assertEquals(JSON.parse(r.out[0]).errors, 0);
      const imported = await expected(sql);
      assertEquals(imported.length, served.length);
      assertEquals(imported, served);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
