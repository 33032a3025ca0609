/**
 * The control endpoint's requests (listed in api.ts), answered from a
 * {@linkcode CollectorState}.
 *
 * @module
 */

import { familyName } from "../bgp/constants.ts";
import type { PeerContext } from "../bmp/peer_context.ts";
import type { PeerCounters } from "../collector/peer_stats.ts";
import type { RouterConnection } from "../collector/server.ts";
import type {
  ActionResult,
  ClientDetail,
  ClientInfo,
  DebugState,
  MessageInfo,
  NegotiatedCapabilities,
  PeerInfo,
  RouteInfo,
  RoutesResult,
  Summary,
} from "./api.ts";
import { capabilityText, errorLine, messageLine } from "./line.ts";
import { type CollectorState, peersUp, type StoreAccess, storeState } from "./state.ts";
import type { RecentMessage } from "./message_ring.ts";
import { busState, spoolState } from "./station.ts";
import { rpkiSummary } from "../rpki/rpki_summary.ts";
import { RECENT_MESSAGES } from "./tap.ts";

/** A request that cannot be answered: `status` and a one-line message. */
export class ControlError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** How long `clear client` waits for the session's end to reach the store, ms. */
const CLEAR_WAIT_MS = 30_000;

/** Most rows `show routes` returns unless asked for more. */
export const ROUTES_LIMIT = 1000;

const iso = (d: Date | undefined) => (d ? d.toISOString() : null);

function routerOf(s: CollectorState, idText: string): RouterConnection {
  const id = Number(idText);
  const r = Number.isInteger(id) ? s.collector.routers.get(id) : undefined;
  if (!r) throw new ControlError(404, `no client ${idText} (see: bmpmon show clients)`);
  return r;
}

function peersOf(s: CollectorState, id: number): PeerCounters[] {
  return [...(s.peers.routers.get(id)?.peers.values() ?? [])];
}

function clientInfo(s: CollectorState, r: RouterConnection): ClientInfo {
  const peers = peersOf(s, r.id);
  const end = r.closedAt ?? new Date();
  return {
    id: r.id,
    address: r.remoteAddress,
    port: r.remotePort,
    endpoint: r.endpoint,
    sys_name: r.sysName ?? null,
    connected_at: r.connectedAt.toISOString(),
    uptime_s: Math.round((end.getTime() - r.connectedAt.getTime()) / 1000),
    closed_at: iso(r.closedAt),
    peers: peers.length,
    peers_up: peers.filter((p) => p.state === "up").length,
    messages: r.messages,
    bytes: r.bytes,
    decode_errors: r.errors,
  };
}

const familyNames = (keys: Set<number>) =>
  [...keys].sort((a, b) => a - b).map((k) => familyName(k >> 8, k & 0xff));

function negotiated(ctx: PeerContext | undefined): NegotiatedCapabilities | null {
  if (!ctx) return null;
  return {
    peer_ups: ctx.peerUps,
    four_octet_as: ctx.asn4,
    extended_message: ctx.extendedMessage,
    families: familyNames(ctx.multiprotocol),
    add_path_in: familyNames(ctx.addPathIn),
    add_path_out: familyNames(ctx.addPathOut),
  };
}

function peerInfo(p: PeerCounters, r: RouterConnection): PeerInfo {
  const up = p.session;
  return {
    key: p.key,
    peer_type: p.peerType,
    rd: p.rd ?? null,
    address: p.address,
    asn: p.asn,
    // The per-peer header's BGP ID may be 0.0.0.0 (FRR before the session is up).
    bgp_id: up?.receivedOpen.bgpId ?? p.bgpId,
    state: p.state,
    down_reason: p.downReason ?? null,
    messages: p.messages,
    announced: p.announced,
    withdrawn: p.withdrawn,
    last_message: iso(p.lastMessage),
    session: up
      ? {
        local_address: up.localAddress,
        local_port: up.localPort,
        remote_port: up.remotePort,
        local_asn: up.sentOpen.asn,
        local_bgp_id: up.sentOpen.bgpId,
        remote_bgp_id: up.receivedOpen.bgpId,
        hold_time: Math.min(up.sentOpen.holdTime, up.receivedOpen.holdTime),
        sent_capabilities: up.sentOpen.capabilities.map(capabilityText),
        received_capabilities: up.receivedOpen.capabilities.map(capabilityText),
        information: up.information.map((t) => ({ name: t.name, value: t.value })),
      }
      : null,
    negotiated: negotiated(r.session.peers.get(p.key)),
    recoveries: { ...p.recoveries },
    last_stats: p.lastStats ?? null,
  };
}

