/**
 * Statistics Report (RFC 7854 §4.8).
 *
 * ```text
 * Per-Peer Header | Stats Count (4) | (Stat Type (2) | Stat Len (2) | Stat Data)*
 * 32-bit counters, 64-bit gauges, per-AFI/SAFI gauges: AFI (2) | SAFI (1) | gauge (8)
 * ```
 *
 * @module
 */

import { hex } from "../wire/ip.ts";
import type { WireReader } from "../wire/reader.ts";
import { STAT_TYPES } from "./constants.ts";

/** One statistic. `value` is absent only for a length no known encoding has (kept in `raw`). */
export interface Statistic {
  type: number;
  name: string;
  value?: number | bigint;
  afi?: number;
  safi?: number;
  /** Hex of the data when its length fits no counter or gauge encoding. */
  raw?: string;
}

/** A decoded Statistics Report body. */
export interface StatisticsReport {
  /** The Stats Count field (may disagree with `stats.length` on broken senders). */
  count: number;
  stats: Statistic[];
}

/** Decodes a Statistics Report body from `r.pos` to `r.end`. */
export function decodeStatisticsReport(r: WireReader): StatisticsReport {
  const count = r.u32();
  const stats: Statistic[] = [];
  while (r.pos < r.end) {
    const type = r.u16();
    const len = r.u16();
    const outer = r.enter(len);
    const name = STAT_TYPES[type]?.name ?? `stat_${type}`;
    // The length decides the encoding, so unknown and private types decode too.
    if (len === 4) stats.push({ type, name, value: r.u32() });
    else if (len === 8) stats.push({ type, name, value: r.u64() });
    else if (len === 11) {
      const afi = r.u16();
      const safi = r.u8();
      stats.push({ type, name, afi, safi, value: r.u64() });
    } else stats.push({ type, name, raw: hex(r.rest()) });
    r.leave(outer);
  }
  return { count, stats };
}
