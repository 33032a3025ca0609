/**
 * The M320 full table for fault tests: the stream, its messages in order, and a
 * fingerprint of what a collector stored from it.
 *
 * @module
 */

import type postgres from "postgres";
import { forEachRoute } from "../../src/bgp/routes.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { readInput } from "../../src/io/file.ts";
import { fixture } from "../_data.ts";
import { until } from "./_serve.ts";

/** NLRI in the M320 stream (707,576 announcements + 4 withdrawals). */
export const M320_NLRI = 707_580;

/** The raw stream. */
export function m320Stream(): Promise<Uint8Array> {
  return readInput(fixture("juniper-m320/m320.bmp.xz"));
}

/** Prefixes announced by each message of the stream, in order (empty for non-routes). */
export function announcementsByMessage(stream: Uint8Array): string[][] {
  const out: string[][] = [];
  for (const { message: m } of readBmpStream(stream)) {
    const list: string[] = [];
    if (m?.kind === "route_monitoring") {
      forEachRoute(m.update, (_afi, _safi, withdrawn, n) => {
        if (!withdrawn && n.prefix) list.push(n.prefix);
      });
    }
    out.push(list);
  }
  return out;
}

/** Writes all of `data`. */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
}

/** Counts and digests of routes, history, attributes, peers and events. */
export async function fingerprint(sql: postgres.Sql): Promise<Record<string, unknown>> {
  const [row] = await sql`SELECT
    (SELECT count(*) FROM route_history)::int AS history,
    (SELECT count(*) FROM route_history WHERE withdrawn)::int AS history_withdrawn,
    (SELECT md5(string_agg(concat_ws('|', prefix, withdrawn, attr_id, time), ','
       ORDER BY prefix, time, withdrawn)) FROM route_history) AS history_md5,
    (SELECT count(*) FROM rib)::int AS rib,
    (SELECT count(*) FROM rib WHERE withdrawn)::int AS rib_withdrawn,
    (SELECT md5(string_agg(concat_ws('|', prefix, withdrawn, attr_id, first_seen, last_change),
       ',' ORDER BY prefix)) FROM rib) AS rib_md5,
    (SELECT count(*) FROM path_attrs)::int AS attr_sets,
    (SELECT string_agg(concat_ws('|', address, state), ',' ORDER BY id) FROM peers) AS peers,
    (SELECT string_agg(event, ',' ORDER BY time, event) FROM peer_events) AS peer_events,
    (SELECT count(*) FROM stats_reports)::int AS stats`;
  return { ...row };
}

/** {@linkcode until}, with database errors counting as "not yet" (a server restarting). */
export function eventually(
  check: () => Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  return until(() => check().catch(() => false), ms, what);
}
