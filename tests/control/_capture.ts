/**
 * What a capture (or the first part of one) should put into a collector, computed with
 * the decoder: message counts, per-peer counters, routes per family, and the routes
 * current at the end. The control and metrics tests compare the collector's answers with
 * this, and check it against the capture's reference counts (`*.expected.json`, tshark).
 *
 * @module
 */

import { familyName } from "../../src/bgp/constants.ts";
import { forEachRoute } from "../../src/bgp/routes.ts";
import type { BmpMessage } from "../../src/bmp/message.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { routeKey } from "../../src/bmp/summary.ts";
import { ribViewText } from "../../src/control/line.ts";
import { readCapture } from "../../src/io/file.ts";
import { assertEquals } from "../_assert.ts";

/** One message of a capture with its place in the stream. */
export interface Sent {
  m: BmpMessage;
  start: number;
  end: number;
}

/** A capture's single flow, decoded. */
export interface Capture {
  path: string;
  data: Uint8Array;
  messages: Sent[];
}

/** Reads a one-flow capture and decodes it (every message must decode). */
export async function loadCapture(path: string): Promise<Capture> {
  const c = await readCapture(path);
  assertEquals(c.flows.length, 1, `${path}: one flow`);
  const data = c.flows[0].data;
  const messages: Sent[] = [];
  for (const item of readBmpStream(data)) {
    if (!item.message) throw new Error(`${path}: ${item.error.message}`);
    messages.push({
      m: item.message,
      start: item.message.offset,
      end: item.message.offset + item.message.length,
    });
  }
  return { path, data, messages };
}

/** Message counts by type from the capture's `*.expected.json` (tshark), keys as bmpmon's. */
export async function referenceCounts(path: string): Promise<Record<string, number>> {
  const ref = JSON.parse(await Deno.readTextFile(path.replace(/\.bmp$/, ".expected.json")));
  return Object.fromEntries(
    Object.entries(ref.messages_by_type as Record<string, number>).map(([k, v]) => [
      k.replaceAll("-", "_"),
      v,
    ]),
  );
}

/**
 * Index of the first Peer Down after the first Peer Up: sending the messages before it
 * leaves the monitored session up, with its routes current.
 */
export function sessionEnd(messages: Sent[]): number {
  const up = messages.findIndex((s) => s.m.kind === "peer_up");
  const down = messages.findIndex((s, i) => i > up && s.m.kind === "peer_down");
  if (up < 0 || down < 0) throw new Error("no Peer Up followed by a Peer Down");
  return down;
}

/** The bytes of messages `[from, to)`. */
export function bytesOf(c: Capture, from: number, to: number): Uint8Array {
  return c.data.subarray(c.messages[from].start, c.messages[to - 1].end);
}

/** Counters of one peer as PeerStatsSink keeps them. */
export interface PeerModel {
  key: string;
  address: string;
  state: "up" | "down" | "unknown";
  messages: number;
  announced: number;
  withdrawn: number;
  lastStats?: BmpMessage & { kind: "statistics_report" };
  peerUp?: BmpMessage & { kind: "peer_up" };
}

/** A route current at the end (announced, not withdrawn since). */
export interface RouteModel {
  peer: string;
  rib: string;
  family: string;
  prefix: string;
}

/** What a sequence of messages of one router amounts to. */
export interface RouterModel {
  messages: number;
  bytes: number;
  byType: Record<string, number>;
  peers: Map<string, PeerModel>;
  /** `family|announce` / `family|withdraw` → NLRI as sent. */
  routes: Record<string, number>;
  nlri: number;
  /** Route identity → the route, for routes announced and not withdrawn since. */
  current: Map<string, RouteModel>;
}

/** Builds the model of `messages` sent by one router. */
export function modelOf(messages: Sent[]): RouterModel {
  const r: RouterModel = {
    messages: 0,
    bytes: 0,
    byType: {},
    peers: new Map(),
    routes: {},
    nlri: 0,
    current: new Map(),
  };
  for (const { m, start, end } of messages) {
    r.messages++;
    r.bytes += end - start;
    r.byType[m.kind] = (r.byType[m.kind] ?? 0) + 1;
    if (!("peer" in m)) continue;
    const h = m.peer;
    let p = r.peers.get(h.key);
    if (!p) {
      r.peers.set(
        h.key,
        p = {
          key: h.key,
          address: h.address,
          state: "unknown",
          messages: 0,
          announced: 0,
          withdrawn: 0,
        },
      );
    }
    p.messages++;
    if (m.kind === "peer_up") {
      p.state = "up";
      p.peerUp = m;
    } else if (m.kind === "peer_down") {
      p.state = "down";
      for (const [k] of r.current) if (k.startsWith(`${h.key}|`)) r.current.delete(k);
    } else if (m.kind === "statistics_report") p.lastStats = m;
    else if (m.kind === "route_monitoring") {
      const view = `${h.key}|${h.postPolicy}|${h.adjRibOut}`;
      forEachRoute(m.update, (afi, safi, withdrawn, n) => {
        const family = familyName(afi, safi);
        const k = `${family}|${withdrawn ? "withdraw" : "announce"}`;
        r.routes[k] = (r.routes[k] ?? 0) + 1;
        r.nlri++;
        if (withdrawn) p.withdrawn++;
        else p.announced++;
        const id = `${view}|${afi}|${safi}|${routeKey(n)}`;
        // RFC 7606 treat-as-withdraw: the store keeps such announcements as withdrawals.
        if (withdrawn || m.update.treatAsWithdraw) r.current.delete(id);
        else r.current.set(id, { peer: h.address, rib: ribViewText(h), family, prefix: n.prefix });
      });
    }
  }
  return r;
}

/** IPv4 CIDR text → [network as a number, length]. */
export function ipv4Net(cidr: string): [number, number] {
  const [a, len = "32"] = cidr.split("/");
  const n = a.split(".").reduce((x, o) => x * 256 + Number(o), 0);
  return [n, Number(len)];
}

/** Whether IPv4 prefix `outer` contains (or equals) `inner`. */
export function ipv4Contains(outer: string, inner: string): boolean {
  const [o, ol] = ipv4Net(outer);
  const [i, il] = ipv4Net(inner);
  if (il < ol) return false;
  const size = 2 ** (32 - ol);
  return Math.floor(o / size) === Math.floor(i / size);
}
