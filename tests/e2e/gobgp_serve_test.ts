/**
 * Acceptance: a real router end to end into PostgreSQL. gobgpd A monitors its session
 * with gobgpd B over BMP (pre-policy, post-policy and Loc-RIB) into `bmpmon serve`; B
 * announces IPv4, IPv6 and EVPN routes, withdraws some and shuts the session. At each
 * phase the database (v_routes, v_evpn_routes, v_route_history, v_peers, routers) must
 * match what was injected, view by view. Needs DATABASE_URL and `gobgpd`/`gobgp` on PATH;
 * otherwise the test is registered as ignored, saying why.
 *
 * @module
 */

import type postgres from "postgres";
import { assert, assertEquals } from "../_assert.ts";
import {
  expectedViews,
  familyKey,
  gobgpAvailable,
  type InjectedRoute,
  type LabView,
  type PhaseInfo,
  POLICY_COMMUNITY,
  runGobgpScenario,
  type ScenarioResult,
} from "./_gobgp.ts";
import { dbTest, serve, until } from "./_serve.ts";

const VIEWS = ["pre", "post", "locRib"] as const;

/** SQL: the BMP view of a row of v_routes / v_route_history. */
const VIEW_SQL = `CASE WHEN peer_type = 3 THEN 'locRib'
  WHEN peer_type = 0 AND NOT adj_rib_out AND post_policy THEN 'post'
  WHEN peer_type = 0 AND NOT adj_rib_out THEN 'pre' ELSE 'other' END`;

/** SQL: a prefix as `addr/len` (inet's text form drops /32 and /128). */
const PFX = (c: string) => `(host(${c}) || '/' || masklen(${c}))`;

/** SQL: `familyKey()` of a row of v_routes / v_route_history, in `InjectedRoute.key` form. */
const KEY_SQL = `CASE
  WHEN afi = 25 AND safi = 70 THEN 'l2vpn_evpn|' || evpn_route_type || '|' ||
    coalesce(rd, '') || '|' || evpn_ethernet_tag || '|' || CASE evpn_route_type
      WHEN 2 THEN evpn_mac::text || '|' || coalesce(host(evpn_ip), '')
      WHEN 3 THEN coalesce(host(evpn_ip), '')
      ELSE coalesce(${PFX("prefix")}, '') END
  WHEN afi = 1 AND safi = 1 THEN 'ipv4_unicast|' || ${PFX("prefix")}
  WHEN afi = 2 AND safi = 1 THEN 'ipv6_unicast|' || ${PFX("prefix")}
  ELSE 'afi' || afi || '_safi' || safi || '|' || coalesce(${PFX("prefix")}, '') END`;

type Sql = postgres.Sql;
type ByView<T> = Record<LabView | "other", T>;

function byView<T>(make: () => T): ByView<T> {
  return { pre: make(), post: make(), locRib: make(), other: make() };
}

const sorted = (keys: Iterable<string>) => [...keys].sort();
const minus = (a: Set<string>, b: Set<string>) => new Set([...a].filter((k) => !b.has(k)));

/** Live routes (v_routes) per view, `familyKey` → row. */
async function liveRoutes(sql: Sql): Promise<ByView<Map<string, postgres.Row>>> {
  const out = byView(() => new Map<string, postgres.Row>());
  const rows = await sql.unsafe(`
    SELECT ${VIEW_SQL} AS view, ${KEY_SQL} AS key, host(next_hop) AS next_hop,
      med::int AS med, communities, large_communities, ext_communities, origin_as::int,
      as_path_text, labels, host(evpn_gateway) AS gateway, evpn_esi
    FROM v_routes`);
  for (const r of rows) {
    const m = out[r.view as LabView | "other"];
    assert(!m.has(r.key), `${r.view} ${r.key}: one live row`);
    m.set(r.key, r);
  }
  return out;
}

