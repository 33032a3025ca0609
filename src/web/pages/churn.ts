/**
 * Top churn: the routes with the most changes, from `churn(since)` (migration 0002).
 *
 * @module
 */

import type { CollectorState } from "../../control/state.ts";
import { type Html, html, query } from "../html.ts";
import { parseCount, parseSince } from "../input.ts";
import { run, sqlDetails, type Statement } from "../sql.ts";

/** The statement of the churn page (`$1` since, `$2` row limit). */
export const CHURN_SQL = `SELECT coalesce(ro.name, ro.key) AS router, host(p.address) AS peer,
  text(c.prefix) AS prefix, nullif(c.rd, '') AS rd, c.changes, c.announcements, c.withdrawals,
  c.first_change, c.last_change
FROM churn(coalesce($1::text, '-infinity')::timestamptz) c JOIN peers p ON p.id = c.peer_id
JOIN routers ro ON ro.id = p.router_id
ORDER BY c.changes DESC, c.prefix LIMIT $2`;

/** `GET /churn?since=T&limit=N`. */
export async function churnPage(s: CollectorState, params: URLSearchParams): Promise<Html> {
  const since = parseSince(params.get("since"));
  const limit = parseCount("limit", params.get("limit"), { min: 1, max: 1000, fallback: 20 });
  const log: Statement[] = [];
  const res = await run(s, log, CHURN_SQL, [since ?? null, limit]);
  return html`
    <form method="get"
      action="/churn"><label>since <input name="since" value="${since ??
        ""}" placeholder="2026-12-01"></label> <button>Show</button></form>
    <table
      class="churn"><tr><th>Router</th><th>Peer</th><th>Prefix</th><th>Changes</th><th>Announcements</th><th>Withdrawals</th><th>First</th><th>Last</th></tr>
    ${res.rows.map((r) =>
      html`
        <tr>
          <td>${r[0]}</td>
          <td>${r[1]}</td>
          <td><a href="/history${query({ prefix: String(r[2]) })}">${r[3]
            ? `${r[3]}:`
            : ""}${r[2]}</a></td>
          <td class="n">${r[4]}</td>
          <td class="n">${r[5]}</td>
          <td class="n">${r[6]}</td>
          <td>${r[7]}</td>
          <td>${r[8]}</td>
        </tr>
      `
    )}</table>${sqlDetails(log)}
  `;
}
