/**
 * `GET /station` and `GET /holddowns`: the collector at a glance (listener, clients
 * against their limits, flap hold-down, store, spool, bus, version), as Junos'
 * `show bgp bmp` shows a station.
 *
 * @module
 */

import meta from "../../deno.json" with { type: "json" };
import { holddownText } from "../collector/holddown.ts";
import type { HeldRouterInfo, Station, Summary } from "./api.ts";
import { type CollectorState, storeState } from "./state.ts";

/** bmpmon's version, from deno.json. */
export const VERSION: string = meta.version;

const finite = (n: number) => (Number.isFinite(n) ? n : null);

/** `GET /holddowns`: router addresses held down now, longest held first. */
export function holddowns(s: CollectorState, nowMs = Date.now()): HeldRouterInfo[] {
  const h = s.collector.holddown;
  if (!h) return [];
  return h.held(nowMs).map((r) => ({
    address: r.address,
    since: new Date(r.since).toISOString(),
    until: new Date(r.until).toISOString(),
    left_s: Math.ceil((r.until - nowMs) / 1000),
    flaps: r.flaps,
    refused: r.refused,
    holddowns: h.holddowns.get(r.address) ?? 1,
  }));
}

/** The spool as the summary and the station show it. */
export function spoolState(s: CollectorState): Summary["spool"] {
  const st = s.spoolStatus?.();
  return {
    depth: s.spoolDepth?.() ?? 0,
    bytes: st?.bytes ?? 0,
    mode: st?.mode ?? "none",
    outage_s: st?.outageSince ? Math.round((Date.now() - st.outageSince) / 1000) : 0,
  };
}

/** The bus publisher as the summary shows it (undefined without BUS_URL). */
export function busState(s: CollectorState): Summary["bus"] {
  const b = s.busStatus?.();
  if (!b) return undefined;
  return {
    connected: b.connected,
    published: b.published,
    bytes: b.bytes,
    errors: b.errors,
    in_flight: b.inFlight,
    backlog: b.backlog,
    down_s: b.downSince ? Math.round((Date.now() - b.downSince) / 1000) : 0,
  };
}

/** `GET /station`. */
export async function station(s: CollectorState): Promise<Station> {
  const c = s.collector;
  const addr = c.addr;
  const max = c.maxConnections;
  const p = c.holddown?.policy;
  return {
    version: VERSION,
    started_at: s.startedAt.toISOString(),
    uptime_s: Math.round((Date.now() - s.startedAt.getTime()) / 1000),
    listen: { address: addr.hostname, port: addr.port },
    clients: {
      current: c.connections,
      max: finite(max.total),
      max_per_address: finite(max.perAddress),
    },
    holddown: p
      ? {
        setting: holddownText(p),
        flaps: p.flaps,
        period_s: p.periodMs / 1000,
        hold_s: p.holdMs / 1000,
      }
      : null,
    held_down: holddowns(s),
    store: await storeState(s),
    spool: spoolState(s),
    bus: s.busStatus
      ? { kind: "nats", state: s.busStatus().connected ? "connected" : "down" }
      : { kind: "none", state: "none" },
  };
}
