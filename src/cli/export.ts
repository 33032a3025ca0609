/**
 * `bmpmon export mrt [--router R] [--peer ADDRESS] [--at TIME] > rib.mrt`: the current RIB
 * (or the RIB as of TIME, rebuilt from history) as an MRT TABLE_DUMP_V2 file (RFC 6396
 * §4.3), which bgpdump, bgpkit and BGPStream read. One PEER_INDEX_TABLE with every peer
 * view exported, then one RIB record per prefix and family, in prefix order (the order of
 * `rib_key`), with the Add-Path subtypes (RFC 8050) where a route has a path ID.
 *
 * IPv4 and IPv6 unicast and multicast routes without a route distinguisher are the ones
 * TABLE_DUMP_V2's RIB records hold; the count of the others (VPN, labeled, EVPN, …) is
 * said on stderr, as are attributes that could not be written back (src/mrt/write/attributes.ts).
 *
 * @module
 */

import type postgres from "postgres";
import { encodeStoredAttrs, type StoredAttrs } from "../mrt/write/attributes.ts";
import {
  type IndexPeer,
  peerIndexTable,
  type RibEntry,
  ribRecord,
} from "../mrt/write/table_dump_v2.ts";

/** What to export. */
export interface ExportOptions {
  /** `routers.key` or router address. */
  router?: string;
  /** Peer address. */
  peer?: string;
  /** The RIB as of this time, from history; the current RIB when absent. */
  at?: Date;
}

/** A bad export request or a database without the schema: one line for the operator. */
export class ExportError extends Error {}

/** Totals of an export, also printed on stderr. */
export interface ExportResult {
  peers: number;
  prefixes: number;
  routes: number;
  /** Routes of families TABLE_DUMP_V2 RIB records do not hold. */
  otherFamilies: number;
  /** Attribute sets with something left out, by what. */
  skipped: Record<string, number>;
}

interface RouteRow extends StoredAttrs {
  prefix: string;
  safi: number;
  afi: number;
  peer_id: number;
  path_id: string | number;
  originated: string | number;
  attr_id: string;
}

export const ATTR_COLUMNS = `a.origin, a.as_path_text, host(a.next_hop) AS next_hop, a.med,
  a.local_pref, a.atomic_aggregate, a.aggregator_asn, host(a.aggregator_address) AS
  aggregator_address, a.communities, a.ext_communities, a.large_communities,
  host(a.originator_id) AS originator_id, a.cluster_list::text[] AS cluster_list, a.otc,
  a.aigp::text AS aigp, a.unknown_attrs, a.pmsi_tunnel, a.prefix_sid, a.tunnel_encap`;

/** The peer views to export, by the filters (a router by key or address, a peer address). */
export function viewFilter(o: Pick<ExportOptions, "router" | "peer">, params: unknown[]): string {
  let where = "TRUE";
  if (o.router !== undefined) {
    params.push(o.router);
    where += ` AND p.router_id IN (SELECT id FROM routers WHERE key = $${params.length}
      OR host(address) = $${params.length})`;
  }
  if (o.peer !== undefined) {
    params.push(o.peer);
    where += ` AND host(p.address) = $${params.length}`;
  }
  return where;
}

/** Routes TABLE_DUMP_V2's RIB records hold: IPv4/IPv6 unicast/multicast, no RD. */
function exportable(t: string, noRd: string): string {
  return `(${t}.afi IN (1, 2) AND ${t}.safi IN (1, 2) AND ${t}.prefix IS NOT NULL AND ${noRd})`;
}

function counts(fam: string): string {
  return `count(*) FILTER (WHERE ${fam})::bigint AS routes,
    count(*) FILTER (WHERE NOT ${fam})::bigint AS other`;
}

