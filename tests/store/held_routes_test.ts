/**
 * RFC 7606 with monitoring semantics (issue 10): treat-as-withdraw is for a speaker that
 * received the UPDATE, so it applies to pre-policy Adj-RIB-In views only. Post-policy,
 * Loc-RIB (RFC 9069) and Adj-RIB-Out (RFC 8671) views report routes the router holds:
 * the store keeps those whose NLRI parsed, with the faulty attribute NULL and the
 * problem recorded, and never makes routes out of an MP_REACH_NLRI that failed.
 */

import type { Sql } from "postgres";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { forEachRoute } from "../../src/bgp/routes.ts";
import { decodeUpdate } from "../../src/bgp/update.ts";
import type { BmpMessage, RouteMonitoringMessage } from "../../src/bmp/message.ts";
import type { PerPeerHeader } from "../../src/bmp/per_peer_header.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { readCapture } from "../../src/io/file.ts";
import { migrate } from "../../src/store/migrate.ts";
import { routeKeyOf, routeRows } from "../../src/store/rows/route.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { dbTest } from "./_db.ts";

const PMACCT_205 = fixture("pmacct-tests/205-BMP-6wind-FRR-peer_down/traffic-00.pcap");

// ---------------------------------------------------------------- byte-built UPDATEs

function attr(flags: number, type: number, value: number[]): number[] {
  return [flags, type, value.length, ...value];
}

const ORIGIN = attr(0x40, 1, [0]);
const AS_PATH = attr(0x40, 2, [2, 1, 0, 0, 0xfd, 0xe9]); // AS_SEQUENCE 65001
const NEXT_HOP = attr(0x40, 3, [192, 0, 2, 1]);
const NET_10 = [8, 10]; // 10.0.0.0/8
const IPV6_NH = [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1];
// MP_REACH_NLRI, IPv6 unicast, 2001:db8::/32.
const MP_REACH_V6 = attr(0x80, 14, [0, 2, 1, 16, ...IPV6_NH, 0, 32, 0x20, 0x01, 0x0d, 0xb8]);
// The same, its only NLRI claiming 64 bits with 4 bytes left: the attribute fails.
const MP_REACH_V6_BAD = attr(0x80, 14, [0, 2, 1, 16, ...IPV6_NH, 0, 64, 0x20, 0x01, 0x0d, 0xb8]);

/** An UPDATE body (after the BGP header) decoded as a 4-byte-ASN session without Add-Path. */
function update(attrs: number[], nlri: number[]) {
  const body = new Uint8Array([0, 0, attrs.length >> 8, attrs.length & 255, ...attrs, ...nlri]);
  return decodeUpdate(body, 0, body.length, { asn4: true, addPath: () => false });
}

/** Per-peer headers of the four kinds of RIB view. */
function view(kind: "pre" | "post" | "out" | "loc"): PerPeerHeader {
  const peerType = kind === "loc" ? 3 : 0;
  return {
    peerType,
    flags: kind === "post" ? 0x40 : kind === "out" ? 0x10 : 0,
    address: kind === "loc" ? "0.0.0.0" : "192.0.2.2",
    asn: 65002,
    bgpId: "192.0.2.2",
    tsSec: 1_700_000_000,
    tsUsec: 0,
    postPolicy: kind === "post",
    adjRibOut: kind === "out",
    asn2: false,
    filtered: false,
    key: `${peerType}||192.0.2.2`,
  };
}

function rm(peer: PerPeerHeader, u: ReturnType<typeof update>): RouteMonitoringMessage {
  return { kind: "route_monitoring", version: 3, length: 0, offset: 0, peer, update: u };
}

