import { assert, assertEquals } from "../_assert.ts";
import { fixtureMessages } from "../_data.ts";
import { migrate } from "../../src/store/migrate.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { dbTest } from "./_db.ts";

dbTest(
  "routes of a peer being looked up hold their sender back (memory stays bounded)",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    const messages = await fixtureMessages("gobgp-frr-lab/gobgp-3.10-pre-100.bmp");
    const routeMessages = messages.filter((m) => m.kind === "route_monitoring").length;
    assert(routeMessages > 50, `capture has ${routeMessages} Route Monitoring messages`);
    // Tiny batches, one lane: the store lags from the first batch on. At most one message
    // may wait for a lookup (the default bound, 4,096, is more than this capture holds).
    const writer = await StoreWriter.open(sql, { lanes: 1, batchRows: 5, maxWaiting: 1 });
    const routerId = await writer.router("192.0.2.1", "192.0.2.1");
    let maxWaiting = 0;
    // A sender that respects backpressure, as the collector's connections and spool do.
    for (const m of messages) {
      const wait = writer.write(routerId, m);
      maxWaiting = Math.max(maxWaiting, writer.waiting);
      if (wait) await wait;
    }
    await writer.close();
    // Before the fix, every message after the first one of a peer being looked up was
    // accepted at once and chained in memory: the whole capture waited (a full table:
    // hundreds of MiB).
    assert(maxWaiting <= 1, `${maxWaiting} messages waited in memory for a peer lookup`);
    const [{ n }] = await sql`SELECT count(*)::int AS n FROM route_history`;
    assertEquals(n, 134);
  },
);