/** The exportable route rows in prefix order, or (`count`) how many and how many others. */
function routeQuery(o: ExportOptions, params: unknown[], count: boolean): string {
  const views = viewFilter(o, params);
  if (!o.at) {
    const fam = exportable("r", "r.rd = ''");
    const from = `rib r JOIN peers p ON p.id = r.peer_id WHERE NOT r.withdrawn AND ${views}`;
    if (count) return `SELECT ${counts(fam)} FROM ${from}`;
    return `SELECT text(r.prefix) AS prefix, r.afi, r.safi, r.peer_id, r.path_id,
        extract(epoch FROM r.last_change)::bigint AS originated, r.attr_id, ${ATTR_COLUMNS}
      FROM ${from.replace("WHERE", "JOIN path_attrs a ON a.id = r.attr_id WHERE")} AND ${fam}
      ORDER BY r.prefix, r.safi, r.peer_id, r.path_id`;
  }
  params.push(o.at);
  const at = `$${params.length}`;
  // A route unchanged since AT is as the RIB has it (a Peer Down after AT withdrew it
  // without a history row, and kept its attributes). A route changed since is as its last
  // history row up to AT has it, unless a Peer Down of its view came between. History rows
  // of one route with the same time (timestamps are often whole seconds) have no order:
  // the lanes write them side by side; the heap position decides, which can be wrong.
  const unchanged = `SELECT r.prefix, r.afi, r.safi, r.peer_id, r.path_id, r.last_change AS time,
        r.attr_id, r.rd = '' AS no_rd
      FROM rib r JOIN peers p ON p.id = r.peer_id
     WHERE r.last_change <= ${at} AND r.attr_id IS NOT NULL AND ${views}
       AND NOT (r.withdrawn AND r.withdrawn_time <= ${at})`;
  const changed = `SELECT l.prefix, l.afi, l.safi, l.peer_id, l.path_id, l.time, l.attr_id,
        TRUE AS no_rd FROM (
      SELECT DISTINCT ON (h.peer_id, h.afi, h.safi, h.prefix, h.path_id)
             h.prefix, h.afi, h.safi, h.peer_id, coalesce(h.path_id, 0) AS path_id, h.time,
             h.withdrawn, h.attr_id
        FROM route_history h JOIN peers p ON p.id = h.peer_id
       WHERE h.time <= ${at} AND ${views} AND h.rd IS NULL AND h.afi IN (1, 2)
         AND h.safi IN (1, 2) AND h.prefix IS NOT NULL
         AND EXISTS (SELECT 1 FROM rib r WHERE r.prefix = h.prefix AND r.peer_id = h.peer_id
           AND r.path_id = coalesce(h.path_id, 0) AND r.afi = h.afi AND r.safi = h.safi
           AND r.rd = '' AND r.last_change > ${at})
       ORDER BY h.peer_id, h.afi, h.safi, h.prefix, h.path_id, h.time DESC, h.ctid DESC) l
     WHERE NOT l.withdrawn AND NOT EXISTS (SELECT 1 FROM peer_events e
       WHERE e.peer_id = l.peer_id AND e.event = 'down' AND e.time >= l.time
         AND e.time <= ${at})`;
  const live = `${unchanged} UNION ALL ${changed}`;
  const fam = exportable("l", "l.no_rd");
  if (count) return `SELECT ${counts(fam)} FROM (${live}) l`;
  return `SELECT text(l.prefix) AS prefix, l.afi, l.safi, l.peer_id, l.path_id,
      extract(epoch FROM l.time)::bigint AS originated, l.attr_id, ${ATTR_COLUMNS}
    FROM (${live}) l JOIN path_attrs a ON a.id = l.attr_id
   WHERE ${fam}
   ORDER BY l.prefix, l.safi, l.peer_id, l.path_id`;
}

/** A peer view to export. */
export interface ExportView {
  id: number;
  address: string;
  asn: string;
  bgp_id: string;
}

/**
 * The peer views the filters select, in id order.
 *
 * @throws {ExportError} for a database without the bmpmon schema or filters matching none
 */
