import type { Sql } from "postgres";
import { assert, assertEquals } from "../_assert.ts";
import { shared, sharedFiles } from "../_data.ts";
import { forEachRoute } from "../../src/bgp/routes.ts";
import type { BmpMessage } from "../../src/bmp/message.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { migrate } from "../../src/store/migrate.ts";
import { routeKeyOf } from "../../src/store/rows/route.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { DATABASE_URL, dbTest } from "./_db.ts";

const LAB = "bmp/gobgp-frr-lab/";
const captures = sharedFiles(LAB, /\.bmp$/).map((p) => p.slice(p.lastIndexOf("/") + 1));

interface Expected {
  /** view|afi|safi → [announced, withdrawn] history rows. */
  history: Map<string, [number, number]>;
  /** view|afi|safi → [rib rows, rib rows not withdrawn]. */
  rib: Map<string, [number, number]>;
  /** Sorted EVPN history tuples. */
  evpn: string[];
  stats: number;
  peerEvents: number;
}

function view(h: { peerType: number; rd?: string; address: string }, post: boolean, out: boolean) {
  return `${h.peerType}|${h.rd ?? ""}|${h.address}|${post}|${out}`;
}

function evpnTuple(
  v: string,
  withdrawn: boolean,
  e: Record<string, unknown>,
): string {
  return JSON.stringify([
    v,
    withdrawn,
    e.routeType,
    e.esi ?? null,
    e.ethernetTag ?? null,
    e.mac ?? null,
    e.ip || null,
    e.prefix ?? null,
    e.gateway ?? null,
    (e.labels as number[] | undefined) ?? null,
  ]);
}

/** What the decoder says the store must hold after `messages`. */
function expected(messages: BmpMessage[]): Expected {
  const history = new Map<string, [number, number]>();
  const state = new Map<string, { fam: string; withdrawn: boolean; peer: string }>();
  const evpn: string[] = [];
  let stats = 0;
  let peerEvents = 0;
  for (const m of messages) {
    if (m.kind === "statistics_report") stats += m.stats.length;
    if (m.kind === "peer_up" || m.kind === "peer_down") peerEvents++;
    if (m.kind === "peer_down") {
      const peer = `${m.peer.peerType}|${m.peer.rd ?? ""}|${m.peer.address}`;
      for (const s of state.values()) if (s.peer === peer) s.withdrawn = true;
    }
    if (m.kind !== "route_monitoring") continue;
    const v = view(m.peer, m.peer.postPolicy, m.peer.adjRibOut);
    const peer = `${m.peer.peerType}|${m.peer.rd ?? ""}|${m.peer.address}`;
    forEachRoute(m.update, (afi, safi, withdrawn, n) => {
      // Treat-as-withdraw in pre-policy Adj-RIB-In views only (issue 10); the lab captures
      // have no RFC 7606 problem, so their counts are the same under the old rule.
      const held = m.peer.peerType === 3 || m.peer.postPolicy || m.peer.adjRibOut;
      const w = withdrawn || (m.update.treatAsWithdraw === true && !held);
      const fam = `${v}|${afi}|${safi}`;
      const c = history.get(fam) ?? [0, 0];
      c[w ? 1 : 0]++;
      history.set(fam, c);
      state.set(`${fam}|${n.rd ?? ""}|${n.pathId ?? 0}|${routeKeyOf(n)}`, {
        fam,
        withdrawn: w,
        peer,
      });
      if (n.evpn) evpn.push(evpnTuple(v, w, n.evpn as unknown as Record<string, unknown>));
    });
  }
  const rib = new Map<string, [number, number]>();
  for (const s of state.values()) {
    const c = rib.get(s.fam) ?? [0, 0];
    c[0]++;
    if (!s.withdrawn) c[1]++;
    rib.set(s.fam, c);
  }
  return { history, rib, evpn: evpn.sort(), stats, peerEvents };
}