Deno.test("routeRows() keeps routes without NEXT_HOP in post-policy, Adj-RIB-Out and Loc-RIB views", () => {
  const u = update([...ORIGIN, ...AS_PATH], NET_10);
  // The decoder's verdict does not depend on the view.
  assertEquals(u.treatAsWithdraw, true);
  assertEquals(u.problems.map((p) => p.reason), ["NEXT_HOP missing"]);
  for (const kind of ["post", "out", "loc"] as const) {
    const rows = routeRows(rm(view(kind), u), 1, 1);
    assertEquals(rows.map((r) => [r.prefix, r.withdrawn]), [["10.0.0.0/8", false]], kind);
    assertEquals(rows[0].attrs?.nextHop, null, kind);
    assertEquals(rows[0].attrs?.problems?.map((p) => [p.action, p.reason]), [
      ["treat-as-withdraw", "NEXT_HOP missing"],
    ]);
  }
});

Deno.test("routeRows() treats as withdrawn a faulty UPDATE of a pre-policy Adj-RIB-In", () => {
  const rows = routeRows(rm(view("pre"), update([...ORIGIN, ...AS_PATH], NET_10)), 1, 1);
  assertEquals(rows.map((r) => [r.prefix, r.withdrawn]), [["10.0.0.0/8", true]]);
  // The faulty set stays referenced: v_route_history reads "treat-as-withdraw".
  assertEquals(rows[0].attrs?.problems?.[0].reason, "NEXT_HOP missing");
});

Deno.test("routeRows() makes no route of an MP_REACH_NLRI that failed, keeps the IPv4 NLRI field's", () => {
  const u = update([...ORIGIN, ...AS_PATH, ...NEXT_HOP, ...MP_REACH_V6_BAD], NET_10);
  assertEquals(u.problems.map((p) => [p.action, p.attribute]), [["session-reset", 14]]);
  for (const kind of ["post", "loc"] as const) {
    const rows = routeRows(rm(view(kind), u), 1, 1);
    // No IPv6 row: the failed attribute's bytes are kept raw (path_attrs.unknown_attrs).
    assertEquals(rows.map((r) => [r.afi, r.prefix, r.withdrawn]), [[1, "10.0.0.0/8", false]]);
    assertEquals(rows[0].attrs?.nextHop, "192.0.2.1");
  }
  const pre = routeRows(rm(view("pre"), u), 1, 1);
  assertEquals(pre.map((r) => [r.afi, r.prefix, r.withdrawn]), [[1, "10.0.0.0/8", true]]);
});

Deno.test("routeRows() withdraws the routes of a repeated MP_REACH_NLRI in every view", () => {
  // RFC 7606 §3.g: which copy the router meant is unknown, so the first copy's routes are
  // not taken as held; the IPv4 NLRI field is not in doubt.
  const u = update([...ORIGIN, ...AS_PATH, ...NEXT_HOP, ...MP_REACH_V6, ...MP_REACH_V6], NET_10);
  assertEquals(u.problems.map((p) => [p.action, p.reason]), [
    ["session-reset", "attribute 14 repeated"],
  ]);
  const rows = routeRows(rm(view("loc"), u), 1, 1);
  assertEquals(rows.map((r) => [r.afi, r.prefix, r.withdrawn]), [
    [2, "2001:db8::/32", true],
    [1, "10.0.0.0/8", false],
  ]);
});

// ---------------------------------------------------------------- pmacct test 205

/** Whether the view reports routes the router holds (restated here, not imported). */
function held(p: PerPeerHeader): boolean {
  return p.peerType === 3 || p.postPolicy || p.adjRibOut;
}

interface Route {
  nextHop: string | null;
  problems: string[];
}

/**
 * The current routes after `messages` by the decoder and the rule above: per view and
 * route, the last announcement unless withdrawn since (a Peer Down withdraws every route
 * of its peer, in all its views).
 */
