import type { Sql } from "postgres";
import { assert, assertEquals } from "../_assert.ts";
import { fixtureMessages } from "../_data.ts";
import { forEachRoute } from "../../src/bgp/routes.ts";
import type { BmpMessage, RouteMonitoringMessage } from "../../src/bmp/message.ts";
import { migrate } from "../../src/store/migrate.ts";
import { routeKeyOf } from "../../src/store/rows/route.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { dbTest } from "./_db.ts";

/** The GoBGP capture's Peer Ups and Route Monitoring messages (not its final Peer Down). */
async function gobgpMessages(): Promise<BmpMessage[]> {
  return (await fixtureMessages("gobgp-frr-lab/gobgp-3.10-pre-100.bmp"))
    .filter((m) => m.kind === "peer_up" || m.kind === "route_monitoring");
}

/** Distinct route identities (view-independent: the capture has one view) and NLRI. */
function routesOf(messages: BmpMessage[]): { keys: Set<string>; nlri: number } {
  const keys = new Set<string>();
  let nlri = 0;
  for (const m of messages) {
    if (m.kind !== "route_monitoring") continue;
    forEachRoute(m.update, (afi, safi, _w, n) => {
      nlri++;
      keys.add(`${afi}|${safi}|${n.rd ?? ""}|${n.pathId ?? 0}|${routeKeyOf(n)}`);
    });
  }
  return { keys, nlri };
}

/** The same message one hour later (the store's times come from the per-peer header). */
function later(m: BmpMessage): BmpMessage {
  if (m.kind !== "route_monitoring") return m;
  return { ...m, peer: { ...m.peer, tsSec: m.peer.tsSec + 3600 } } as RouteMonitoringMessage;
}

async function writeAll(writer: StoreWriter, routerId: number, messages: BmpMessage[]) {
  for (const m of messages) {
    const wait = writer.write(routerId, m);
    if (wait) await wait;
  }
  await writer.flush();
}

async function ribTimes(sql: Sql) {
  return await sql`SELECT count(*)::int AS n,
      count(*) FILTER (WHERE first_seen < last_change)::int AS changed,
      count(DISTINCT peer_id)::int AS views FROM rib`;
}

dbTest(
  "first load: a new view's routes take the plain insert, routes seen again the upsert",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    const messages = await gobgpMessages();
    const { keys, nlri } = routesOf(messages);
    // Small batches: a route's later announcements land in other batches of its lane.
    const writer = await StoreWriter.open(sql, { lanes: 2, batchRows: 5 });
    const routerId = await writer.router("192.0.2.1", "192.0.2.1");
    await writeAll(writer, routerId, messages);
    assertEquals(writer.stats.firstLoadRoutes, keys.size);
    assertEquals(writer.stats.firstLoadMisses, 0);
    // The whole table again, an hour later: every route is known, none is inserted anew.
    await writeAll(writer, routerId, messages.map(later));
    assertEquals(writer.stats.firstLoadRoutes, keys.size);
    assertEquals(writer.stats.firstLoadMisses, 0);
    await writer.close();
    const [rib] = await ribTimes(sql);
    assertEquals(rib.views, 1);
    assertEquals(rib.n, keys.size);
    assertEquals(rib.changed, keys.size, "every route's last change is the second pass");
    const [{ n }] = await sql`SELECT count(*)::int AS n FROM route_history`;
    assertEquals(n, 2 * nlri);
  },
);

// batchRows 5: the batch mixes routes seen before (the upsert) with new ones (the plain
// insert); 10,000: the rest in one batch, whose insert then fails.
for (const batchRows of [5, 10_000]) {
  dbTest(
    `first load: a route taken for new but already in the RIB sends its batch through the upsert (batches of ${batchRows})`,
    async (sql) => {
      await migrate(sql, { timescaledb: false });
      const messages = await gobgpMessages();
      const { keys } = routesOf(messages);
      const firstRoute = messages.findIndex((m) => m.kind === "route_monitoring");
      const writer = await StoreWriter.open(sql, { lanes: 1, batchRows });
      const routerId = await writer.router("192.0.2.1", "192.0.2.1");
      // The view is registered (its RIB empty) and its first routes committed.
      await writeAll(writer, routerId, messages.slice(0, firstRoute + 1));
      assert(writer.stats.firstLoadRoutes > 0);
      // Someone else (another collector, a hand-made row) writes a route the router is about
      // to announce.
      const rest = messages.slice(firstRoute + 1);
      let next: { afi: number; safi: number; key: string } | undefined;
      for (const m of rest) {
        if (m.kind !== "route_monitoring" || next) continue;
        forEachRoute(m.update, (afi, safi, w, n) => {
          if (!w && !next && safi === 1) next = { afi, safi, key: routeKeyOf(n) };
        });
      }
      assert(next, "the capture announces more unicast routes");
      const [{ id }] = await sql`SELECT DISTINCT peer_id AS id FROM rib`;
      await sql`INSERT INTO rib (peer_id, afi, safi, rd, route_key, path_id, prefix, first_seen,
        last_change)
      VALUES (${id}, ${next.afi}, ${next.safi}, '', ${next.key}, 0, ${next.key}::inet,
        '2000-01-01', '2000-01-01')`;
      await writeAll(writer, routerId, rest);
      await writer.close();
      assertEquals(writer.stats.errors, 0);
      assertEquals(writer.stats.firstLoadMisses, 1);
      if (batchRows > 5) {
        // Only the first message's routes went in by the first load: the failed batch's new
        // routes went through the upsert.
        const first = routesOf(messages.slice(0, firstRoute + 1)).keys.size;
        assertEquals(writer.stats.firstLoadRoutes, first);
      }
      const [rib] = await ribTimes(sql);
      assertEquals(rib.n, keys.size);
      const [row] = await sql`SELECT first_seen, last_change, attr_id FROM rib
      WHERE route_key = ${next.key}`;
      assertEquals(row.first_seen.toISOString(), "2000-01-01T00:00:00.000Z");
      assert(row.last_change > row.first_seen && row.attr_id !== null, "the upsert updated it");
    },
  );
}

