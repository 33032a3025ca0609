/**
 * A prefix's history from `v_route_history`: a timeline per RIB view of its announcements,
 * withdrawals and AS path changes, and the rows.
 *
 * @module
 */

import type { CollectorState } from "../../control/state.ts";
import { timeline, type TimelineEvent } from "../chart.ts";
import { type Html, html } from "../html.ts";
import { parseCount, parsePrefix } from "../input.ts";
import { run, sqlDetails, type Statement } from "../sql.ts";

/** The statement of the history page (`$1` prefix, `$2` row limit). */
export const HISTORY_SQL = `SELECT time, router, host(peer) AS peer, peer_asn,
  CASE WHEN loc_rib THEN 'loc-rib' WHEN post_policy THEN 'post-policy' ELSE 'pre-policy' END
    || CASE WHEN adj_rib_out THEN ' adj-rib-out' ELSE '' END AS rib,
  nullif(rd, '') AS rd, path_id, action, as_path_text, host(next_hop) AS next_hop, communities
FROM v_route_history WHERE prefix = $1::inet
ORDER BY time, router, peer, rib, path_id LIMIT $2`;

/** `GET /history?prefix=P&limit=N`. */
export async function historyPage(s: CollectorState, params: URLSearchParams): Promise<Html> {
  const prefix = parsePrefix(params.get("prefix"));
  const limit = parseCount("limit", params.get("limit"), { min: 1, max: 20_000, fallback: 2000 });
  const log: Statement[] = [];
  const res = await run(s, log, HISTORY_SQL, [prefix, limit + 1]);
  const rows = res.rows.slice(0, limit);
  const lanes = new Map<string, TimelineEvent[]>();
  const lastPath = new Map<string, string>();
  for (const [time, router, peer, asn, rib, rd, pathId, action, path, hop] of rows) {
    const lane = `${router} ${peer} AS${asn} ${rib}${rd ? ` ${rd}` : ""}${
      pathId ? ` #${pathId}` : ""
    }`;
    const list = lanes.get(lane) ?? [];
    lanes.set(lane, list);
    const p = String(path ?? "");
    let kind: TimelineEvent["kind"] = action === "announce" ? "announce" : "withdraw";
    if (kind === "announce") {
      if (lastPath.has(lane) && lastPath.get(lane) !== p) kind = "path-change";
      lastPath.set(lane, p);
    }
    list.push({ time: new Date(String(time)), kind, title: `${p} via ${hop ?? "-"}` });
  }
  return html`
    ${timeline(lanes)}
    ${res.rows.length > limit
      ? html`<p class="note">Only the first ${limit} rows are shown.</p>`
      : ""}
    <table
      class="history"><tr><th>Time</th><th>Router</th><th>Peer</th><th>AS</th><th>RIB</th><th>Action</th><th>AS path</th><th>Next hop</th><th>Communities</th></tr>
    ${rows.map((r) =>
      html`
        <tr>
          <td>${r[0]}</td>
          <td>${r[1]}</td>
          <td>${r[2]}</td>
          <td class="n">${r[3]}</td>
          <td>${r[4]}</td>
          <td>${r[7]}</td>
          <td>${r[8]}</td>
          <td>${r[9]}</td>
          <td>${(r[10] as string[] | null)?.join(" ")}</td>
        </tr>
      `
    )}</table>${sqlDetails(log)}
  `;
}
