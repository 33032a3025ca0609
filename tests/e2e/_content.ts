/**
 * What a capture must put into the store, from the decoder, and the check that it did:
 * per peer view and family, the history's announcements and withdrawals equal the
 * decoder's, the current RIB holds one row per distinct route, and statistics, peer
 * events and mirroring rows are all there.
 *
 * @module
 */

import type postgres from "postgres";
import { familyName } from "../../src/bgp/constants.ts";
import { forEachRoute } from "../../src/bgp/routes.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { routeKey } from "../../src/bmp/summary.ts";
import { readCapture } from "../../src/io/file.ts";
import { assertEquals } from "../_assert.ts";
import { until } from "./_serve.ts";

/** Announcements and withdrawals per "peer view / family". */
export type Counts = Record<string, { announced: number; withdrawn: number }>;

/** The decoded content of a capture. */
export interface Content {
  counts: Counts;
  /** Distinct routes (current RIB rows). */
  routes: number;
  stats: number;
  peerEvents: number;
  /** Route history rows. */
  history: number;
  mirrored: number;
}

/** What the decoder says: per "peer view / family", and distinct routes; stats, events. */
export async function expectedContent(path: string): Promise<Content> {
  const counts: Counts = {};
  const routes = new Set<string>();
  let stats = 0, peerEvents = 0, history = 0, mirrored = 0;
  const capture = await readCapture(path);
  capture.flows.forEach((flow, i) => {
    for (const item of readBmpStream(flow.data)) {
      const m = item.message;
      if (!m) continue;
      if (m.kind === "statistics_report") stats += m.stats.length;
      if (m.kind === "peer_up" || m.kind === "peer_down") peerEvents++;
      if (m.kind === "route_mirroring") mirrored++;
      if (m.kind !== "route_monitoring") continue;
      const view = `${m.peer.peerType}|${
        m.peer.rd ?? ""
      }|${m.peer.address}|${m.peer.postPolicy}|${m.peer.adjRibOut}`;
      forEachRoute(m.update, (afi, safi, withdrawn, n) => {
        const k = `${view}|${familyName(afi, safi)}`;
        const c = counts[k] ??= { announced: 0, withdrawn: 0 };
        // RFC 7606 treat-as-withdraw: the store keeps such announcements as withdrawals in
        // pre-policy Adj-RIB-In views only; post-policy, Loc-RIB and Adj-RIB-Out views report
        // routes the router holds, kept as announcements (issue 10). This moves pmacct 205's
        // 140 post-policy/Loc-RIB IPv4 routes without NEXT_HOP and its 2 VPNv4 routes with a
        // malformed AS_PATH (one post-policy, one Loc-RIB) from withdrawn to announced. The
        // store also withdraws the routes of a repeated MP_REACH_NLRI in every view: no
        // capture has one (tests/captures/all_captures_test.ts lists every problem).
        const held = m.peer.peerType === 3 || m.peer.postPolicy || m.peer.adjRibOut;
        if (withdrawn || (m.update.treatAsWithdraw && !held)) c.withdrawn++;
        else c.announced++;
        history++;
        routes.add(`${i}|${view}|${afi}|${safi}|${routeKey(n)}`);
      });
    }
  });
  return { counts, routes: routes.size, stats, peerEvents, history, mirrored };
}

/** `want` for `copies` routers replaying the same capture. */
export function timesContent(want: Content, copies: number): Content {
  const counts: Counts = {};
  for (const [k, c] of Object.entries(want.counts)) {
    counts[k] = { announced: c.announced * copies, withdrawn: c.withdrawn * copies };
  }
  return {
    counts,
    routes: want.routes * copies,
    stats: want.stats * copies,
    peerEvents: want.peerEvents * copies,
    history: want.history * copies,
    mirrored: want.mirrored * copies,
  };
}

/**
 * Waits until the rows of `want` landed, then asserts that the store holds exactly them
 * (of the routers `routerIds` only, when given) and that every route was withdrawn once
 * the routers disconnected.
 */
export async function assertStoredContent(
  sql: postgres.Sql,
  want: Content,
  opts: { routerIds?: number[]; timeoutMs?: number } = {},
): Promise<void> {
  const ids = opts.routerIds;
  // Generous: CI runs this beside a 10M-message fuzz on 2 cores, where 30 s ran out twice.
  const ms = opts.timeoutMs ?? 90_000;
  const only = (col: string) => (ids ? sql`AND ${sql(col)} = ANY(${ids}::int[])` : sql``);
  const count = async (table: string, extra = sql``) =>
    (await sql`SELECT count(*)::int AS n FROM ${sql(table)} WHERE true ${
      only("router_id")
    } ${extra}`)[0].n as number;
  let history = 0;
  await until(
    async () => (history = await count("route_history")) >= want.history,
    ms,
    () => `${want.history} history rows (${history} stored)`,
  );
  // Peer events, statistics and mirroring are written beside the route batches.
  await until(async () => (await count("stats_reports")) >= want.stats, ms, "statistics rows");
  await until(async () => (await count("route_mirroring")) >= want.mirrored, ms, "mirroring rows");
  const updown = sql`AND event IN ('up', 'down')`;
  await until(
    async () => (await count("peer_events", updown)) >= want.peerEvents,
    ms,
    "peer events",
  );
  const rows = await sql`
    SELECT p.peer_type, p.rd, host(p.address) AS address, p.post_policy, p.adj_rib_out,
           h.afi, h.safi, count(*) FILTER (WHERE NOT h.withdrawn)::int AS announced,
           count(*) FILTER (WHERE h.withdrawn)::int AS withdrawn
    FROM route_history h JOIN peers p ON p.id = h.peer_id
    WHERE true ${only("h.router_id")}
    GROUP BY 1, 2, 3, 4, 5, 6, 7`;
  const got: Counts = {};
  for (const r of rows) {
    const k = `${r.peer_type}|${r.rd}|${r.address}|${r.post_policy}|${r.adj_rib_out}|${
      familyName(r.afi, r.safi)
    }`;
    const c = got[k] ??= { announced: 0, withdrawn: 0 };
    c.announced += r.announced;
    c.withdrawn += r.withdrawn;
  }
  assertEquals(got, want.counts);
  const rib = async (extra = sql``) =>
    (await sql`SELECT count(*)::int AS n FROM rib r JOIN peers p ON p.id = r.peer_id
      WHERE true ${only("p.router_id")} ${extra}`)[0].n as number;
  assertEquals(await rib(), want.routes, "current RIB rows = distinct routes");
  assertEquals(await count("stats_reports"), want.stats, "statistics rows");
  const events = await count("peer_events", updown);
  assertEquals(events >= want.peerEvents, true, `peer events ${events} >= ${want.peerEvents}`);
  assertEquals(await count("route_mirroring"), want.mirrored, "route mirroring rows");
  // The replay closed the connection: every route of the router is withdrawn now.
  await until(
    async () => (await rib(sql`AND NOT r.withdrawn`)) === 0,
    ms,
    "routes withdrawn after disconnect",
  );
}