/** `GET /summary`. */
export async function summary(s: CollectorState): Promise<Summary> {
  const routers = [...s.collector.routers.values()];
  let peers = 0;
  for (const rc of s.peers.routers.values()) peers += rc.peers.size;
  let announced = 0, withdrawn = 0, errors = 0;
  for (const { child, values } of s.metrics.routes.children()) {
    if (values[1] === "announce") announced += child.value;
    else withdrawn += child.value;
  }
  for (const { child } of s.metrics.decodeErrors.children()) errors += child.value;
  let messages = 0;
  for (const { child } of s.metrics.messages.children()) messages += child.value;
  const addr = s.collector.addr;
  return {
    started_at: s.startedAt.toISOString(),
    uptime_s: Math.round((Date.now() - s.startedAt.getTime()) / 1000),
    listen: addr.hostname.includes(":")
      ? `[${addr.hostname}]:${addr.port}`
      : `${addr.hostname}:${addr.port}`,
    routers: {
      connected: routers.filter((r) => !r.closedAt).length,
      sessions_total: s.metrics.sessionsTotal.labels().value,
    },
    peers: { up: peersUp(s.peers), total: peers },
    messages,
    bytes: s.metrics.receivedBytes,
    decode_errors: errors,
    routes: { announced, withdrawn },
    store: await storeState(s),
    spool: spoolState(s),
    rpki: await rpkiSummary(s.store.query),
    bus: busState(s),
  };
}

/** `GET /clients`: connected routers. */
export function clients(s: CollectorState): ClientInfo[] {
  return [...s.collector.routers.values()].filter((r) => !r.closedAt).map((r) => clientInfo(s, r));
}

/** `GET /clients/ID`. */
export function client(s: CollectorState, id: string): ClientDetail {
  const r = routerOf(s, id);
  return {
    ...clientInfo(s, r),
    sys_descr: r.sysDescr ?? null,
    db_router_id: s.store.routerId?.(r.id) ?? null,
    messages_by_type: { ...r.byType },
    decode_errors_by_code: Object.fromEntries(s.peers.routers.get(r.id)?.decodeErrors ?? []),
    recoveries_by_cause: recoveriesOf(peersOf(s, r.id)),
    debug: s.tap.debugging(r.id),
  };
}

function recoveriesOf(peers: PeerCounters[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of peers) {
    for (const [k, n] of Object.entries(p.recoveries)) out[k] = (out[k] ?? 0) + (n ?? 0);
  }
  return out;
}

/** `GET /clients/ID/peers[/ADDRESS]`. */
export function peers(s: CollectorState, id: string, address?: string): PeerInfo[] {
  const r = routerOf(s, id);
  const all = peersOf(s, r.id);
  if (address === undefined) return all.map((p) => peerInfo(p, r));
  const found = all.filter((p) => p.address === address || p.key === address);
  if (found.length === 0) {
    throw new ControlError(404, `client ${r.id} has no peer ${address}`);
  }
  return found.map((p) => peerInfo(p, r));
}

const messageInfo = (e: RecentMessage): MessageInfo => ({
  time: new Date(e.time).toISOString(),
  kind: e.message?.kind ?? "error",
  length: e.length,
  line: e.message ? messageLine(e.message) : errorLine(e.error!),
});

/** `GET /clients/ID/messages?n=N`. */
export function messages(s: CollectorState, id: string, n: number): MessageInfo[] {
  const r = routerOf(s, id);
  return s.tap.recent(r.id, Math.min(n, RECENT_MESSAGES)).map(messageInfo);
}

/** `GET /clients/ID/peers/ADDRESS/messages?n=N`: of every peer with that address (or key). */
export function peerMessages(
  s: CollectorState,
  id: string,
  address: string,
  n: number,
): MessageInfo[] {
  const r = routerOf(s, id);
  const keys = peersOf(s, r.id).filter((p) => p.address === address || p.key === address)
    .map((p) => p.key);
  if (keys.length === 0) throw new ControlError(404, `client ${r.id} has no peer ${address}`);
  return s.tap.recentOfPeers(r.id, keys, Math.min(n, RECENT_MESSAGES)).map(messageInfo);
}

/** `POST /clients/ID/clear`: closes the connection; resolves once its peers are down. */
export async function clear(s: CollectorState, id: string): Promise<ActionResult> {
  const r = routerOf(s, id);
  if (r.closedAt) return { ok: false, message: `client ${r.id} is not connected` };
  const ended = s.tap.ended(r.id);
  s.collector.disconnect(r.id);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((res) => timer = setTimeout(() => res(false), CLEAR_WAIT_MS));
  const done = await Promise.race([ended.then(() => true), late]);
  clearTimeout(timer);
  return done
    ? {
      ok: true,
      message: `client ${r.id} (${r.endpoint}) disconnected; its peers are down and their ` +
        "routes marked withdrawn",
    }
    : { ok: false, message: `client ${r.id} disconnected; the store is still catching up` };
}