/** History per view: `familyKey` → [announcements, withdrawals]. */
async function history(sql: Sql): Promise<ByView<Map<string, [number, number]>>> {
  const out = byView(() => new Map<string, [number, number]>());
  const rows = await sql.unsafe(`
    SELECT ${VIEW_SQL} AS view, ${KEY_SQL} AS key,
      count(*) FILTER (WHERE action = 'announce')::int AS ann,
      count(*) FILTER (WHERE action = 'withdraw')::int AS wd,
      count(*) FILTER (WHERE action = 'treat-as-withdraw')::int AS taw
    FROM v_route_history GROUP BY 1, 2`);
  for (const r of rows) {
    assertEquals(r.taw, 0, `${r.view} ${r.key}: no treat-as-withdraw`);
    out[r.view as LabView | "other"].set(r.key, [r.ann, r.wd]);
  }
  return out;
}

const keysWith = (m: Map<string, [number, number]>, i: 0 | 1) =>
  new Set([...m].filter(([, c]) => c[i] > 0).map(([k]) => k));

/** Checks the stored attributes of one live route of a view against what B injected. */
function checkRoute(view: LabView, r: InjectedRoute, row: postgres.Row): void {
  const where = `${view} ${familyKey(r)}`;
  assertEquals(row.next_hop, r.nextHop, `${where}: next hop`);
  assertEquals(row.med ?? undefined, r.med, `${where}: MED`);
  const want = view === "pre" ? r.communities : [...r.communities, POLICY_COMMUNITY];
  assertEquals(row.communities ?? [], want, `${where}: communities`);
  assertEquals(row.large_communities ?? [], r.largeCommunities, `${where}: large communities`);
  assertEquals([row.origin_as, row.as_path_text], [65002, "65002"], `${where}: AS path`);
  if (!r.evpn) return;
  const e = r.evpn;
  assertEquals(row.ext_communities, e.routeTargets.map((rt) => `rt:${rt}`), `${where}: RTs`);
  if (e.routeType !== 3) {
    assertEquals(row.labels, e.labels, `${where}: labels`);
    assertEquals(row.evpn_esi, "00:00:00:00:00:00:00:00:00:00", `${where}: ESI`);
  }
  if (e.routeType === 5) assertEquals(row.gateway, e.gateway, `${where}: gateway`);
}

/** The EVPN routes of a view as v_evpn_routes shows them, in `InjectedRoute.key` form. */
async function evpnKeys(sql: Sql, view: LabView): Promise<string[]> {
  const rows = await sql.unsafe(`
    SELECT route_type, rd, ethernet_tag::int AS etag, mac::text AS mac, host(ip) AS ip,
      ${PFX("prefix")} AS prefix
    FROM v_evpn_routes
    WHERE ${
    VIEW_SQL.replaceAll("peer_type = 3", "loc_rib").replaceAll("peer_type = 0", "NOT loc_rib")
  } = '${view}'`);
  return sorted(
    rows.map((r) =>
      r.route_type === 2
        ? `2|${r.rd}|${r.etag}|${r.mac}|${r.ip ?? ""}`
        : r.route_type === 3
        ? `3|${r.rd}|${r.etag}|${r.ip}`
        : `${r.route_type}|${r.rd}|${r.etag}|${r.prefix}`
    ),
  );
}

