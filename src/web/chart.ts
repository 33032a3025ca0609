/**
 * Charts rendered on the server as inline SVG: no script, and only presentation through
 * classes of the same-origin stylesheet (the CSP allows no inline style).
 *
 * @module
 */

import { type Html, html } from "./html.ts";

/** One event on a timeline lane. */
export interface TimelineEvent {
  time: Date;
  kind: "announce" | "withdraw" | "path-change";
  title: string;
}

const W = 900, LANE = 26, LEFT = 260, RIGHT = 20, TOP = 24;

function scaleOf(times: number[]): (t: number) => number {
  const lo = Math.min(...times), hi = Math.max(...times);
  const span = hi - lo || 1;
  return (t) => LEFT + ((t - lo) / span) * (W - LEFT - RIGHT);
}

/**
 * A timeline: one lane per RIB view, one mark per history row (`announce` circle,
 * `withdraw` cross, `path-change` diamond: an announcement whose AS path differs from the
 * lane's previous one).
 */
export function timeline(lanes: Map<string, TimelineEvent[]>): Html {
  const all = [...lanes.values()].flat().map((e) => e.time.getTime());
  if (all.length === 0) return html`<p>No history for this prefix.</p>`;
  const x = scaleOf(all);
  const h = TOP + lanes.size * LANE + 20;
  const lo = new Date(Math.min(...all)).toISOString(),
    hi = new Date(Math.max(...all)).toISOString();
  let i = 0;
  const rows = [...lanes.entries()].map(([name, events]) => {
    const y = TOP + (i++) * LANE + LANE / 2;
    return html`<g class="lane"><text class="label" x="4" y="${y + 4}">${name}</text>
<line class="axis" x1="${LEFT}" x2="${W - RIGHT}" y1="${y}" y2="${y}"/>${
      events.map((e) => {
        const cx = x(e.time.getTime()).toFixed(1);
        const t = html`<title>${e.time.toISOString()} ${e.kind}: ${e.title}</title>`;
        if (e.kind === "withdraw") {
          return html`
            <path class="mark withdraw" transform="translate(${cx} ${y})"
              d="M-5-5L5 5M-5 5L5-5">${t}</path>
          `;
        }
        if (e.kind === "path-change") {
          return html`
            <path class="mark announce path-change" transform="translate(${cx} ${y})"
              d="M0-7L7 0L0 7L-7 0Z">${t}</path>
          `;
        }
        return html`<circle class="mark announce" cx="${cx}" cy="${y}" r="5">${t}</circle>`;
      })
    }</g>`;
  });
  return html`
    <svg class="chart timeline" viewBox="0 0 ${W} ${h}" width="${W}"
      height="${h}" role="img" aria-label="history timeline">
    <text class="tick" x="${LEFT}" y="14">${lo}</text><text class="tick end" x="${W -
      RIGHT}" y="14">${hi}</text>
    ${rows}</svg>
    <p
      class="legend"><span class="key announce">● announcement</span> <span class="key path-change">◆ AS path change</span> <span class="key withdraw">✕ withdrawal</span></p>
  `;
}

/** One hourly bucket of a series. */
export interface Bucket {
  time: Date;
  values: number[];
}

/**
 * Bars per hourly bucket: one bar per series, side by side (`series` names the classes).
 */
export function bars(buckets: Bucket[], series: string[], label: string): Html {
  if (buckets.length === 0) return html`<p>No ${label} yet.</p>`;
  const H = 160, BOTTOM = 20;
  const max = Math.max(1, ...buckets.map((b) => Math.max(...b.values)));
  const slot = (W - 60) / buckets.length;
  const bw = Math.max(1, slot / series.length - 1);
  const rects = buckets.map((b, i) =>
    b.values.map((v, k) => {
      const bh = (v / max) * (H - BOTTOM - 10);
      const bx = 50 + i * slot + k * bw;
      return html`
        <rect class="bar ${series[k]}" x="${bx.toFixed(1)}" y="${(H - BOTTOM - bh).toFixed(
          1,
        )}" width="${bw.toFixed(1)}"
          height="${bh.toFixed(1)}">
          <title>${b.time.toISOString()} ${series[k]}: ${v}</title>
        </rect>
      `;
    })
  );
  return html`
    <svg class="chart bars" viewBox="0 0 ${W} ${H}" width="${W}"
      height="${H}" role="img" aria-label="${label}">
    <text class="tick" x="4" y="14">${max}</text><text class="tick" x="4" y="${H - BOTTOM}">0</text>
    <line class="axis" x1="50" x2="${W - 10}" y1="${H - BOTTOM}" y2="${H - BOTTOM}"/>
    <text class="tick" x="50" y="${H - 4}">${buckets[0].time.toISOString().slice(0, 13)}h</text>
    <text class="tick end" x="${W - 10}" y="${H - 4}">${buckets[buckets.length - 1].time
      .toISOString().slice(0, 13)}h</text>${rects}</svg>
  `;
}
