/**
 * Recovery from sender quirks (issue 10): an UPDATE part that fails under the session's
 * Add-Path or ASN-size setting and parses cleanly under the other is decoded under the
 * other, and flagged with a `recovered` problem; one that parses under neither keeps its
 * RFC 7606 fault. Every message is built byte by byte.
 */

import type { RouteMonitoringMessage } from "../../src/bmp/message.ts";
import { BmpSession } from "../../src/bmp/session.ts";
import {
  aggregator,
  asPath,
  assertDecodeError,
  assertEquals,
  attr,
  basicAttrs,
  capAddPath,
  capAs4,
  capMp,
  ip,
  mpReach,
  mpUnreach,
  nextHop,
  open,
  origin,
  peerUp,
  prefix,
  rd0,
  routeMonitoring,
  update,
  type UpdateParts,
} from "../_build.ts";

const PEER = { address: "192.0.2.2" };

/** A session whose peer negotiated `caps` on both sides. */
function sessionWith(...caps: Uint8Array[]): BmpSession {
  const s = new BmpSession();
  s.decode(peerUp(open({ caps }), open({ caps }), PEER), 0);
  return s;
}

function decode(s: BmpSession, parts: UpdateParts, flags = 0) {
  return (s.decode(routeMonitoring(update(parts), { ...PEER, flags }), 0) as RouteMonitoringMessage)
    .update;
}

const VPN_NH = [...rd0(0, 0), ...ip("192.0.2.254")];
const vpnRoute = (p: string, pathId?: number) =>
  prefix(p, { pathId, labels: [16001], rd: rd0(65000, 101) });

Deno.test("decodeUpdateRecovering() reads VPNv4 path ids the OPENs did not negotiate, and flags it", () => {
  const s = sessionWith(capMp(1, 128), capAs4(65002));
  const u = decode(s, {
    attrs: [...basicAttrs(), mpReach(1, 128, VPN_NH, [vpnRoute("10.101.0.0/24", 1)])],
  });
  assertEquals(u.attributes.mpReach?.nlri, [
    { prefix: "10.101.0.0/24", pathId: 1, rd: "0:65000:101", labels: [16001] },
  ]);
  assertEquals(u.treatAsWithdraw, undefined);
  assertEquals(u.problems.length, 1);
  const p = u.problems[0];
  assertEquals([p.action, p.cause, p.attribute, p.afi, p.safi], [
    "recovered",
    "add-path",
    14,
    1,
    128,
  ]);
  assertEquals(
    p.reason,
    "MP_REACH_NLRI 1/128 decoded with path IDs, against the negotiated Add-Path",
  );
});

Deno.test("decodeUpdateRecovering() reads labeled unicast without the negotiated path ids", () => {
  const s = sessionWith(capMp(1, 4), capAs4(65002), capAddPath([1, 4, 3]));
  const u = decode(s, {
    attrs: [
      ...basicAttrs(),
      mpReach(1, 4, ip("192.0.2.254"), [prefix("192.0.2.7/32", { labels: [24007] })]),
    ],
  });
  assertEquals(u.attributes.mpReach?.nlri, [{ prefix: "192.0.2.7/32", labels: [24007] }]);
  assertEquals(
    u.problems.map((p) => [p.action, p.cause, p.afi, p.safi, p.reason]),
    [[
      "recovered",
      "add-path",
      1,
      4,
      "MP_REACH_NLRI 1/4 decoded without path IDs, against the negotiated Add-Path",
    ]],
  );
});

Deno.test("decodeUpdateRecovering() reads IPv6 VPN withdrawals with path ids in MP_UNREACH_NLRI", () => {
  const s = sessionWith(capMp(2, 128), capAs4(65002));
  const u = decode(s, {
    attrs: [
      mpUnreach(2, 128, [
        prefix("2001:db8:102::/48", { pathId: 4, labels: [0], rd: rd0(65000, 102) }),
      ]),
    ],
  });
  assertEquals(u.attributes.mpUnreach?.nlri, [
    { prefix: "2001:db8:102::/48", pathId: 4, rd: "0:65000:102", labels: [0] },
  ]);
  assertEquals(u.problems.map((p) => [p.action, p.cause, p.attribute, p.afi, p.safi]), [
    ["recovered", "add-path", 15, 2, 128],
  ]);
});

Deno.test("decodeUpdateRecovering() reads the IPv4 NLRI field with path ids the session lacks", () => {
  // Without path IDs 0a 0b 0c 0d 18 0a 65 00 reads /10, /13, then a length of 101 bits.
  const s = sessionWith(capAs4(65002));
  const u = decode(s, {
    attrs: basicAttrs(),
    nlri: [prefix("10.101.0.0/24", { pathId: 0x0a0b0c0d })],
  });
  assertEquals(u.nlri, [{ prefix: "10.101.0.0/24", pathId: 0x0a0b0c0d }]);
  assertEquals(u.problems.map((p) => [p.action, p.cause, p.afi, p.safi, p.attribute]), [
    ["recovered", "add-path", 1, 1, undefined],
  ]);
});