async function load(sql: Sql, file: string, routerKey: string, filter = (_m: BmpMessage) => true) {
  const bytes = await Deno.readFile(shared(LAB + file));
  const messages: BmpMessage[] = [];
  for (const it of readBmpStream(bytes)) {
    if (it.message && filter(it.message)) messages.push(it.message);
  }
  const writer = await StoreWriter.open(sql, { lanes: 2, batchRows: 500 });
  const routerId = await writer.router(routerKey, "127.0.0.1");
  for (const m of messages) {
    const wait = writer.write(routerId, m);
    if (wait) await wait;
  }
  await writer.flush();
  return { writer, routerId, messages };
}

async function stored(sql: Sql, routerId: number) {
  const viewSql = sql`p.peer_type || '|' || p.rd || '|' || host(p.address) || '|' ||
    p.post_policy || '|' || p.adj_rib_out`;
  const h = await sql`SELECT ${viewSql} || '|' || h.afi || '|' || h.safi AS k,
      count(*) FILTER (WHERE NOT h.withdrawn)::int AS a,
      count(*) FILTER (WHERE h.withdrawn)::int AS w
    FROM route_history h JOIN peers p ON p.id = h.peer_id WHERE p.router_id = ${routerId}
    GROUP BY 1`;
  const r = await sql`SELECT ${viewSql} || '|' || r.afi || '|' || r.safi AS k,
      count(*)::int AS n, count(*) FILTER (WHERE NOT r.withdrawn)::int AS live
    FROM rib r JOIN peers p ON p.id = r.peer_id WHERE p.router_id = ${routerId} GROUP BY 1`;
  const e = await sql`SELECT ${viewSql} AS v, h.withdrawn, h.evpn_route_type AS t,
      h.evpn_esi AS esi, h.evpn_ethernet_tag AS tag, h.evpn_mac::text AS mac,
      host(h.evpn_ip) AS ip, h.prefix::text AS prefix, host(h.evpn_gateway) AS gw, h.labels
    FROM route_history h JOIN peers p ON p.id = h.peer_id
    WHERE p.router_id = ${routerId} AND h.afi = 25 AND h.safi = 70`;
  return {
    history: new Map(h.map((x) => [x.k as string, [x.a, x.w] as [number, number]])),
    rib: new Map(r.map((x) => [x.k as string, [x.n, x.live] as [number, number]])),
    evpn: e.map((x) =>
      JSON.stringify([
        x.v,
        x.withdrawn,
        x.t,
        x.esi,
        x.tag === null ? null : Number(x.tag),
        x.mac,
        x.ip,
        // EVPN type 2 host routes are stored as /32 or /128 (Nlri.prefix); the decoder's
        // EvpnRoute.prefix is only set for type 5.
        x.t === 5 ? x.prefix : null,
        x.gw,
        x.labels,
      ])
    ).sort(),
  };
}

function sorted<V>(m: Map<string, V>): [string, V][] {
  return [...m].sort(([a], [b]) => a.localeCompare(b));
}

function capturesTest(name: string, fn: (sql: Sql) => Promise<void>) {
  if (captures.length === 0) {
    Deno.test({
      name: `${name} (ignored: ../shared/data/${LAB} not present)`,
      ignore: true,
      fn() {},
    });
  } else dbTest(name, fn);
}