function current(messages: BmpMessage[]): Map<string, Route> {
  const rib = new Map<string, Route>();
  for (const m of messages) {
    if (m.kind === "peer_down") {
      const peer = `${m.peer.peerType}|${m.peer.address}|`;
      for (const k of [...rib.keys()]) if (k.startsWith(peer)) rib.delete(k);
    }
    if (m.kind !== "route_monitoring") continue;
    const u = m.update;
    // v_routes has no peer distinguisher: fine for 205, whose peers are types 0 and 3.
    const v = `${m.peer.peerType}|${m.peer.address}|${m.peer.postPolicy}|${m.peer.adjRibOut}`;
    const session = u.problems.some((p) => p.action === "session-reset");
    assert(!session, "pmacct 205 has no session-reset problem");
    forEachRoute(u, (afi, safi, withdrawn, n, nextHop) => {
      const k = `${v}|${afi}|${safi}|${n.rd ?? ""}|${n.pathId ?? 0}|${routeKeyOf(n)}`;
      if (withdrawn || (u.treatAsWithdraw && !held(m.peer))) rib.delete(k);
      else rib.set(k, { nextHop: nextHop ?? null, problems: u.problems.map((p) => p.reason) });
    });
  }
  return rib;
}

async function storeCapture(sql: Sql, path: string) {
  const capture = await readCapture(path);
  assertEquals(capture.flows.length, 1);
  const messages = [...readBmpStream(capture.flows[0].data)].map((i) => i.message)
    .filter((m): m is BmpMessage => m !== undefined);
  await migrate(sql, { timescaledb: false });
  const writer = await StoreWriter.open(sql, { lanes: 2, batchRows: 500 });
  const routerId = await writer.router("frr-205", "127.0.0.1");
  for (const m of messages) {
    const wait = writer.write(routerId, m);
    if (wait) await wait;
  }
  await writer.close();
  return { routerId, messages };
}

dbTest(
  "pmacct 205: post-policy and Loc-RIB routes without NEXT_HOP are in v_routes",
  async (sql) => {
    const { routerId, messages } = await storeCapture(sql, PMACCT_205);
    const rows = await sql`
    SELECT v.peer_type, coalesce(v.rd, '') AS rd, host(v.peer) AS peer, v.post_policy,
      v.adj_rib_out, v.loc_rib, v.afi, v.safi, coalesce(v.path_id, 0) AS path_id, v.route_key,
      text(v.prefix) AS prefix, host(v.next_hop) AS next_hop, v.problems
    FROM v_routes v
    WHERE v.router_id = ${routerId}`;
    const got = new Map<string, Route>();
    for (const r of rows) {
      const k =
        `${r.peer_type}|${r.peer}|${r.post_policy}|${r.adj_rib_out}|${r.afi}|${r.safi}|${r.rd}|${r.path_id}|${r.route_key}`;
      const problems = (r.problems ?? []) as { reason: string }[];
      got.set(k, { nextHop: r.next_hop, problems: problems.map((p) => p.reason) });
    }
    const want = current(messages);
    const sorted = (m: Map<string, Route>) => [...m].sort(([a], [b]) => a.localeCompare(b));
    assertEquals(sorted(got), sorted(want));

    // The 140 UPDATEs without NEXT_HOP (one IPv4 route each, SOURCES.md and
    // tests/captures/all_captures_test.ts) are current routes, next hop NULL.
    const noHop = rows.filter((r) =>
      ((r.problems ?? []) as { reason: string }[]).some((p) => p.reason === "NEXT_HOP missing")
    );
    assertEquals(noHop.length, 140);
    for (const r of noHop) {
      assertEquals(r.next_hop, null, `${r.peer} ${r.prefix}`);
      assert(r.post_policy || r.loc_rib, `${r.peer} ${r.prefix}: a post-policy or Loc-RIB view`);
      assertEquals([r.afi, r.safi], [1, 1]);
    }
    // pmacct's expected output for this capture (output-bmp-00.json, seq 7-9) logs
    // 100.105.30.0/24 as an update in these three views, next hop shown as 0.0.0.0.
    const views = noHop.filter((r) => r.prefix === "100.105.30.0/24")
      .map((r) => `${r.peer} ${r.loc_rib ? "loc-rib" : "post-policy"}`).sort();
    assertEquals(views, [
      "0.0.0.0 loc-rib",
      "198.51.100.22 post-policy",
      "198.51.100.86 post-policy",
    ]);
  },
);
