/**
 * The overview: the collector as `show summary` and `show clients` see it (the same
 * handlers), peers by state, and message rates.
 *
 * @module
 */

import * as handlers from "../../control/handlers.ts";
import type { CollectorState } from "../../control/state.ts";
import { type Html, html, num } from "../html.ts";
import type { RateSampler } from "../rates.ts";

/** `GET /`. */
export async function overviewPage(s: CollectorState, rates: RateSampler): Promise<Html> {
  const sum = await handlers.summary(s);
  const list = handlers.clients(s);
  const byState = { up: 0, down: 0, unknown: 0 };
  for (const rc of s.peers.routers.values()) {
    for (const p of rc.peers.values()) byState[p.state]++;
  }
  const r = rates.rates();
  const st = sum.store;
  return html`
    <table class="summary">
      <tr>
        <th>uptime</th>
        <td>${sum.uptime_s} s (since ${sum.started_at})</td>
      </tr>
      <tr>
        <th>listening</th>
        <td>${sum.listen}</td>
      </tr>
      <tr>
        <th>routers</th>
        <td>${sum.routers.connected} connected, ${sum.routers
          .sessions_total} sessions since start</td>
      </tr>
      <tr>
        <th>peers</th>
        <td><span class="state-up">${byState.up} up</span>, <span class="state-down">${byState
          .down} down</span>, ${byState.unknown} unknown (${sum.peers.total} in all)</td>
      </tr>
      <tr>
        <th>messages</th>
        <td>${num(sum.messages)} (${num(sum.bytes)} bytes, ${sum.decode_errors} decode errors)</td>
      </tr>
      <tr>
        <th>message rate</th>
        <td>${num(r.last10s)}/s over 10 s, ${num(r.last60s)}/s over 60 s</td>
      </tr>
      <tr>
        <th>routes</th>
        <td>${num(sum.routes.announced)} announced, ${num(sum.routes.withdrawn)} withdrawn</td>
      </tr>
      <tr>
        <th>store</th>
        <td>${st.kind} ${st.state}${st.probe_ms !== undefined
          ? ` (probe ${st.probe_ms} ms)`
          : ""}${st.error ? `: ${st.error}` : ""}; ${num(st.batches)} batches, ${num(
            st.routes,
          )} routes, ${st.errors} errors</td>
      </tr>
      <tr>
        <th>spool</th>
        <td>${num(sum.spool.depth)} messages, ${num(sum.spool.bytes)} bytes (${sum.spool
          .mode})${sum.spool.outage_s ? `, store gone for ${sum.spool.outage_s} s` : ""}</td>
      </tr>
    </table>
    <h2>Routers</h2>
    ${list.length === 0 ? html`<p>No router connected.</p>` : html`<table class="routers">
<tr><th>ID</th><th>Address:Port</th><th>Name</th><th>Uptime</th><th>Peers</th><th>Messages</th><th>Bytes</th></tr>
${
      list.map((c) =>
        html`
          <tr>
            <td class="n"><a href="/routers/${c.id}">${c.id}</a></td>
            <td>${c.endpoint}</td>
            <td><a href="/routers/${c.id}">${c.sys_name ?? ""}</a></td>
            <td class="n">${c.uptime_s} s</td>
            <td class="n">${c.peers} (${c.peers_up} up)</td>
            <td class="n">${num(c.messages)}</td>
            <td class="n">${num(c.bytes)}</td>
          </tr>
        `
      )
    }</table>`}
  `;
}