/** Phase "withdrawn": the session is up, every view holds exactly the remaining routes. */
async function checkWhileUp(sql: Sql, info: PhaseInfo, deferred: string[]): Promise<void> {
  const want = expectedViews(info);
  const byKey = new Map(info.routes.map((r) => [familyKey(r), r]));
  await until(
    async () => {
      const [live, hist] = [await liveRoutes(sql), await history(sql)];
      return VIEWS.every((v) =>
        sorted(live[v].keys()).join() ===
          sorted(minus(want[v].announced, want[v].withdrawnBySource)).join() &&
        keysWith(hist[v], 1).size === want[v].withdrawnBySource.size
      );
    },
    Math.min(15_000, info.remainingMs - 20_000),
    "the database to show every view after B's withdrawals",
  ).catch(() => console.warn("views not settled in time; checking what is stored"));
  const [live, hist] = [await liveRoutes(sql), await history(sql)];
  assertEquals(live.other.size + hist.other.size, 0, "only pre, post-policy and Loc-RIB views");
  for (const v of VIEWS) {
    const w = want[v];
    assertEquals(
      sorted(live[v].keys()),
      sorted(minus(w.announced, w.withdrawnBySource)),
      `${v}: live routes in v_routes`,
    );
    for (const [key, row] of live[v]) checkRoute(v, byKey.get(key)!, row);
    assertEquals(sorted(hist[v].keys()), sorted(w.announced), `${v}: routes in history`);
    for (const [key, [ann]] of hist[v]) assertEquals(ann, 1, `${v} ${key}: one announcement`);
    assertEquals(sorted(keysWith(hist[v], 1)), sorted(w.withdrawnBySource), `${v}: withdrawals`);
    const evpn = [...w.announced].filter((k) => k.startsWith("l2vpn_evpn|"))
      .filter((k) => !w.withdrawnBySource.has(k)).map((k) => k.slice("l2vpn_evpn|".length));
    assertEquals(await evpnKeys(sql, v), sorted(evpn), `${v}: v_evpn_routes`);
  }
  // Every view of the peer is up while its session is (Peer Up updates "every view of the
  // peer", migrations/0001_core.sql). The Loc-RIB view never gets a Peer Up from GoBGP.
  // Checked last and reported at the end, so that the later phases are still checked.
  const peers = await sql`SELECT peer_type, post_policy, host(address) AS address, asn::int,
    state FROM v_peers ORDER BY peer_type, post_policy`;
  const got = peers.map((p) => [p.peer_type, p.post_policy, p.address, p.asn, p.state]);
  const wantPeers = [
    [0, false, info.routerB.address, info.routerB.asn, "up"],
    [0, true, info.routerB.address, info.routerB.asn, "up"],
    [3, false, "0.0.0.0", info.routerA.asn, "unknown"],
  ];
  if (JSON.stringify(got) !== JSON.stringify(wantPeers)) {
    deferred.push(
      `v_peers while the session is up: [type, post_policy, address, asn, state] were ${
        JSON.stringify(got)
      }, want ${JSON.stringify(wantPeers)}`,
    );
  }
}

/** Phase "peer-down": the peer is down, and no view has live routes left. */
async function checkPeerDown(sql: Sql, info: PhaseInfo, shutdownText: string): Promise<void> {
  const want = expectedViews(info);
  const live = async () => (await sql`SELECT count(*)::int AS n FROM v_routes`)[0].n as number;
  const downViews = async () =>
    (await sql`SELECT count(*)::int AS n FROM v_peers WHERE peer_type = 0 AND state = 'down'`)[0]
      .n as number;
  await until(
    async () => (await downViews()) === 2 && (await live()) === 0,
    Math.min(15_000, info.remainingMs - 10_000),
    "Peer Down and the withdrawal of every route",
  ).catch(() => console.warn("Peer Down not settled in time; checking what is stored"));
  const peers = await sql`SELECT peer_type, post_policy, state, down_reason,
    down_notification, routes::int FROM v_peers ORDER BY peer_type, post_policy`;
  for (const p of peers.filter((p) => p.peer_type === 0)) {
    const n = p.down_notification as Record<string, unknown> | null;
    assertEquals(
      [p.state, p.down_reason, n?.code, n?.subcode, n?.shutdownCommunication],
      ["down", 3, 6, 2, shutdownText],
      `v_peers ${p.post_policy ? "post" : "pre"}-policy: down, reason 3, Cease / Admin Shutdown`,
    );
  }
  assertEquals(peers.map((p) => p.routes), [0, 0, 0], "no live routes in any view");
  const hist = await history(sql);
  for (const v of ["post", "locRib"] as const) {
    assertEquals(
      sorted(keysWith(hist[v], 1)),
      sorted(want[v].withdrawnInTotal),
      `${v}: GoBGP withdrew every route`,
    );
  }
  // Pre-policy: only B's explicit withdrawals are in the history; the rest is withdrawn in
  // the RIB by the Peer Down.
  assertEquals(sorted(keysWith(hist.pre, 1)), sorted(want.pre.withdrawnBySource), "pre: history");
  const [{ n }] = await sql`SELECT count(*)::int AS n FROM rib JOIN peers p ON p.id = rib.peer_id
    WHERE p.peer_type = 0 AND NOT p.post_policy AND rib.withdrawn`;
  assertEquals(n, want.pre.announced.size, "pre: every route withdrawn in the RIB");
  const [ev] = await sql`SELECT count(*)::int AS n, max(reason) AS reason FROM peer_events
    WHERE event = 'down'`;
  assert(ev.n >= 1 && ev.reason === 3, "a peer_events 'down' row with reason 3");
}

