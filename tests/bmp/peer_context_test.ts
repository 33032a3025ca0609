import { type PeerContext, peerContextFromOpens } from "../../src/bmp/peer_context.ts";
import { BmpSession } from "../../src/bmp/session.ts";
import type { RouteMonitoringMessage } from "../../src/bmp/message.ts";
import { decodeOpen } from "../../src/bgp/open.ts";
import {
  assertEquals,
  basicAttrs,
  cap,
  capAddPath,
  capAs4,
  capMp,
  decodeBmp,
  ip,
  mpReach,
  mpUnreach,
  open,
  peerDown,
  peerUp,
  prefix,
  rd0,
  routeMonitoring,
  update,
} from "../_build.ts";

const IPV4 = 256 + 1;
const openWith = (...f: [number, number, number][]) => {
  const m = open({ caps: f.length ? [capAddPath(...f)] : [] });
  return decodeOpen(m, 19, m.length);
};
const sets = (c: PeerContext) => [[...c.addPathIn], [...c.addPathOut]];

Deno.test("peerContextFromOpens() expects path ids from a peer that sends to a router that receives", () => {
  // sent = the monitored router's OPEN, received = the peer's.
  const c = peerContextFromOpens(0, openWith([1, 1, 1]), openWith([1, 1, 2]));
  assertEquals(sets(c), [[IPV4], []]);
});

Deno.test("peerContextFromOpens() expects path ids toward a peer that receives from a router that sends", () => {
  const c = peerContextFromOpens(0, openWith([1, 1, 2]), openWith([1, 1, 1]));
  assertEquals(sets(c), [[], [IPV4]]);
});

Deno.test("peerContextFromOpens() sets both directions for send/receive on both sides", () => {
  const c = peerContextFromOpens(0, openWith([1, 1, 3]), openWith([1, 1, 3]));
  assertEquals(sets(c), [[IPV4], [IPV4]]);
});

Deno.test("peerContextFromOpens() expects no path ids when only one side advertises", () => {
  assertEquals(sets(peerContextFromOpens(0, openWith([1, 1, 3]), openWith())), [[], []]);
  assertEquals(sets(peerContextFromOpens(0, openWith(), openWith([1, 1, 3]))), [[], []]);
  // Both receive, nobody sends.
  assertEquals(sets(peerContextFromOpens(0, openWith([1, 1, 1]), openWith([1, 1, 1]))), [[], []]);
});

Deno.test("peerContextFromOpens() takes either OPEN for a Loc-RIB peer (RFC 9069 §5.3)", () => {
  assertEquals(sets(peerContextFromOpens(3, openWith([1, 1, 1]), openWith())), [[IPV4], [IPV4]]);
  assertEquals(sets(peerContextFromOpens(3, openWith(), openWith())), [[], []]);
});

// --- Through a session: Peer Up first, then Route Monitoring ------------------------------

const withId = update({ attrs: basicAttrs(), nlri: [prefix("10.0.0.0/8", { pathId: 1 })] });
const plain = update({ attrs: basicAttrs(), nlri: [prefix("0.0.0.0/0"), prefix("10.0.0.0/8")] });

function routes(session: BmpSession, pdu: Uint8Array, flags = 0, type = 0) {
  const m = session.decode(routeMonitoring(pdu, { flags, type }), 0) as RouteMonitoringMessage;
  return m.update.nlri;
}

Deno.test("BmpSession.decode() reads Adj-RIB-In path ids as the Peer Up OPENs say", () => {
  const s = new BmpSession();
  s.decode(
    peerUp(open({ caps: [capAddPath([1, 1, 1])] }), open({ caps: [capAddPath([1, 1, 2])] })),
    0,
  );
  assertEquals(routes(s, withId), [{ prefix: "10.0.0.0/8", pathId: 1 }]);
  // Adj-RIB-Out (O flag) looks the other way: the router does not send path ids.
  assertEquals(routes(s, plain, 0x10), [{ prefix: "0.0.0.0/0" }, { prefix: "10.0.0.0/8" }]);
});