Deno.test("decodeUpdateRecovering() reads a 2-byte AS_PATH of a 4-byte session as AS 65000", () => {
  // 6WIND/FRR Loc-RIB (pmacct test 205): AS_PATH 02 01 fd e8.
  const s = sessionWith(capAs4(65002));
  const u = decode(s, {
    attrs: [origin(0), attr(2, [2, 1, 0xfd, 0xe8], 0x50), nextHop("192.0.2.254")],
    nlri: [prefix("10.0.0.0/8")],
  });
  assertEquals(u.attributes.asPath, [{ type: 2, asns: [65000] }]);
  assertEquals(u.attributes.unknown, undefined);
  assertEquals(u.treatAsWithdraw, undefined);
  assertEquals(u.problems.map((p) => [p.action, p.cause, p.attribute, p.reason]), [
    ["recovered", "as-path-size", 2, "AS_PATH decoded with 2-byte ASNs in a 4-byte AS session"],
  ]);
});

Deno.test("decodeUpdateRecovering() reads a 4-byte AS_PATH of a 2-byte session (A flag)", () => {
  const u = decode(new BmpSession(), {
    attrs: [origin(0), asPath([4200000001, 65001], true), nextHop("192.0.2.254")],
    nlri: [prefix("10.0.0.0/8")],
  }, 0x20);
  assertEquals(u.attributes.asPath, [{ type: 2, asns: [4200000001, 65001] }]);
  assertEquals(u.problems.map((p) => [p.action, p.cause]), [["recovered", "as-path-size"]]);
});

Deno.test("decodeUpdateRecovering() reads a 6-byte AGGREGATOR of a 4-byte session", () => {
  const s = sessionWith(capAs4(65002));
  const u = decode(s, {
    attrs: [...basicAttrs(), aggregator(65000, "192.0.2.9", false)],
    nlri: [prefix("10.0.0.0/8")],
  });
  assertEquals(u.attributes.aggregator, { asn: 65000, address: "192.0.2.9" });
  assertEquals(u.problems.map((p) => [p.action, p.cause, p.attribute, p.reason]), [
    [
      "recovered",
      "aggregator-size",
      7,
      "AGGREGATOR decoded with 2-byte ASNs in a 4-byte AS session",
    ],
  ]);
});

Deno.test("decodeUpdateRecovering() keeps the RFC 7606 fault of a part that parses under neither setting", () => {
  const s = sessionWith(capMp(1, 128), capAs4(65002));
  // A VPN NLRI whose length (200 bits) runs past the attribute, with or without path ID.
  const bad = mpReach(1, 128, VPN_NH, [[200, 0, 0, 0, 0, 0, 0, 0, 0]]);
  const u = decode(s, { attrs: [...basicAttrs(), bad] });
  assertEquals(u.problems.map((p) => [p.action, p.attribute]), [["session-reset", 14]]);
  assertEquals(u.treatAsWithdraw, true);
  // AS_PATH 02 01 fd: three bytes fit neither 2- nor 4-byte ASNs.
  const v = decode(s, {
    attrs: [origin(0), attr(2, [2, 1, 0xfd]), nextHop("192.0.2.254")],
    nlri: [prefix("10.0.0.0/8")],
  });
  assertEquals(v.problems.map((p) => p.action), ["treat-as-withdraw", "treat-as-withdraw"]);
  // An IPv4 NLRI field that fails both ways still fails the message.
  const withIds = sessionWith(capAs4(65002), capAddPath([1, 1, 3]));
  assertDecodeError(
    // 33 bits: too long as a length byte without path ID, and after one.
    () => decode(withIds, { attrs: basicAttrs(), nlri: [[33, 33, 33, 33, 33]] }),
    "bad-length",
  );
});

Deno.test("decodeUpdateRecovering() recovers one part and keeps the fault of another", () => {
  const s = sessionWith(capMp(1, 128), capAs4(65002));
  const u = decode(s, {
    attrs: [
      origin(0),
      attr(2, [2, 1, 0xfd, 0xe8], 0x50),
      mpReach(1, 128, VPN_NH, [[200, 0, 0, 0, 0, 0, 0, 0, 0]]),
    ],
  });
  assertEquals(u.attributes.asPath, [{ type: 2, asns: [65000] }]);
  assertEquals(u.problems.map((p) => [p.action, p.attribute]), [
    ["session-reset", 14],
    ["recovered", 2],
  ]);
});

Deno.test("decodeUpdateRecovering() leaves families without a Peer Up to the guess", () => {
  // No Peer Up: Add-Path unknown, guessed by the NLRI decoder; nothing is "recovered".
  const u = decode(new BmpSession(), {
    attrs: [...basicAttrs(), mpReach(1, 128, VPN_NH, [vpnRoute("10.101.0.0/24", 1)])],
  });
  assertEquals(u.attributes.mpReach?.nlri[0].pathId, 1);
  assertEquals(u.problems, []);
});

Deno.test("decodeUpdateRecovering() does not touch a message that is clean as negotiated", () => {
  // A clean message under the negotiated setting is never retried: no problem at all.
  const s = sessionWith(capMp(1, 128), capAs4(65002), capAddPath([1, 128, 3]));
  const u = decode(s, {
    attrs: [...basicAttrs(), mpReach(1, 128, VPN_NH, [vpnRoute("10.101.0.0/24", 1)])],
  });
  assertEquals(u.problems, []);
});