dbTest("first load: a view with routes in the RIB already starts on the upsert", async (sql) => {
  await migrate(sql, { timescaledb: false });
  const messages = await gobgpMessages();
  const { keys } = routesOf(messages);
  const first = await StoreWriter.open(sql, { lanes: 2, batchRows: 5 });
  await writeAll(first, await first.router("192.0.2.1", "192.0.2.1"), messages);
  await first.close();
  // A collector restart: a new writer, the same router and views.
  const second = await StoreWriter.open(sql, { lanes: 2, batchRows: 5 });
  await writeAll(second, await second.router("192.0.2.1", "192.0.2.1"), messages.map(later));
  await second.close();
  assertEquals(second.stats.firstLoadRoutes, 0);
  assertEquals(second.stats.firstLoadMisses, 0);
  const [rib] = await ribTimes(sql);
  assertEquals([rib.n, rib.changed], [keys.size, keys.size]);
});

dbTest(
  "first load: a new route announced twice in one batch keeps its first time as first_seen",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    const messages = await gobgpMessages();
    const { keys } = routesOf(messages);
    // One batch holds both passes: the stage keeps each route's last row, yet the route
    // was first seen at the first (a replayed archive, or a router re-sending a route in
    // its table dump, gave the later time before).
    const writer = await StoreWriter.open(sql, { lanes: 1, batchRows: 1_000_000, flushMs: 60_000 });
    const routerId = await writer.router("192.0.2.1", "192.0.2.1");
    await writeAll(writer, routerId, [...messages, ...messages.map(later)]);
    await writer.close();
    assertEquals(writer.stats.batches, 1);
    const [rib] = await ribTimes(sql);
    assertEquals(rib.n, keys.size);
    assertEquals(rib.changed, keys.size, "first_seen is the first pass, last_change the second");
    const [{ hours }] = await sql`SELECT min(extract(epoch FROM last_change - first_seen)
      / 3600)::int AS hours FROM rib`;
    assertEquals(hours, 1);
  },
);

dbTest(
  "first load: a new route withdrawn in the batch of its announcement keeps its attributes",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    // Every message, withdrawals too: one router writes them in one batch, another one
    // route per batch. A withdrawn route keeps its last announcement's attribute set either
    // way (the stage holds the last row; it lost the set when both came in one batch).
    const messages = (await fixtureMessages("gobgp-frr-lab/gobgp-3.10-pre-100.bmp"))
      .filter((m) => m.kind === "peer_up" || m.kind === "route_monitoring");
    const one = await StoreWriter.open(sql, { lanes: 1, batchRows: 1_000_000, flushMs: 60_000 });
    await writeAll(one, await one.router("192.0.2.1", "192.0.2.1"), messages);
    await one.close();
    const many = await StoreWriter.open(sql, { lanes: 1, batchRows: 1 });
    await writeAll(many, await many.router("192.0.2.2", "192.0.2.2"), messages);
    await many.close();
    assertEquals(one.stats.batches, 1);
    const rows = (key: string) =>
      sql`SELECT b.route_key, b.withdrawn, b.attr_id::text, b.origin_as::text, b.labels
        FROM rib b JOIN peers p ON p.id = b.peer_id JOIN routers r ON r.id = p.router_id
        WHERE r.key = ${key} ORDER BY b.route_key, b.path_id`;
    const a = await rows("192.0.2.1");
    const withdrawn = a.filter((r) => r.withdrawn);
    assert(withdrawn.length > 0, "the capture withdraws routes it announced");
    assert(withdrawn.every((r) => r.attr_id !== null), "withdrawn routes keep their set");
    assertEquals([...a], [...await rows("192.0.2.2")]);
  },
);