capturesTest(
  "StoreWriter stores the gobgp-frr-lab captures as the decoder counts them",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    for (const file of captures) {
      const { writer, routerId, messages } = await load(sql, file, file);
      await writer.close();
      const want = expected(messages);
      const got = await stored(sql, routerId);
      assertEquals(sorted(got.history), sorted(want.history), `${file}: history`);
      assertEquals(sorted(got.rib), sorted(want.rib), `${file}: rib`);
      assertEquals(got.evpn, want.evpn, `${file}: EVPN fields`);
      const [s] = await sql`SELECT
          (SELECT count(*)::int FROM stats_reports WHERE router_id = ${routerId}) AS stats,
          (SELECT count(*)::int FROM peer_events WHERE router_id = ${routerId}) AS events,
          (SELECT sys_name FROM routers WHERE id = ${routerId}) AS sys_name`;
      assertEquals(s.stats, want.stats, `${file}: statistics`);
      assertEquals(s.events, want.peerEvents, `${file}: peer events`);
      assert(s.sys_name, `${file}: sysName from Initiation`);
      if (file.includes("mirror")) {
        const [m] = await sql`SELECT count(*)::int AS n FROM route_mirroring
          WHERE router_id = ${routerId}`;
        assertEquals(m.n, messages.filter((x) => x.kind === "route_mirroring").length);
      }
    }
    // The views answer over what was loaded.
    const [v] = await sql`SELECT (SELECT count(*)::int FROM v_routes) AS routes,
      (SELECT count(*)::int FROM v_evpn_routes) AS evpn,
      (SELECT count(*)::int FROM v_route_history) AS history,
      (SELECT count(*)::int FROM route_history) AS raw_history`;
    assertEquals(v.history, v.raw_history);
  },
);

capturesTest("StoreWriter: Peer Down marks every route of the peer withdrawn", async (sql) => {
  await migrate(sql, { timescaledb: false });
  const file = "gobgp-3.10-pre-100.bmp";
  const { writer, routerId, messages } = await load(
    sql,
    file,
    "r1",
    (m) => m.kind !== "peer_down" && m.kind !== "termination",
  );
  const want = expected(messages);
  const live = [...want.rib.values()].reduce((n, [, l]) => n + l, 0);
  assert(live > 0);
  const before = await sql`SELECT count(*)::int AS n FROM rib WHERE NOT withdrawn`;
  assertEquals(before[0].n, live);
  const down = [...readBmpStream(await Deno.readFile(shared(LAB + file)))]
    .map((i) => i.message).find((m) => m?.kind === "peer_down")!;
  writer.write(routerId, down);
  await writer.close();
  const [r] = await sql`SELECT
      (SELECT count(*)::int FROM rib WHERE NOT withdrawn) AS live,
      (SELECT count(*)::int FROM rib WHERE withdrawn AND withdrawn_time IS NOT NULL) AS gone,
      (SELECT count(*)::int FROM route_history) AS history`;
  assertEquals(r.live, 0);
  assertEquals(r.gone, [...want.rib.values()].reduce((n, [c]) => n + c, 0));
  // One UPDATE, not a withdrawal row per route.
  assertEquals(r.history, [...want.history.values()].reduce((n, [a, w]) => n + a + w, 0));
  const [e] = await sql`SELECT event, reason, routes_withdrawn::int AS n, p.state
    FROM peer_events JOIN peers p ON p.id = peer_events.peer_id
    WHERE event = 'down'`;
  assertEquals([e.event, e.reason, e.n, e.state], ["down", 3, live, "down"]);
});

if (DATABASE_URL) {
  dbTest(
    "StoreWriter.routerDown() marks the routes of every peer of the router withdrawn",
    async (sql) => {
      await migrate(sql, { timescaledb: false });
      if (captures.length === 0) return;
      const { writer, routerId } = await load(
        sql,
        "gobgp-3.10-pre-100.bmp",
        "r1",
        (m) => m.kind !== "peer_down" && m.kind !== "termination",
      );
      await writer.routerDown(routerId);
      await writer.close();
      const [r] = await sql`SELECT (SELECT count(*)::int FROM rib WHERE NOT withdrawn) AS live,
      (SELECT connected FROM routers WHERE id = ${routerId}) AS connected,
      (SELECT count(*)::int FROM peer_events WHERE reason_name = 'router_disconnected') AS ev`;
      assertEquals([r.live, r.connected, r.ev > 0], [0, false, true]);
    },
  );
}