Deno.test("BmpSession.decode() reads Adj-RIB-Out path ids from the reversed direction", () => {
  const s = new BmpSession();
  s.decode(
    peerUp(open({ caps: [capAddPath([1, 1, 2])] }), open({ caps: [capAddPath([1, 1, 1])] })),
    0,
  );
  assertEquals(routes(s, withId, 0x10), [{ prefix: "10.0.0.0/8", pathId: 1 }]);
  // Pre-policy Adj-RIB-In: no path ids, even where a guess would find some.
  assertEquals(routes(s, plain), [{ prefix: "0.0.0.0/0" }, { prefix: "10.0.0.0/8" }]);
});

Deno.test("BmpSession.decode() reads Loc-RIB path ids from the Loc-RIB Peer Up", () => {
  const s = new BmpSession();
  const up = peerUp(open({ caps: [capAddPath([1, 1, 1])] }), open(), {
    type: 3,
    address: "0.0.0.0",
  });
  s.decode(up, 0);
  const m = s.decode(
    routeMonitoring(withId, { type: 3, address: "0.0.0.0" }),
    0,
  ) as RouteMonitoringMessage;
  assertEquals(m.update.nlri, [{ prefix: "10.0.0.0/8", pathId: 1 }]);
});

Deno.test("BmpSession.decode() keeps peers apart by address", () => {
  const s = new BmpSession();
  s.decode(
    peerUp(open({ caps: [capAddPath([1, 1, 3])] }), open({ caps: [capAddPath([1, 1, 3])] }), {
      address: "192.0.2.9",
    }),
    0,
  );
  s.decode(peerUp(open(), open()), 0);
  assertEquals(routes(s, plain), [{ prefix: "0.0.0.0/0" }, { prefix: "10.0.0.0/8" }]);
});

Deno.test("BmpSession.decode() guesses path ids without a Peer Up: 10.101.0.0/24 id 1 stays itself", () => {
  const pdu = update({ attrs: basicAttrs(), nlri: [prefix("10.101.0.0/24", { pathId: 1 })] });
  const m = decodeBmp(routeMonitoring(pdu)) as RouteMonitoringMessage;
  assertEquals(m.update.nlri, [{ prefix: "10.101.0.0/24", pathId: 1 }]);
  assertEquals(m.update.problems, []);
});

// --- Several Peer Ups of one peer: merged until a Peer Down (issue 10) --------------------

const LOC_RIB = { type: 3, address: "0.0.0.0", bgpId: "192.0.2.1", asn: 65000 };
const IPV4_VPN = 256 + 128;
const IPV4_LU = 256 + 4;
const IPV6_VPN = 512 + 128;

/** IOS-XR's Peer Up for one family of a Loc-RIB peer: both OPENs list that family's
 * multiprotocol and Add-Path capabilities only. */
function iosXrPeerUp(afi: number, safi: number): Uint8Array {
  const caps = [capMp(afi, safi), capAs4(65000), capAddPath([afi, safi, 3])];
  return peerUp(open({ myAs: 23456, caps }), open({ myAs: 23456, caps }), LOC_RIB);
}

const VPN_ATTRS = [
  ...basicAttrs(),
  mpReach(1, 128, [...rd0(0, 0), ...ip("192.0.2.254")], [
    prefix("10.101.0.0/24", { pathId: 1, labels: [16001], rd: rd0(65000, 101) }),
    prefix("10.101.0.0/24", { pathId: 2, labels: [16002], rd: rd0(65000, 101) }),
  ]),
];
const LU_ATTRS = [
  ...basicAttrs(),
  mpReach(1, 4, ip("192.0.2.254"), [prefix("192.0.2.7/32", { pathId: 7, labels: [24007] })]),
];
const VPN6_ATTRS = [
  ...basicAttrs(),
  mpReach(2, 128, [...rd0(0, 0), ...ip("2001:db8::fe")], [
    prefix("2001:db8:101::/48", { pathId: 3, labels: [16003], rd: rd0(65000, 102) }),
  ]),
];
const VPN6_WITHDRAW = [
  mpUnreach(2, 128, [prefix("2001:db8:102::/48", { pathId: 4, labels: [0], rd: rd0(65000, 102) })]),
];

