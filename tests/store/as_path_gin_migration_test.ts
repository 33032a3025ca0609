/**
 * Migration 0016 drops the GIN on `path_attrs (as_path)` from a database of 0015 in place:
 * the attribute sets and routes stay, and "routes through an AS", as README writes it
 * (`x = ANY (as_path)`) and as `@>` writes it, gives the same routes as before.
 *
 * @module
 */

import { migrate } from "../../src/store/migrate.ts";
import { assert, assertEquals } from "../_assert.ts";
import { dbTest } from "./_db.ts";
import { migrateBefore, storeLabRoutes } from "./_migrations.ts";

dbTest(
  "migration 0016: the as_path GIN goes, the routes through an AS stay the same",
  async (sql) => {
    await migrateBefore(sql, "0016_drop_as_path_gin.sql");
    await storeLabRoutes(sql, "gobgp-frr-lab/frr-8.4-prepost-1k.bmp");
    const index = async () =>
      (await sql`SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'path_attrs_as_path'`)[
        0
      ]
        .n;
    assertEquals(await index(), 1);
    // The most common AS in the paths, and the routes through it, both ways of asking.
    const [{ asn }] = await sql`SELECT x AS asn FROM path_attrs, unnest(as_path) x
    GROUP BY x ORDER BY count(*) DESC, x LIMIT 1`;
    const through = async () => {
      const [r] = await sql`SELECT
      (SELECT md5(string_agg(prefix::text || '|' || peer::text, ',' ORDER BY prefix, peer))
         FROM v_routes WHERE ${asn}::bigint = ANY (as_path)) AS any,
      (SELECT md5(string_agg(prefix::text || '|' || peer::text, ',' ORDER BY prefix, peer))
         FROM v_routes WHERE as_path @> ARRAY[${asn}::bigint]) AS contains,
      (SELECT count(*)::int FROM v_routes WHERE ${asn}::bigint = ANY (as_path)) AS n,
      (SELECT count(*)::int FROM path_attrs) AS sets`;
      return { ...r };
    };
    const before = await through();
    assert(before.n > 100, `only ${before.n} routes through AS ${asn}`);
    assertEquals(before.any, before.contains);
    const r = await migrate(sql);
    assertEquals(r.applied[0], "0016_drop_as_path_gin.sql");
    assertEquals(await index(), 0);
    assertEquals(await through(), before);
  },
);
