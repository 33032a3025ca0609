/**
 * `bmpmon export mrt --updates [--since T1] [--until T2] [--router R] [--peer P]`: route
 * history as MRT BGP4MP_ET (src/mrt/write/bgp4mp.ts), in time order, the form RIPE RIS and
 * RouteViews publish their update files in. Each stored announcement or withdrawal is
 * one UPDATE; each peer view's Peer Up and Peer Down a STATE_CHANGE (Idle ↔ Established),
 * so that a reader knows when a view's routes went away without withdrawals of their own.
 *
 * History rows of one route with the same timestamp have no stored order: they come in
 * heap order, which is the order they were written in unless the table was rewritten.
 *
 * @module
 */

import type postgres from "postgres";
import { encodeStoredAttrs, type StoredAttrs } from "../mrt/write/attributes.ts";
import { type Bgp4mpPeer, FsmState, stateChangeRecord, updateRecord } from "../mrt/write/bgp4mp.ts";
import { ATTR_COLUMNS, chunkedWriter, exportViews, viewFilter } from "./export.ts";

/** What to export. */
export interface UpdatesOptions {
  router?: string;
  peer?: string;
  /** From this time on (inclusive); from the first row when absent. */
  since?: Date;
  /** Up to this time (exclusive); to the last row when absent. */
  until?: Date;
}

/** Totals of an updates export, printed on stderr. */
export interface UpdatesResult {
  peers: number;
  announcements: number;
  withdrawals: number;
  stateChanges: number;
  /** Rows of families BGP4MP is not written for here (VPN, EVPN, Flowspec, …). */
  otherFamilies: number;
  skipped: Record<string, number>;
}

interface ChangeRow extends StoredAttrs {
  kind: "route" | "up" | "down";
  us: string;
  peer_id: number;
  afi: number;
  safi: number;
  prefix: string | null;
  path_id: string | number | null;
  withdrawn: boolean;
  attr_id: string | null;
}

const IP_FAMILY = `h.afi IN (1, 2) AND h.safi IN (1, 2) AND h.rd IS NULL AND h.prefix IS NOT NULL`;

function timeFilter(col: string, o: UpdatesOptions, params: unknown[]): string {
  let where = "";
  if (o.since) params.push(o.since), where += ` AND ${col} >= $${params.length}`;
  if (o.until) params.push(o.until), where += ` AND ${col} < $${params.length}`;
  return where;
}

function changesQuery(o: UpdatesOptions, params: unknown[]): string {
  const views = viewFilter(o, params);
  const hTime = timeFilter("h.time", o, params);
  const eTime = timeFilter("e.time", o, params);
  const us = (col: string) => `(extract(epoch FROM ${col}) * 1000000)::bigint`;
  // Sessions up before their routes of the same instant, down after them.
  return `SELECT * FROM (
      SELECT 'route' AS kind, ${us("h.time")} AS us, 1 AS ord, h.ctid AS tid, h.peer_id,
             h.afi, h.safi, text(h.prefix) AS prefix, coalesce(h.path_id, 0) AS path_id,
             h.withdrawn, h.attr_id::text AS attr_id, ${ATTR_COLUMNS}
        FROM route_history h JOIN peers p ON p.id = h.peer_id
        LEFT JOIN path_attrs a ON a.id = h.attr_id AND NOT h.withdrawn
       WHERE ${IP_FAMILY} AND ${views}${hTime}
      UNION ALL
      SELECT e.event, ${us("e.time")}, CASE e.event WHEN 'up' THEN 0 ELSE 2 END, e.ctid,
             e.peer_id, NULL, NULL, NULL, NULL, NULL, NULL, ${nulls(ATTR_COLUMNS)}
        FROM peer_events e JOIN peers p ON p.id = e.peer_id
       WHERE e.event IN ('up', 'down') AND ${views}${eTime}) c
    ORDER BY us, ord, tid`;
}

/** As many NULLs as `columns` has columns, named alike. */
function nulls(columns: string): string {
  return columns.split(",").map((c) => {
    const name = c.trim().split(/\s+/).at(-1)!.replace(/^a\./, "");
    return `NULL AS ${name}`;
  }).join(", ");
}

/**
 * Writes the history of the selected views in the time range to `out` as BGP4MP_ET.
 *
 * @throws {ExportError} for a database without the bmpmon schema or filters matching no view
 */
export async function exportUpdates(
  sql: postgres.Sql,
  o: UpdatesOptions,
  out: { write(b: Uint8Array): Promise<number> },
  progress?: (rows: number, total: number) => void,
): Promise<UpdatesResult> {
  const views = await exportViews(sql, o);
  const peers = new Map<number, Bgp4mpPeer>(
    views.map((v) => [v.id, { address: v.address, asn: Number(v.asn) }]),
  );
  const result: UpdatesResult = {
    peers: peers.size,
    announcements: 0,
    withdrawals: 0,
    stateChanges: 0,
    otherFamilies: 0,
    skipped: {},
  };
  const cp: unknown[] = [];
  const [c] = await sql.unsafe(
    `SELECT count(*) FILTER (WHERE ${IP_FAMILY})::bigint AS routes,
            count(*) FILTER (WHERE NOT (${IP_FAMILY}))::bigint AS other
       FROM route_history h JOIN peers p ON p.id = h.peer_id
      WHERE ${viewFilter(o, cp)}${timeFilter("h.time", o, cp)}`,
    cp as never[],
  );
  result.otherFamilies = Number(c.other);
  const total = Number(c.routes);

  const { emit, flush } = chunkedWriter(out);
  const encoded = new Map<string, Uint8Array>();
  const qp: unknown[] = [];
  for await (
    const rows of sql.unsafe<ChangeRow[]>(changesQuery(o, qp), qp as never[]).cursor(5000)
  ) {
    for (const r of rows) {
      const peer = peers.get(r.peer_id)!;
      const timeUs = Number(r.us);
      if (r.kind !== "route") {
        const up = r.kind === "up";
        await emit(stateChangeRecord(
          peer,
          timeUs,
          up ? FsmState.Idle : FsmState.Established,
          up ? FsmState.Established : FsmState.Idle,
        ));
        result.stateChanges++;
        continue;
      }
      let attributes: Uint8Array | undefined;
      if (!r.withdrawn && r.attr_id !== null) {
        const key = `${r.attr_id}|${r.afi}`;
        attributes = encoded.get(key);
        if (!attributes) {
          const e = encodeStoredAttrs(r, r.afi);
          for (const s of e.skipped) result.skipped[s] = (result.skipped[s] ?? 0) + 1;
          encoded.set(key, attributes = e.bytes);
        }
      }
      await emit(updateRecord(peer, {
        timeUs,
        afi: r.afi,
        safi: r.safi,
        prefix: r.prefix!,
        pathId: Number(r.path_id),
        withdrawn: r.withdrawn,
        attributes,
      }));
      if (r.withdrawn) result.withdrawals++;
      else result.announcements++;
    }
    progress?.(result.announcements + result.withdrawals, total);
  }
  await flush();
  return result;
}