Deno.test("BmpSession.decode() merges an IOS-XR Loc-RIB peer's per-family Peer Ups", () => {
  const s = new BmpSession();
  for (const [afi, safi] of [[1, 128], [1, 4], [2, 128]]) s.decode(iosXrPeerUp(afi, safi), 0);
  const decode = (attrs: Uint8Array[]) =>
    (s.decode(routeMonitoring(update({ attrs }), LOC_RIB), 0) as RouteMonitoringMessage).update;
  // Before the merge only 2/128 kept its Add-Path: VPNv4 and labeled unicast failed with
  // "no room for label" and were discarded whole (session-reset).
  const vpn = decode(VPN_ATTRS);
  assertEquals(vpn.problems, []);
  assertEquals(vpn.attributes.mpReach?.nlri, [
    { prefix: "10.101.0.0/24", pathId: 1, rd: "0:65000:101", labels: [16001] },
    { prefix: "10.101.0.0/24", pathId: 2, rd: "0:65000:101", labels: [16002] },
  ]);
  const lu = decode(LU_ATTRS);
  assertEquals(lu.problems, []);
  assertEquals(lu.attributes.mpReach?.nlri, [
    { prefix: "192.0.2.7/32", pathId: 7, labels: [24007] },
  ]);
  const vpn6 = decode(VPN6_ATTRS);
  assertEquals(vpn6.problems, []);
  assertEquals(vpn6.attributes.mpReach?.nlri, [
    { prefix: "2001:db8:101::/48", pathId: 3, rd: "0:65000:102", labels: [16003] },
  ]);
  const wd6 = decode(VPN6_WITHDRAW);
  assertEquals(wd6.problems, []);
  assertEquals(wd6.attributes.mpUnreach?.nlri, [
    { prefix: "2001:db8:102::/48", pathId: 4, rd: "0:65000:102", labels: [0] },
  ]);
  const ctx = s.peers.get("3||0.0.0.0")!;
  assertEquals(sets(ctx), [[IPV4_VPN, IPV4_LU, IPV6_VPN], [IPV4_VPN, IPV4_LU, IPV6_VPN]]);
  assertEquals([...ctx.multiprotocol], [IPV4_VPN, IPV4_LU, IPV6_VPN]);
  assertEquals([ctx.asn4, ctx.peerUps], [true, 3]);
});

Deno.test("BmpSession.decode() forgets a peer's capabilities at its Peer Down", () => {
  const s = new BmpSession();
  s.decode(
    peerUp(open({ caps: [capAddPath([1, 1, 3])] }), open({ caps: [capAddPath([1, 1, 3])] })),
    0,
  );
  s.decode(peerDown(2, [0, 0]), 0);
  assertEquals(s.peers.size, 0);
  // Without a Peer Up the family is guessed again: before, the stale Add-Path of the
  // closed session was applied and this message failed to decode.
  assertEquals(routes(s, plain), [{ prefix: "0.0.0.0/0" }, { prefix: "10.0.0.0/8" }]);
  // A new session starts from its own Peer Up, not merged with the old one.
  s.decode(peerUp(open(), open()), 0);
  assertEquals(sets(s.peers.get("0||192.0.2.2")!), [[], []]);
  assertEquals(s.peers.get("0||192.0.2.2")!.peerUps, 1);
});

Deno.test("peerContextFromOpens() takes 4-octet AS, multiprotocol and extended message from both OPENs", () => {
  const o = (...caps: Uint8Array[]) => {
    const m = open({ caps });
    return decodeOpen(m, 19, m.length);
  };
  const c = peerContextFromOpens(
    0,
    o(capMp(1, 1), capMp(2, 1), capAs4(65001), cap(6)),
    o(capMp(1, 1), capAs4(65002)),
  );
  assertEquals([[...c.multiprotocol], c.asn4, c.extendedMessage], [[IPV4], true, false]);
  // Loc-RIB: either OPEN.
  const l = peerContextFromOpens(3, o(capMp(2, 1), cap(6)), o(capMp(1, 1)));
  assertEquals([[...l.multiprotocol].sort(), l.asn4, l.extendedMessage], [
    [IPV4, 512 + 1],
    false,
    true,
  ]);
});
