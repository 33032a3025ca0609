/**
 * Row times: timestamptz text for the times of BMP per-peer headers (RFC 7854 §4.2), with
 * the clock to use when a router leaves the timestamp zero.
 *
 * @module
 */

import type { PerPeerHeader } from "../../bmp/per_peer_header.ts";

/** Options of `routeRows()` and the other row builders. */
export interface RouteRowsOptions {
  /** Time to use when the per-peer header timestamp is zero (ms since the epoch). */
  nowMs?: number;
}

const tsCache = { sec: -1, text: "" };

/**
 * timestamptz text for seconds and microseconds since the epoch.
 *
 * @example
 * ```ts
 * import { timestampText } from "./time.ts";
 * if (timestampText(0, 5) !== "1970-01-01T00:00:00.000005Z") throw new Error("unexpected");
 * ```
 */
export function timestampText(sec: number, usec: number): string {
  if (sec !== tsCache.sec) {
    tsCache.sec = sec;
    tsCache.text = new Date(sec * 1000).toISOString().slice(0, 19);
  }
  return usec ? `${tsCache.text}.${String(usec).padStart(6, "0")}Z` : tsCache.text + "Z";
}

/** The time of a per-peer header, or `nowMs` when the router left it zero. */
export function peerTime(h: PerPeerHeader, nowMs = Date.now()): string {
  if (h.tsSec === 0 && h.tsUsec === 0) {
    return timestampText(Math.floor(nowMs / 1000), (nowMs % 1000) * 1000);
  }
  return timestampText(h.tsSec, h.tsUsec);
}