/** `GET|POST /clients/ID/debug`. */
export function debug(s: CollectorState, id: string, on?: boolean): DebugState {
  const r = routerOf(s, id);
  if (on !== undefined) {
    if (on && r.closedAt) throw new ControlError(400, `client ${r.id} is not connected`);
    s.tap.setDebug(r.id, on);
  }
  return { id: r.id, debug: s.tap.debugging(r.id) };
}

/** `POST /clients/ID/flush`: commits every pending batch (batches hold all routers' routes). */
export async function flush(s: CollectorState, id: string): Promise<ActionResult> {
  const r = routerOf(s, id);
  const before = s.store.writer.stats.batches;
  try {
    await s.store.flush();
  } catch (e) {
    throw new ControlError(500, `flush failed: ${(e as Error).message}`);
  }
  const n = s.store.writer.stats.batches - before;
  return {
    ok: true,
    message: `flushed: ${n} batch${n === 1 ? "" : "es"} committed (all routers' pending ` +
      `batches, client ${r.id} included)`,
  };
}

/** `POST /sql {"query": "…"}`: one read-only statement. */
export async function sql(s: { store: Pick<StoreAccess, "query"> }, query: unknown) {
  if (typeof query !== "string" || !query.trim()) {
    throw new ControlError(400, 'sql needs {"query": "…"}');
  }
  try {
    return await s.store.query(query);
  } catch (e) {
    throw new ControlError(400, (e as Error).message.split("\n")[0]);
  }
}

const ROUTE_COLUMNS = `router, host(peer) AS peer, peer_asn, peer_type, post_policy,
  adj_rib_out, loc_rib, table_name, afi, safi, rd, text(prefix) AS prefix, path_id,
  as_path_text, host(next_hop) AS next_hop, communities, large_communities, last_change,
  rpki_state`;

const ROUTE_MATCH = {
  exact: "prefix = $1::inet",
  longer: "prefix <<= $1::inet",
  // Every network containing $1, probed in rib_key; `>>=` cannot use a btree (0008).
  longest: "prefix = ANY(covering($1::inet))",
} as const;

/** `GET /routes`: current routes for a prefix (longest match per RIB view, exact, or longer). */
export async function routes(
  s: { store: Pick<StoreAccess, "query"> },
  prefix: string,
  match: string,
  limit: number,
): Promise<RoutesResult> {
  if (!(match in ROUTE_MATCH)) {
    throw new ControlError(400, `match ${match}: longest, exact or longer`);
  }
  const m = match as keyof typeof ROUTE_MATCH;
  const where = ROUTE_MATCH[m];
  // Longest match: for each RIB view, the most specific routes containing the prefix.
  const text = m === "longest"
    ? `SELECT ${ROUTE_COLUMNS} FROM (SELECT *, rank() OVER (PARTITION BY peer_id, rd
         ORDER BY masklen(prefix) DESC) AS lpm FROM v_routes WHERE ${where}) v
       WHERE lpm = 1 ORDER BY router, peer, prefix, path_id LIMIT $2`
    : `SELECT ${ROUTE_COLUMNS} FROM v_routes WHERE ${where}
       ORDER BY router, peer, prefix, path_id LIMIT $2`;
  let res;
  try {
    res = await s.store.query(text, [prefix, limit + 1]);
  } catch (e) {
    throw new ControlError(400, (e as Error).message);
  }
  const col = new Map(res.columns.map((c, i) => [c, i]));
  const get = (row: unknown[], c: string) => row[col.get(c)!];
  const rows = res.rows.slice(0, limit).map((row): RouteInfo => {
    const rib = get(row, "loc_rib")
      ? "loc-rib"
      : `${get(row, "adj_rib_out") ? "adj-rib-out " : ""}${
        get(row, "post_policy") ? "post-policy" : "pre-policy"
      }`;
    const table = get(row, "table_name");
    return {
      router: String(get(row, "router")),
      peer: String(get(row, "peer")),
      peer_asn: Number(get(row, "peer_asn")),
      rib: table ? `${rib} ${table}` : rib,
      family: familyName(Number(get(row, "afi")), Number(get(row, "safi"))),
      rd: (get(row, "rd") as string | null) ?? null,
      prefix: String(get(row, "prefix")),
      path_id: (get(row, "path_id") as number | null) ?? null,
      as_path: String(get(row, "as_path_text") ?? ""),
      next_hop: (get(row, "next_hop") as string | null) ?? null,
      communities: (get(row, "communities") as string[] | null) ?? [],
      large_communities: (get(row, "large_communities") as string[] | null) ?? [],
      last_change: String(get(row, "last_change")),
      rpki_state: (get(row, "rpki_state") as string | null) ?? null,
    };
  });
  return { prefix, match: m, truncated: res.rows.length > limit, routes: rows };
}
