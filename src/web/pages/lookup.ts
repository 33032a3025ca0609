/**
 * Prefix or address lookup: the rows of `show routes` (the same handler, so the same SQL),
 * longest match per RIB view, exact, or more-specifics, over every view.
 *
 * @module
 */

import type { RouteInfo } from "../../control/api.ts";
import * as handlers from "../../control/handlers.ts";
import type { CollectorState } from "../../control/state.ts";
import { type Html, html, query } from "../html.ts";
import { parseCount, parseMatch, parsePrefix } from "../input.ts";
import { recording, sqlDetails, type Statement } from "../sql.ts";

/** The Prefix cell as `show routes` prints it: RD, prefix, Add-Path ID. */
export function prefixCell(r: RouteInfo): string {
  return `${r.rd ? `${r.rd}:` : ""}${r.prefix}${r.path_id === null ? "" : ` #${r.path_id}`}`;
}

/** The cells of one route, in the column order of `show routes`, then its RPKI state. */
export function routeCells(r: RouteInfo): string[] {
  return [
    r.router,
    r.peer,
    String(r.peer_asn),
    r.rib,
    prefixCell(r),
    r.as_path,
    r.next_hop ?? "",
    [...r.communities, ...r.large_communities].join(" "),
    r.rpki_state ?? "",
  ];
}

const HEAD = [
  "Router",
  "Peer",
  "AS",
  "RIB",
  "Prefix",
  "AS path",
  "Next hop",
  "Communities",
  "RPKI",
];

function form(prefix: string, match: string): Html {
  const opt = (v: string, label: string) =>
    html`<label><input type="radio" name="match" value="${v}"${
      match === v
        ? html`
          checked
        `
        : ""
    }> ${label}</label>`;
  return html`<form method="get" action="/lookup" class="lookup">
<input name="prefix" value="${prefix}" placeholder="192.0.2.1 or 2001:db8::/32" aria-label="prefix">
${opt("longest", "longest match")} ${opt("exact", "exact")} ${opt("longer", "more-specifics")}
<button>Look up</button></form>`;
}

/** `GET /lookup?prefix=P&match=M&limit=N`; without a prefix, the form alone. */
export async function lookupPage(s: CollectorState, params: URLSearchParams): Promise<Html> {
  if (!params.has("prefix")) return form("", "longest");
  const prefix = parsePrefix(params.get("prefix"));
  const match = parseMatch(params.get("match"));
  const limit = parseCount("limit", params.get("limit"), {
    min: 1,
    max: 10_000,
    fallback: handlers.ROUTES_LIMIT,
  });
  const log: Statement[] = [];
  const res = await handlers.routes(recording(s, log), prefix, match, limit);
  const n = res.routes.length;
  const table = n === 0 ? html`<p>No route for ${prefix} (${match} match).</p>` : html`
    <table class="routes"><tr>${HEAD.map((h) => html`<th>${h}</th>`)}</tr>
    ${res.routes.map((r) =>
      html`<tr>${
        routeCells(r).map((c, i) =>
          i === 4
            ? html`<td><a href="/history${query({ prefix: r.prefix })}">${c}</a></td>`
            : html`<td>${c}</td>`
        )
      }</tr>`
    )}</table>
    <p class="note">${n} route${n === 1 ? "" : "s"}${res.truncated
      ? html`; more match: <a href="/lookup${
        query({ prefix, match, limit: limit * 10 })
      }">raise the limit</a>`
      : ""}</p>
  `;
  return html`${form(prefix, match)}${table}${sqlDetails(log)}`;
}
