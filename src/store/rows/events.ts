/**
 * The rows of the tables beside the routes (RFC 7854 §4): statistics, peer events, router
 * events and route mirroring, the ones `../events.ts` writes. Pure functions, like
 * `route.ts`.
 *
 * @module
 */

import type {
  InitiationMessage,
  PeerDownMessage,
  PeerUpMessage,
  RouteMirroringMessage,
  StatisticsReportMessage,
  TerminationMessage,
} from "../../bmp/message.ts";
import { peerTime, type RouteRowsOptions } from "./time.ts";

/** One statistic (table `stats_reports`). */
export interface StatRow {
  time: string;
  routerId: number;
  peerId: number;
  type: number;
  name: string;
  afi: number | null;
  safi: number | null;
  /** Decimal text of the counter or gauge; null when only `raw` is known. */
  value: string | null;
  raw: string | null;
}

/** One row per counter of a Statistics Report (RFC 7854 §4.8). */
export function statRows(
  m: StatisticsReportMessage,
  routerId: number,
  peerId: number,
  opts: RouteRowsOptions = {},
): StatRow[] {
  const time = peerTime(m.peer, opts.nowMs);
  return m.stats.map((s) => ({
    time,
    routerId,
    peerId,
    type: s.type,
    name: s.name,
    afi: s.afi ?? null,
    safi: s.safi ?? null,
    value: s.value === undefined ? null : String(s.value),
    raw: s.raw ?? null,
  }));
}

/** Values of a `peer_events` row (Peer Up or Peer Down). */
export interface PeerEventRow {
  time: string;
  routerId: number;
  peerId: number;
  event: "up" | "down";
  reason: number | null;
  reasonName: string | null;
  notification: unknown;
  fsmEvent: number | null;
  info: unknown;
}

/** A `peer_events` row of `m` with the fields only one event kind has still NULL. */
function peerEvent(
  m: PeerUpMessage | PeerDownMessage,
  routerId: number,
  peerId: number,
  event: PeerEventRow["event"],
  opts: RouteRowsOptions,
): PeerEventRow {
  return {
    time: peerTime(m.peer, opts.nowMs),
    routerId,
    peerId,
    event,
    reason: null,
    reasonName: null,
    notification: null,
    fsmEvent: null,
    info: null,
  };
}

/** The event row of a Peer Up (RFC 7854 §4.10). */
export function peerUpRow(
  m: PeerUpMessage,
  routerId: number,
  peerId: number,
  opts: RouteRowsOptions = {},
): PeerEventRow {
  const row = peerEvent(m, routerId, peerId, "up", opts);
  row.info = {
    localAddress: m.localAddress,
    localPort: m.localPort,
    remotePort: m.remotePort,
    sentOpen: m.sentOpen,
    receivedOpen: m.receivedOpen,
    information: m.information,
  };
  return row;
}

/** The event row of a Peer Down (RFC 7854 §4.9). */
export function peerDownRow(
  m: PeerDownMessage,
  routerId: number,
  peerId: number,
  opts: RouteRowsOptions = {},
): PeerEventRow {
  const row = peerEvent(m, routerId, peerId, "down", opts);
  row.reason = m.reason;
  row.reasonName = m.reasonName;
  row.notification = m.notification ?? null;
  row.fsmEvent = m.fsmEvent ?? null;
  row.info = m.information || m.data ? { information: m.information, data: m.data } : null;
  return row;
}

/** Values of a `router_events` row (Initiation or Termination). */
export interface RouterEventRow {
  routerId: number;
  event: "initiation" | "termination";
  sysName: string | null;
  sysDescr: string | null;
  reason: number | null;
  reasonName: string | null;
  information: unknown;
}

/** The event row of an Initiation (RFC 7854 §4.3) or Termination (§4.5). */
export function routerEventRow(
  m: InitiationMessage | TerminationMessage,
  routerId: number,
): RouterEventRow {
  if (m.kind === "initiation") {
    return {
      routerId,
      event: "initiation",
      sysName: m.sysName ?? null,
      sysDescr: m.sysDescr ?? null,
      reason: null,
      reasonName: null,
      information: m.information,
    };
  }
  return {
    routerId,
    event: "termination",
    sysName: null,
    sysDescr: null,
    reason: m.reason ?? null,
    reasonName: m.reasonName ?? null,
    information: m.information,
  };
}

/** Values of a `route_mirroring` row. */
export interface MirroringRow {
  time: string;
  routerId: number;
  peerId: number;
  info: unknown;
  raw: Uint8Array | null;
}

/**
 * The row of a Route Mirroring message (RFC 7854 §4.7): the decoded entries as JSON and
 * the raw message bytes (`raw`, e.g. `bytes.subarray(m.offset, m.offset + m.length)`).
 */
export function mirroringRow(
  m: RouteMirroringMessage,
  routerId: number,
  peerId: number,
  raw?: Uint8Array,
  opts: RouteRowsOptions = {},
): MirroringRow {
  return {
    time: peerTime(m.peer, opts.nowMs),
    routerId,
    peerId,
    info: m.entries,
    raw: raw ?? null,
  };
}
