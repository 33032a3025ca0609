/**
 * The control endpoint's contract: where its socket is, and the JSON each request
 * returns. Shared by the endpoint (server.ts), the client and the CLI tables.
 *
 * ```text
 * GET  /summary                         Summary
 * GET  /station                         Station
 * GET  /clients                         ClientInfo[] (connected routers)
 * GET  /holddowns                       HeldRouterInfo[] (router addresses held down)
 * GET  /clients/ID                      ClientDetail
 * GET  /clients/ID/peers                PeerInfo[]
 * GET  /clients/ID/peers/ADDRESS        PeerInfo[] (every peer with that address)
 * GET  /clients/ID/peers/ADDRESS/messages?n=N  MessageInfo[] (those peers', oldest first)
 * GET  /clients/ID/messages?n=N         MessageInfo[] (oldest first)
 * GET  /routes?prefix=P&match=M&limit=N RoutesResult (M: longest | exact | longer)
 * POST /clients/ID/clear                ActionResult
 * GET  /clients/ID/debug                DebugState
 * POST /clients/ID/debug {"on": bool}   DebugState
 * POST /clients/ID/flush                ActionResult
 * POST /sql {"query": "SELECT …"}       QueryResult
 * ```
 *
 * Errors: status 400/404/500 with `{"error": "one line"}`.
 *
 * `bmpmon consume` answers on a socket of its own (`consumeSocketPath`): `GET /summary`
 * (a `ConsumeSummary`), `GET /routes` and `POST /sql`, as above; anything else is 404.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { type Member, positionName } from "../bus/membership.ts";

/** File name of the control socket in DATA_DIR. */
export const SOCKET_NAME = "bmpmon.sock";

/** The control socket of the collector whose state directory is `dataDir` (absolute). */
export function controlSocketPath(dataDir: string): string {
  return resolve(join(dataDir, SOCKET_NAME));
}

/**
 * The control socket of `bmpmon consume` member `member` of `stream` (absolute): beside its
 * position file, `DATA_DIR/consume/<stream>.sock` (`<stream>.<i>of<N>.sock` for a member
 * of several), so that a `serve` and consume members can share one DATA_DIR.
 *
 * @example
 * ```ts
 * import { consumeSocketPath } from "./api.ts";
 * if (consumeSocketPath("/d", "BMP", { index: 1, count: 1 }) !== "/d/consume/BMP.sock") throw new Error();
 * if (!consumeSocketPath("/d", "BMP", { index: 2, count: 3 }).endsWith("/BMP.2of3.sock")) throw new Error();
 * ```
 */
export function consumeSocketPath(dataDir: string, stream: string, member: Member): string {
  const name = positionName(stream, member).replace(/\.json$/, ".sock");
  return resolve(join(dataDir, "consume", name));
}

/** `GET /summary`. */
export interface Summary {
  started_at: string;
  uptime_s: number;
  listen: string;
  routers: { connected: number; sessions_total: number };
  peers: { up: number; total: number };
  messages: number;
  bytes: number;
  decode_errors: number;
  routes: { announced: number; withdrawn: number };
  store: StoreState;
  spool: { depth: number; bytes: number; mode: string; outage_s: number };
  /** The RPKI sources in the store (`rpki_sources`); empty without RPKI. */
  rpki: RpkiSourceSummary[];
  /** The message bus publisher; absent without BUS_URL. */
  bus?: BusSummary;
}

/** `GET /summary` of `bmpmon consume` (src/bus/consume_status.ts `ConsumeStatus`). */
export interface ConsumeSummary {
  started_at: string;
  uptime_s: number;
  consume: {
    stream: string;
    member: { index: number; count: number };
    servers: string[];
    connected: boolean;
    /** Seconds since the connection went down (0: up). */
    down_s: number;
    /** Where this run started reading. */
    start_seq: number;
    /** The last stream sequence number read (0: none yet). */
    last_seq: number;
    /** Messages in the stream after it: the lag. */
    pending: number;
    caught_up: boolean;
    /** The position saved (a restart reads from there). */
    resume_seq: number;
    /** BMP messages handed to the store. */
    messages: number;
    /** Messages read and not stored, by reason. */
    skipped: { other_member: number; foreign: number; orphan_end: number; parsed: number };
    decode_errors: number;
    connections: { open: number; closed: number };
    /** Times reading went on through a new consumer. */
    restarts: number;
  };
  store: StoreState;
}

/** The bus publisher in the summary (src/bus/publisher.ts `BusStatus`). */
export interface BusSummary {
  connected: boolean;
  published: number;
  bytes: number;
  errors: number;
  in_flight: number;
  backlog: number;
  /** Seconds since the connection went down (0: up). */
  down_s: number;
}

/** One RPKI source of the summary: `rtr:HOST:PORT` or `file:PATH`. */
export interface RpkiSourceSummary {
  source: string;
  /** `syncing`, `current`, `stale`, `expired` (VRPs dropped) or `error`. */
  state: string;
  vrps: number;
  serial: number | null;
  protocol_version: number | null;
  /** Seconds since the set last changed or was confirmed. */
  age_s: number | null;
  error: string | null;
}

