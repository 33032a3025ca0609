/**
 * Replaying each capture into a running `bmpmon serve` puts exactly the decoded content
 * into PostgreSQL: per peer view and family, the history's announcements and withdrawals
 * equal the decoder's, and the current RIB holds one row per distinct route.
 */

import { familyName } from "../../src/bgp/constants.ts";
import { forEachRoute } from "../../src/bgp/routes.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { routeKey } from "../../src/bmp/summary.ts";
import { replay } from "../../src/cli/replay.ts";
import { readCapture } from "../../src/io/file.ts";
import { assertEquals } from "../_assert.ts";
import { fixture, HAS_SHARED, sharedFiles } from "../_data.ts";
import { dbTest, serve, until } from "./_serve.ts";

type Counts = Record<string, { announced: number; withdrawn: number }>;

/** What the decoder says: per "peer view / family", and distinct routes; stats, events. */
async function expected(path: string) {
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
        // RFC 7606 treat-as-withdraw: the store keeps such announcements as withdrawals.
        if (withdrawn || m.update.treatAsWithdraw) c.withdrawn++;
        else c.announced++;
        history++;
        routes.add(`${i}|${view}|${afi}|${safi}|${routeKey(n)}`);
      });
    }
  });
  return { counts, routes: routes.size, stats, peerEvents, history, mirrored };
}

async function checkCapture(path: string) {
  const want = await expected(path);
  const s = await serve();
  let failed = false;
  try {
    await replay([path], { hostname: "127.0.0.1", port: s.port, rate: 0, connections: 1 });
    await until(
      async () => (await s.sql`SELECT count(*)::int AS n FROM route_history`)[0].n >= want.history,
      30_000,
      `${want.history} history rows`,
    );
    // Peer events, statistics and mirroring are written beside the route batches.
    const count = async (q: string) => (await s.sql.unsafe(q))[0].n as number;
    await until(
      async () => (await count(`SELECT count(*)::int AS n FROM stats_reports`)) >= want.stats,
      10_000,
      "statistics rows",
    );
    await until(
      async () => (await count(`SELECT count(*)::int AS n FROM route_mirroring`)) >= want.mirrored,
      10_000,
      "mirroring rows",
    );
    await until(
      async () =>
        (await count(`SELECT count(*)::int AS n FROM peer_events WHERE event IN ('up', 'down')`)) >=
          want.peerEvents,
      10_000,
      "peer events",
    );
    const rows = await s.sql`
      SELECT p.peer_type, p.rd, host(p.address) AS address, p.post_policy, p.adj_rib_out,
             h.afi, h.safi, count(*) FILTER (WHERE NOT h.withdrawn)::int AS announced,
             count(*) FILTER (WHERE h.withdrawn)::int AS withdrawn
      FROM route_history h JOIN peers p ON p.id = h.peer_id
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
    const [{ n: rib }] = await s.sql`SELECT count(*)::int AS n FROM rib`;
    assertEquals(rib, want.routes, "current RIB rows = distinct routes");
    const [{ n: stats }] = await s.sql`SELECT count(*)::int AS n FROM stats_reports`;
    assertEquals(stats, want.stats, "statistics rows");
    const [{ n: events }] = await s
      .sql`SELECT count(*)::int AS n FROM peer_events WHERE event IN ('up', 'down')`;
    assertEquals(events >= want.peerEvents, true, `peer events ${events} >= ${want.peerEvents}`);
    const [{ n: mirrored }] = await s.sql`SELECT count(*)::int AS n FROM route_mirroring`;
    assertEquals(mirrored, want.mirrored, "route mirroring rows");
    // The replay closed the connection: every route of the router is withdrawn now.
    await until(
      async () => (await s.sql`SELECT count(*)::int AS n FROM rib WHERE NOT withdrawn`)[0].n === 0,
      10_000,
      "routes withdrawn after disconnect",
    );
  } catch (e) {
    failed = true;
    throw new Error(`${(e as Error).message}\nserve log:\n${s.log.slice(-15).join("\n")}`, {
      cause: e,
    });
  } finally {
    const code = await s.stop();
    if (!failed) {
      assertEquals(code, 0, `serve exits 0 on SIGTERM; its log:\n${s.log.slice(-15).join("\n")}`);
    }
  }
}

for (const name of ["gobgp-3.10-all-1k", "frr-8.4-mirror-100"]) {
  dbTest(
    `serve stores exactly the decoded content of ${name} (bundled)`,
    () => checkCapture(fixture(`gobgp-frr-lab/${name}.bmp`)),
  );
}
const files = sharedFiles("bmp", /\.(pcap|bmp|dump)$/);
for (const path of files) {
  const rel = path.split("/data/bmp/")[1];
  dbTest(`serve stores exactly the decoded content of ${rel}`, () => checkCapture(path), {
    ignore: HAS_SHARED ? undefined : "../shared/data not present",
  });
}
