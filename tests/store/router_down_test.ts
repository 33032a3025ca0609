/**
 * A router's end (`StoreWriter.routerDown`) comes after what the router sent before it:
 * its Peer Downs are the peers' own down events, and a replay that reads a connection
 * again leaves the router disconnected.
 */

import { assert, assertEquals } from "../_assert.ts";
import { fixtureMessages } from "../_data.ts";
import { migrate } from "../../src/store/migrate.ts";
import { storable } from "../../src/store/pg_text.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { dbTest } from "./_db.ts";

dbTest(
  "routerDown right after the router's Peer Downs leaves them their down events",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    // The FRR capture ends with a Peer Down of each of its two views, then the connection.
    const messages = await fixtureMessages("gobgp-frr-lab/frr-8.4-prepost-1k.bmp");
    assertEquals(messages.slice(-2).map((m) => m.kind), ["peer_down", "peer_down"]);
    const w = await StoreWriter.open(sql);
    // Which of the two went first was a race, lost about one time in three: five routers.
    for (let r = 1; r <= 5; r++) {
      const id = await w.router(`127.0.0.${r}`, `127.0.0.${r}`);
      for (const m of messages) {
        const wait = w.write(id, storable(m));
        if (wait) await wait;
      }
      await w.routerDown(id); // at once: the Peer Downs are still being written
    }
    await w.close();
    const events = await sql`SELECT p.post_policy, e.reason_name, e.routes_withdrawn::int AS n
      FROM peer_events e JOIN peers p ON p.id = e.peer_id JOIN routers r ON r.id = p.router_id
      WHERE e.event = 'down' AND r.key = '127.0.0.1' ORDER BY e.time DESC, p.post_policy LIMIT 2`;
    assertEquals(events.map((e) => e.reason_name), ["remote_notification", "remote_notification"]);
    assert(
      events.some((e) => e.n > 0),
      `the Peer Down withdrew the routes: ${JSON.stringify(events)}`,
    );
    const [{ down }] = await sql`SELECT count(*)::int AS down FROM peer_events
    WHERE reason_name = 'router_disconnected'`;
    assertEquals(down, 0, "no peer was still up when the router went");
  },
);

dbTest(
  "a connection read again after its end was stored leaves the router disconnected",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    const messages = await fixtureMessages("gobgp-frr-lab/gobgp-3.10-pre-100.bmp");
    const write = async (w: StoreWriter) => {
      const id = await w.router("192.0.2.1", "192.0.2.1");
      for (const [i, m] of messages.entries()) {
        const wait = w.write(id, storable(m), undefined, i + 1);
        if (wait) await wait;
      }
      await w.routerDown(id, messages.length + 1);
      await w.close();
    };
    await write(await StoreWriter.open(sql));
    const before = await sql`SELECT connected, (SELECT count(*)::int FROM route_history) AS h
    FROM routers`;
    // The same spool numbers again (a spool or a stream replayed from its start).
    await write(await StoreWriter.open(sql));
    const after = await sql`SELECT connected, (SELECT count(*)::int FROM route_history) AS h
    FROM routers`;
    assertEquals(before[0].connected, false);
    assertEquals([...after], [...before], "nothing written twice, still disconnected");
  },
);
