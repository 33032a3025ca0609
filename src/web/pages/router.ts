/**
 * A router's page: `show client ID` and `show client ID peers` (the same handlers), and
 * per RIB view the current route count and hourly charts from
 * `route_activity_hourly_peer`.
 *
 * @module
 */

import * as handlers from "../../control/handlers.ts";
import type { CollectorState } from "../../control/state.ts";
import { bars, type Bucket } from "../chart.ts";
import { type Html, html, num } from "../html.ts";
import { run, sqlDetails, type Statement } from "../sql.ts";

/** RIB views of a router with their current routes (`$1`: routers.id). */
export const VIEWS_SQL = `SELECT peer_id, host(address) AS peer, asn,
  rib || coalesce(' ' || policy, '') || coalesce(' ' || table_name, '') AS rib,
  rd, state, routes
FROM v_peers WHERE router_id = $1 ORDER BY address, peer_id`;

/** Hourly activity of a router's views (`$1`: routers.id). */
export const ACTIVITY_SQL = `SELECT a.peer_id, a.bucket, a.announcements, a.withdrawals
FROM route_activity_hourly_peer a JOIN peers p ON p.id = a.peer_id
WHERE p.router_id = $1 ORDER BY a.peer_id, a.bucket`;

/** `GET /routers/ID`. */
export async function routerPage(s: CollectorState, id: string): Promise<Html> {
  const c = handlers.client(s, id);
  const peers = handlers.peers(s, id);
  const log: Statement[] = [];
  let views = html``;
  if (c.db_router_id !== null) {
    const v = await run(s, log, VIEWS_SQL, [c.db_router_id]);
    const a = await run(s, log, ACTIVITY_SQL, [c.db_router_id]);
    const byView = new Map<number, Bucket[]>();
    for (const [pid, bucket, ann, wd] of a.rows) {
      const list = byView.get(Number(pid)) ?? [];
      byView.set(Number(pid), list);
      list.push({ time: new Date(String(bucket)), values: [Number(ann), Number(wd)] });
    }
    views = html`<h2>RIB views</h2>${
      v.rows.map(([pid, peer, asn, rib, rd, state, routes]) => {
        const act = byView.get(Number(pid)) ?? [];
        // Announcements minus withdrawals, summed: the routes held when every announcement
        // is a new route (a re-announcement counts again, so an upper bound otherwise).
        let held = 0;
        const count = act.map((b) => ({
          time: b.time,
          values: [held = Math.max(0, held + b.values[0] - b.values[1])],
        }));
        return html`
          <section
            class="view"><h3>${peer} AS${asn} ${rib}${rd ? ` ${rd}` : ""} (${state}): ${num(
              Number(routes),
            )} routes now</h3>
          <p class="note">Route count by hour (announcements minus withdrawals, summed)</p>${bars(
            count,
            ["routes"],
            "route count",
          )}
          <p class="note">Activity by hour: <span class="key announce">announcements</span>, <span class="key withdraw">withdrawals</span></p>${bars(
            act,
            ["announcements", "withdrawals"],
            "activity",
          )}</section>
        `;
      })
    }`;
  }
  return html`
    <table class="summary">
      <tr>
        <th>address</th>
        <td>${c.endpoint}</td>
      </tr>
      <tr>
        <th>sysName</th>
        <td>${c.sys_name ?? ""}</td>
      </tr>
      <tr>
        <th>sysDescr</th>
        <td>${c.sys_descr ?? ""}</td>
      </tr>
      <tr>
        <th>connected</th>
        <td>${c.connected_at}${c.closed_at ? ` (closed ${c.closed_at})` : ""}</td>
      </tr>
      <tr>
        <th>messages</th>
        <td>${num(c.messages)} (${num(c.bytes)} bytes, ${c.decode_errors} decode errors)</td>
      </tr>
    </table>
    <h2>Peers</h2>
    <table
      class="peers"><tr><th>Peer</th><th>Type</th><th>RD</th><th>AS</th><th>BGP ID</th><th>State</th><th>Messages</th><th>Announced</th><th>Withdrawn</th></tr>
    ${peers.map((p) =>
      html`
        <tr>
          <td>${p.address}</td>
          <td>${p.peer_type}</td>
          <td>${p.rd ?? ""}</td>
          <td class="n">${p.asn}</td>
          <td>${p.bgp_id}</td>
          <td class="state-${p.state}">${p.state}${p.down_reason ? ` (${p.down_reason})` : ""}</td>
          <td class="n">${num(p.messages)}</td>
          <td class="n">${num(p.announced)}</td>
          <td class="n">${num(p.withdrawn)}</td>
        </tr>
      `
    )}</table>
    ${views}${sqlDetails(log)}
  `;
}