export async function exportViews(
  sql: postgres.Sql,
  o: Pick<ExportOptions, "router" | "peer">,
): Promise<ExportView[]> {
  const [{ schema }] = await sql`SELECT to_regclass('rib') IS NOT NULL AS schema`;
  if (!schema) throw new ExportError("the database has no bmpmon schema (run bmpmon migrate)");
  const vp: unknown[] = [];
  const views = await sql.unsafe<ExportView[]>(
    `SELECT p.id, host(p.address) AS address, coalesce(p.asn, 0) AS asn,
            coalesce(host(p.bgp_id), '0.0.0.0') AS bgp_id
       FROM peers p WHERE ${viewFilter(o, vp)} ORDER BY p.id`,
    vp as postgres.ParameterOrJSON<never>[],
  );
  if (views.length === 0) {
    throw new ExportError(
      `no peer view matches${o.router ? ` --router ${o.router}` : ""}${
        o.peer ? ` --peer ${o.peer}` : ""
      }`,
    );
  }
  return views;
}

/** Records gathered into writes of about 1 MiB: `emit` each, `flush` at the end. */
export function chunkedWriter(out: { write(b: Uint8Array): Promise<number> }) {
  let chunk: Uint8Array[] = [];
  let chunkBytes = 0;
  const flush = async () => {
    const all = new Uint8Array(chunkBytes);
    let at = 0;
    for (const c of chunk) all.set(c, at), at += c.length;
    for (let off = 0; off < all.length;) off += await out.write(all.subarray(off));
    chunk = [];
    chunkBytes = 0;
  };
  const emit = async (b: Uint8Array) => {
    chunk.push(b);
    chunkBytes += b.length;
    if (chunkBytes >= 1 << 20) await flush();
  };
  return { emit, flush };
}

/**
 * Writes the export to `out`; returns its totals.
 *
 * @throws {ExportError} for a database without the bmpmon schema or a filter that
 *   matches no peer view
 */
export async function exportMrt(
  sql: postgres.Sql,
  o: ExportOptions,
  out: { write(b: Uint8Array): Promise<number> },
  progress?: (routes: number, total: number) => void,
): Promise<ExportResult> {
  const views = await exportViews(sql, o);
  const index = new Map<number, number>();
  const peers: IndexPeer[] = views.map((v, i) => {
    index.set(v.id, i);
    return { address: v.address, asn: Number(v.asn), bgpId: v.bgp_id };
  });
  const now = Math.floor((o.at ?? new Date()).getTime() / 1000);
  const result: ExportResult = {
    peers: peers.length,
    prefixes: 0,
    routes: 0,
    otherFamilies: 0,
    skipped: {},
  };
  const cp: unknown[] = [];
  const [c] = await sql.unsafe(routeQuery(o, cp, true), cp as never[]);
  result.otherFamilies = Number(c.other);
  const total = Number(c.routes);

  const { emit, flush } = chunkedWriter(out);
  await emit(peerIndexTable(now, "0.0.0.0", "bmpmon", peers));

  // Attribute sets repeat across routes: each is encoded once.
  const encoded = new Map<string, Uint8Array>();
  let key = "";
  let entries: RibEntry[] = [];
  let prefix = "";
  let multicast = false;
  const endRecord = async () => {
    if (!entries.length) return;
    await emit(ribRecord(now, result.prefixes++, prefix, multicast, entries));
    entries = [];
  };
  const rp: unknown[] = [];
  for await (
    const rows of sql.unsafe<RouteRow[]>(routeQuery(o, rp, false), rp as never[]).cursor(5000)
  ) {
    for (const r of rows) {
      const k = `${r.prefix}|${r.safi}`;
      if (k !== key) {
        await endRecord();
        key = k;
        prefix = r.prefix;
        multicast = r.safi === 2;
      }
      const ak = `${r.attr_id}|${r.afi}`;
      let attributes = encoded.get(ak);
      if (!attributes) {
        const e = encodeStoredAttrs(r, r.afi);
        for (const s of e.skipped) result.skipped[s] = (result.skipped[s] ?? 0) + 1;
        attributes = e.bytes;
        encoded.set(ak, attributes);
      }
      entries.push({
        peerIndex: index.get(r.peer_id)!,
        originated: Number(r.originated),
        pathId: Number(r.path_id),
        attributes,
      });
      result.routes++;
    }
    progress?.(result.routes, total);
  }
  await endRecord();
  await flush();
  return result;
}