/** `GET /station`: the collector at a glance, as Junos' `show bgp bmp`. */
export interface Station {
  /** bmpmon's version (deno.json). */
  version: string;
  started_at: string;
  uptime_s: number;
  listen: { address: string; port: number };
  /** Router connections open now and their limits (null: none). */
  clients: { current: number; max: number | null; max_per_address: number | null };
  /** `ROUTER_HOLDDOWN`, null when off. */
  holddown: { setting: string; flaps: number; period_s: number; hold_s: number } | null;
  held_down: HeldRouterInfo[];
  store: StoreState;
  spool: Summary["spool"];
  /** The message bus (`none`: bmpmon publishes to none yet). */
  bus: { kind: string; state: string };
}

/** A router address held down for flapping (`GET /holddowns`). */
export interface HeldRouterInfo {
  address: string;
  since: string;
  until: string;
  left_s: number;
  /** Session ends within the period that started the hold. */
  flaps: number;
  /** Connections refused during this hold. */
  refused: number;
  /** Hold-downs of this address since start, this one included. */
  holddowns: number;
}

/** The store as the summary and `/healthz` see it. */
export interface StoreState {
  kind: string;
  /** `ok` when a probe query answered in time and the last write did not fail. */
  state: "ok" | "error";
  error?: string;
  probe_ms?: number;
  batches: number;
  routes: number;
  errors: number;
  commit_ms: number;
}

/** One router connection (`GET /clients`). */
export interface ClientInfo {
  id: number;
  address: string;
  port: number;
  endpoint: string;
  sys_name: string | null;
  connected_at: string;
  uptime_s: number;
  closed_at: string | null;
  peers: number;
  peers_up: number;
  messages: number;
  bytes: number;
  decode_errors: number;
}

/** `GET /clients/ID`. */
export interface ClientDetail extends ClientInfo {
  sys_descr: string | null;
  /** Its `routers.id` in the database, while connected. */
  db_router_id: number | null;
  messages_by_type: Record<string, number>;
  decode_errors_by_code: Record<string, number>;
  /** UPDATEs decoded through a sender-quirk recovery, by cause, over its peers. */
  recoveries_by_cause: Record<string, number>;
  debug: boolean;
}

/** One monitored peer of a router (all its RIB views together). */
export interface PeerInfo {
  key: string;
  peer_type: string;
  rd: string | null;
  address: string;
  asn: number;
  bgp_id: string;
  state: "up" | "down" | "unknown";
  down_reason: string | null;
  messages: number;
  announced: number;
  withdrawn: number;
  last_message: string | null;
  /** From the last Peer Up, if one was seen. */
  session: PeerSession | null;
  /** What its Peer Ups since the last Peer Down negotiated, merged per family; null
   * before the first Peer Up and after a Peer Down. */
  negotiated: NegotiatedCapabilities | null;
  /** UPDATEs decoded through a sender-quirk recovery, by cause. */
  recoveries: Record<string, number>;
  last_stats: Record<string, number | string> | null;
}

/** The capabilities a peer's Peer Ups negotiated (Loc-RIB: those either OPEN lists). */
export interface NegotiatedCapabilities {
  /** Peer Ups merged (IOS-XR sends one per family). */
  peer_ups: number;
  four_octet_as: boolean;
  extended_message: boolean;
  /** Multiprotocol families (`ipv4_vpn`). */
  families: string[];
  /** Families whose routes from the peer carry path IDs (Adj-RIB-In, Loc-RIB). */
  add_path_in: string[];
  /** Families whose routes to the peer carry path IDs (Adj-RIB-Out). */
  add_path_out: string[];
}

/** What a Peer Up told about a BGP session. */
export interface PeerSession {
  local_address: string;
  local_port: number;
  remote_port: number;
  local_asn: number;
  local_bgp_id: string;
  remote_bgp_id: string;
  hold_time: number;
  /** Capabilities as text (`multiprotocol ipv4_unicast`, `four_octet_as 65002`). */
  sent_capabilities: string[];
  received_capabilities: string[];
  information: { name: string; value: string }[];
}

/** One remembered message (`GET /clients/ID/messages`). */
export interface MessageInfo {
  time: string;
  kind: string;
  length: number;
  line: string;
}

/** `GET /routes`. */
export interface RoutesResult {
  prefix: string;
  match: "longest" | "exact" | "longer";
  /** True when more rows matched than `limit`. */
  truncated: boolean;
  routes: RouteInfo[];
}

/** One current route. */
export interface RouteInfo {
  router: string;
  peer: string;
  peer_asn: number;
  rib: string;
  family: string;
  rd: string | null;
  prefix: string;
  path_id: number | null;
  as_path: string;
  next_hop: string | null;
  communities: string[];
  large_communities: string[];
  last_change: string;
  /**
   * RFC 6811 origin validation (migration 0011): valid, invalid, not-found, or unknown while
   * no RPKI source is usable; null where ROAs do not apply (VPN, EVPN).
   */
  rpki_state: string | null;
}

/** Result of clear and flush. */
export interface ActionResult {
  ok: boolean;
  message: string;
}

/** `GET|POST /clients/ID/debug`. */
export interface DebugState {
  id: number;
  debug: boolean;
}

/** `POST /sql`. */
export interface SqlResult {
  columns: string[];
  rows: unknown[][];
}