const reason = !gobgpAvailable() ? "gobgpd/gobgp not on PATH; apt-get install gobgpd" : undefined;

dbTest(
  "serve + gobgpd end to end: pre-policy, post-policy and Loc-RIB in the database",
  async () => {
    const s = await serve();
    const t0 = Date.now();
    const progress: string[] = [];
    let failed = false;
    let result: ScenarioResult | undefined;
    const deferred: string[] = [];
    try {
      result = await runGobgpScenario({
        collectorHost: "127.0.0.1",
        collectorPort: s.port,
        timeoutMs: 55_000,
        log: (l) => progress.push(l),
        async onPhase(info) {
          const budget = Math.min(10_000, info.remainingMs);
          if (info.phase === "established") {
            await until(
              async () =>
                (await s.sql`SELECT 1 FROM peers WHERE peer_type = 0 AND state = 'up'`)
                  .length > 0,
              budget,
              "Peer Up in peers",
            );
          } else if (info.phase === "announced") {
            const want = expectedViews(info);
            await until(
              async () => {
                const h = await history(s.sql);
                return VIEWS.every((v) => keysWith(h[v], 0).size === want[v].announced.size);
              },
              budget,
              "every announcement in route_history",
            );
          } else if (info.phase === "withdrawn") {
            await checkWhileUp(s.sql, info, deferred);
          } else if (info.phase === "peer-down") {
            await checkPeerDown(s.sql, info, "bmpmon e2e: session shut");
          } else {
            await until(
              async () =>
                (await s.sql`SELECT 1 FROM routers WHERE termination IS NOT NULL`).length > 0,
              budget,
              "Termination in routers",
            );
          }
        },
      });
      const routers = await s.sql`SELECT sys_name, sys_descr, name, termination_reason
        FROM routers`;
      assertEquals(
        routers.map((r) => [r.sys_name, r.sys_descr, r.name, r.termination_reason]),
        [[result.sysName, result.sysDescr, result.sysName, 4]],
        "routers: Initiation's sysName/sysDescr, Termination reason 4",
      );
      assertEquals(deferred, [], "deferred checks");
      console.log(
        `gobgp → serve e2e: ${Date.now() - t0} ms (phases ${JSON.stringify(result.phaseAt)})`,
      );
    } catch (e) {
      failed = true;
      throw new Error(
        `${(e as Error).message}\nscenario:\n${progress.join("\n")}\nserve log (tail):\n${
          s.log.slice(-15).join("\n")
        }`,
        { cause: e },
      );
    } finally {
      const code = await s.stop();
      if (!failed) assertEquals(code, 0, "serve exits 0 on SIGTERM");
    }
  },
  { ignore: reason },
);
