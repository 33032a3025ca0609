import { decodeUpdate, type UpdateContext } from "../../src/bgp/update.ts";
import {
  aggregator,
  as4Aggregator,
  as4Path,
  asPath,
  assert,
  assertDecodeError,
  assertEquals,
  assertMatch,
  attr,
  basicAttrs,
  cat,
  communities,
  extCommunities,
  ip4,
  ip6,
  largeCommunities,
  localPref,
  med,
  mpReach,
  mpUnreach,
  nextHop,
  origin,
  prefix,
  rd0,
  u16,
  u32,
  update,
  type UpdateParts,
} from "../_build.ts";

const CTX: UpdateContext = { asn4: true, addPath: () => false };
const CTX2: UpdateContext = { asn4: false, addPath: () => false };

function decode(o: UpdateParts, ctx = CTX) {
  const m = update(o);
  return decodeUpdate(m, 19, m.length, ctx);
}

Deno.test("decodeUpdate() reads an IPv4 announcement with the common attributes", () => {
  const u = decode({
    attrs: [
      origin(0),
      asPath([65002, 65010]),
      nextHop("192.0.2.254"),
      med(50),
      localPref(200),
      communities(65001 * 65536 + 999, 0xffffff01),
      largeCommunities([65002, 1, 2]),
      attr(6, []),
      attr(9, ip4("192.0.2.9")),
      attr(10, [...ip4("192.0.2.10"), ...ip4("192.0.2.11")]),
      attr(35, u32(65002)),
    ],
    nlri: [prefix("10.0.0.0/8"), prefix("198.51.100.0/24")],
  });
  assertEquals(u.problems, []);
  assertEquals(u.treatAsWithdraw, undefined);
  assertEquals(u.nlri, [{ prefix: "10.0.0.0/8" }, { prefix: "198.51.100.0/24" }]);
  assertEquals(u.attributes, {
    origin: 0,
    asPath: [{ type: 2, asns: [65002, 65010] }],
    nextHop: "192.0.2.254",
    med: 50,
    localPref: 200,
    communities: [65001 * 65536 + 999, 0xffffff01],
    largeCommunities: [[65002, 1, 2]],
    atomicAggregate: true,
    originatorId: "192.0.2.9",
    clusterList: ["192.0.2.10", "192.0.2.11"],
    otc: 65002,
  });
});

Deno.test("decodeUpdate() reads IPv4 withdrawals", () => {
  const u = decode({ withdrawn: [prefix("10.0.0.0/8"), prefix("10.1.0.0/16")] });
  assertEquals(u.withdrawn, [{ prefix: "10.0.0.0/8" }, { prefix: "10.1.0.0/16" }]);
  assertEquals(u.endOfRib, undefined);
  assertEquals(u.problems, []);
});

Deno.test("decodeUpdate() treats a short ORIGIN as treat-as-withdraw", () => {
  const u = decode({
    attrs: [attr(1, []), asPath([65002]), nextHop("192.0.2.1")],
    nlri: [prefix("10.0.0.0/8")],
  });
  assertMatch(u.problems[0], { action: "treat-as-withdraw", attribute: 1 });
  assertEquals(u.treatAsWithdraw, true);
  // The routes are still reported, to be withdrawn by the consumer.
  assertEquals(u.nlri, [{ prefix: "10.0.0.0/8" }]);
  assertEquals(u.attributes.nextHop, "192.0.2.1");
});

Deno.test("decodeUpdate() treats an ORIGIN above 2 as treat-as-withdraw", () => {
  const u = decode({
    attrs: [origin(3), asPath([1]), nextHop("192.0.2.1")],
    nlri: [prefix("10.0.0.0/8")],
  });
  assertMatch(u.problems[0], { action: "treat-as-withdraw", attribute: 1 });
  assertEquals(u.attributes.origin, undefined);
});

Deno.test("decodeUpdate() treats missing mandatory attributes as treat-as-withdraw (RFC 7606 §3.d)", () => {
  const u = decode({ attrs: [origin(0)], nlri: [prefix("10.0.0.0/8")] });
  assertEquals(u.problems.map((p) => [p.action, p.attribute]), [
    ["treat-as-withdraw", 2],
    ["treat-as-withdraw", 3],
  ]);
  assertEquals(u.treatAsWithdraw, true);
});

Deno.test("decodeUpdate() keeps an unknown attribute raw with its flags", () => {
  const u = decode({
    attrs: [...basicAttrs(), attr(99, [1, 2, 3], 0xe0)],
    nlri: [prefix("10.0.0.0/8")],
  });
  assertEquals(u.attributes.unknown, [{ type: 99, flags: 0xe0, value: "010203" }]);
  assertEquals(u.problems, []);
});

Deno.test("decodeUpdate() discards a repeated attribute and keeps the first (RFC 7606 §3.g)", () => {
  const u = decode({ attrs: [...basicAttrs(), med(1), med(2)], nlri: [prefix("10.0.0.0/8")] });
  assertEquals(u.attributes.med, 1);
  assertMatch(u.problems, [{ action: "attribute-discard", attribute: 4 }]);
  assertEquals(u.treatAsWithdraw, undefined);
});

Deno.test("decodeUpdate() asks for a session reset on a repeated MP_REACH_NLRI", () => {
  const reach = mpReach(2, 1, ip6("2001:db8::fe"), [prefix("2001:db8::/32")]);
  const u = decode({ attrs: [origin(0), asPath([1]), reach, reach] });
  assertMatch(u.problems, [{ action: "session-reset", attribute: 14 }]);
  assertEquals(u.attributes.mpReach?.nlri, [{ prefix: "2001:db8::/32" }]);
});

Deno.test("decodeUpdate() reads the Extended Length attribute form", () => {
  const many = Array.from({ length: 70 }, (_, i) => i + 1);
  const comm = communities(...many);
  assertEquals(comm[0] & 0x10, 0x10);
  const u = decode({ attrs: [...basicAttrs(), comm], nlri: [prefix("10.0.0.0/8")] });
  assertEquals(u.attributes.communities, many);
  // And the Extended Length bit on a short value is honoured too.
  const u2 = decode({
    attrs: [...basicAttrs(), attr(4, u32(9), 0x90)],
    nlri: [prefix("10.0.0.0/8")],
  });
  assertEquals(u2.attributes.med, 9);
});

Deno.test("decodeUpdate() marks an empty UPDATE as the IPv4 End-of-RIB (RFC 4724 §2)", () => {
  const m = update();
  assertEquals(m.length, 23);
  assertEquals(decodeUpdate(m, 19, 23, CTX).endOfRib, { afi: 1, safi: 1 });
});

Deno.test("decodeUpdate() marks an UPDATE with only an empty MP_UNREACH_NLRI as End-of-RIB", () => {
  assertEquals(decode({ attrs: [mpUnreach(2, 1)] }).endOfRib, { afi: 2, safi: 1 });
  assertEquals(decode({ attrs: [mpUnreach(25, 70)] }).endOfRib, { afi: 25, safi: 70 });
  assertEquals(decode({ attrs: [mpUnreach(1, 133)] }).endOfRib, { afi: 1, safi: 133 });
  // Not an End-of-RIB: it withdraws a route.
  assertEquals(decode({ attrs: [mpUnreach(2, 1, [prefix("2001:db8::/32")])] }).endOfRib, undefined);
});

Deno.test("decodeUpdate() reads MP_REACH_NLRI with a global and a link-local next hop", () => {
  const nh = [...ip6("2001:db8::fe"), ...ip6("fe80::1")];
  const u = decode({
    attrs: [origin(0), asPath([65002]), mpReach(2, 1, nh, [prefix("2001:db8:1::/48")])],
  });
  assertEquals(u.attributes.mpReach, {
    afi: 2,
    safi: 1,
    nextHop: "2001:db8::fe",
    nextHopLinkLocal: "fe80::1",
    nlri: [{ prefix: "2001:db8:1::/48" }],
  });
  assertEquals(u.problems, []);
});

Deno.test("decodeUpdate() reads VPN next hops with a (zero) RD (RFC 4364 §4.3.2, RFC 4659 §3.2.1)", () => {
  const v4 = decode({
    attrs: [
      origin(0),
      asPath([1]),
      mpReach(1, 128, [...rd0(0, 0), ...ip4("192.0.2.254")], [
        prefix("10.0.0.0/8", { labels: [16], rd: rd0(65000, 1) }),
      ]),
    ],
  });
  assertMatch(v4.attributes.mpReach, {
    nextHop: "192.0.2.254",
    nlri: [{ prefix: "10.0.0.0/8", rd: "0:65000:1", labels: [16] }],
  });
  const v6 = decode({
    attrs: [origin(0), asPath([1]), mpReach(2, 128, [...rd0(0, 0), ...ip6("2001:db8::fe")], [])],
  });
  assertEquals(v6.attributes.mpReach?.nextHop, "2001:db8::fe");
  const ll = decode({
    attrs: [
      origin(0),
      asPath([1]),
      mpReach(2, 128, [...rd0(0, 0), ...ip6("2001:db8::fe"), ...rd0(0, 0), ...ip6("fe80::2")], []),
    ],
  });
  assertEquals(ll.attributes.mpReach?.nextHopLinkLocal, "fe80::2");
});

Deno.test("decodeUpdate() reads a labeled unicast withdrawal with label 0x800000", () => {
  const u = decode({
    attrs: [mpUnreach(1, 4, [prefix("10.1.0.0/16", { rawLabels: [0x800000] })])],
  });
  assertEquals(u.attributes.mpUnreach, {
    afi: 1,
    safi: 4,
    nlri: [{ prefix: "10.1.0.0/16", labels: [0x80000] }],
  });
  assertEquals(u.endOfRib, undefined);
});

Deno.test("decodeUpdate() keeps the NLRI of undecoded families raw", () => {
  // L2VPN VPLS (RFC 4761); this was IPv4 Flowspec, decoded since issue 16.
  const u = decode({
    attrs: [origin(0), asPath([1]), mpReach(25, 65, ip4("192.0.2.1"), [[3, 1, 24, 10]])],
  });
  assertEquals(u.attributes.mpReach, {
    afi: 25,
    safi: 65,
    nextHop: "192.0.2.1",
    nlri: [],
    raw: "0301180a",
  });
});

Deno.test("decodeUpdate() names the common extended communities", () => {
  const u = decode({
    attrs: [
      extCommunities(
        [0x00, 0x02, ...u16(65000), ...u32(100)],
        [0x01, 0x03, ...ip4("192.0.2.1"), ...u16(7)],
        [0x02, 0x02, ...u32(4200000000), ...u16(1)],
        [0x06, 0x00, 1, 0, ...u32(3)],
        [0x03, 0x0c, 0, 0, 0, 0, ...u16(8)],
        [0x42, 0x42, 1, 2, 3, 4, 5, 6],
      ),
    ],
  });
  assertEquals(u.attributes.extendedCommunities, [
    "rt:65000:100",
    "soo:192.0.2.1:7",
    "rt:4200000000:1",
    "mac-mobility:seq=3,sticky",
    "encap:vxlan",
    "0x4242:010203040506",
  ]);
});

Deno.test("decodeUpdate() merges AS4_PATH on a 2-byte session (RFC 6793 §4.2.3)", () => {
  const u = decode({
    attrs: [
      origin(0),
      asPath([65001, 23456, 23456], false),
      nextHop("192.0.2.1"),
      as4Path([4200000001, 4200000002]),
    ],
    nlri: [prefix("10.0.0.0/8")],
  }, CTX2);
  assertEquals(u.attributes.asPath, [{ type: 2, asns: [65001, 4200000001, 4200000002] }]);
  assertEquals(u.attributes.as4Path, [{ type: 2, asns: [4200000001, 4200000002] }]);
  assertEquals(u.problems, []);
});

Deno.test("decodeUpdate() takes AS4_AGGREGATOR when AGGREGATOR is AS_TRANS", () => {
  const u = decode({
    attrs: [
      origin(0),
      asPath([65001, 23456], false),
      aggregator(23456, "192.0.2.7", false),
      as4Aggregator(4200000001, "192.0.2.7"),
      as4Path([4200000001]),
    ],
  }, CTX2);
  assertEquals(u.attributes.aggregator, { asn: 4200000001, address: "192.0.2.7" });
  assertEquals(u.attributes.asPath, [{ type: 2, asns: [65001, 4200000001] }]);
});

Deno.test("decodeUpdate() ignores AS4_PATH and AS4_AGGREGATOR when AGGREGATOR is not AS_TRANS", () => {
  const u = decode({
    attrs: [
      origin(0),
      asPath([65001, 23456], false),
      aggregator(65001, "192.0.2.7", false),
      as4Aggregator(4200000001, "192.0.2.7"),
      as4Path([4200000001]),
    ],
  }, CTX2);
  assertEquals(u.attributes.aggregator, { asn: 65001, address: "192.0.2.7" });
  assertEquals(u.attributes.asPath, [{ type: 2, asns: [65001, 23456] }]);
});

Deno.test("decodeUpdate() ignores an AS4_PATH longer than AS_PATH", () => {
  const u = decode({
    attrs: [origin(0), asPath([23456], false), as4Path([4200000001, 4200000002])],
  }, CTX2);
  assertEquals(u.attributes.asPath, [{ type: 2, asns: [23456] }]);
});

Deno.test("decodeUpdate() does not merge AS4_PATH on a 4-byte session", () => {
  const u = decode({ attrs: [origin(0), asPath([65001, 23456]), as4Path([4200000001])] });
  assertEquals(u.attributes.asPath, [{ type: 2, asns: [65001, 23456] }]);
});

Deno.test("decodeUpdate() reads a 2-byte AGGREGATOR on a 2-byte session and rejects it on a 4-byte one", () => {
  const agg = aggregator(65001, "192.0.2.7", false);
  assertEquals(decode({ attrs: [agg] }, CTX2).attributes.aggregator, {
    asn: 65001,
    address: "192.0.2.7",
  });
  const u = decode({ attrs: [agg] });
  assertEquals(u.attributes.aggregator, undefined);
  assertMatch(u.problems, [{ action: "attribute-discard", attribute: 7 }]);
});

// --- Boundaries: an attribute never reads into the next one -----------------------------

Deno.test("decodeUpdate() rejects an AS_PATH segment crossing its attribute length", () => {
  // The segment says 2 ASNs (8 bytes) but the attribute length covers one: the next
  // attribute (NEXT_HOP) must not be read as the second ASN, and must still decode.
  const bad = cat([0x40, 2, 6], [2, 2], u32(65002));
  const u = decode({ attrs: [origin(0), bad, nextHop("192.0.2.1")], nlri: [prefix("10.0.0.0/8")] });
  assertMatch(u.problems[0], { action: "treat-as-withdraw", attribute: 2 });
  assertEquals(u.attributes.asPath, undefined);
  assertEquals(u.attributes.nextHop, "192.0.2.1");
});

Deno.test("decodeUpdate() rejects MP_REACH_NLRI whose NLRI crosses its attribute length", () => {
  // A /32 needs 4 bytes; only 2 are inside the attribute, 2 more follow in the message.
  const reach = cat([0x80, 14, 12], u16(1), [1, 4], ip4("192.0.2.1"), [0], [32, 10, 0]);
  const u = decode({ attrs: [origin(0), reach, med(7)] });
  assertMatch(u.problems, [{ action: "session-reset", attribute: 14 }]);
  assertEquals(u.attributes.mpReach, undefined);
  assertEquals(u.attributes.med, 7);
});

Deno.test("decodeUpdate() rejects a next hop length crossing MP_REACH_NLRI", () => {
  const reach = cat([0x80, 14, 8], u16(2), [1, 16], ip4("192.0.2.1"));
  const u = decode({ attrs: [reach, med(7)] });
  assertMatch(u.problems, [{ action: "session-reset", attribute: 14 }]);
  assertEquals(u.attributes.med, 7);
});

Deno.test("decodeUpdate() rejects an EVPN route crossing MP_UNREACH_NLRI", () => {
  const unreach = cat([0x80, 15, 6], u16(25), [70], [3, 17, 0]);
  const u = decode({ attrs: [unreach, med(7)] });
  assertMatch(u.problems, [{ action: "session-reset", attribute: 15 }]);
  assertEquals(u.attributes.med, 7);
});

Deno.test("decodeUpdate() treats lengths that fit no value as attribute errors", () => {
  const u = decode({
    attrs: [
      attr(8, [0, 0, 0, 1, 0, 0]),
      attr(16, [0, 2, 0, 1, 0, 0, 0, 1, 0, 0]),
      attr(3, [192, 0, 2]),
      attr(5, [0, 0, 0, 0, 1]),
      attr(32, u32(1)),
    ],
  });
  assertEquals(u.problems.map((p) => p.attribute), [8, 16, 3, 5, 32]);
  assertEquals(u.attributes.communities, undefined);
  assertEquals(u.attributes.nextHop, undefined);
});

Deno.test("decodeUpdate() stops at an attribute length crossing the attribute list end", () => {
  const list = cat(origin(0), [0x40, 2, 200], [2, 1]);
  const m = cat(update({ attrs: [list] }));
  const u = decodeUpdate(m, 19, m.length, CTX);
  assertEquals(u.attributes.origin, 0);
  assertMatch(u.problems, [{ action: "treat-as-withdraw", attribute: 2 }]);
});

Deno.test("decodeUpdate() stops at an attribute header cut by the attribute list end", () => {
  const u = decode({ attrs: [origin(0), [0x40, 2]] });
  assertMatch(u.problems, [{ action: "treat-as-withdraw" }]);
  assertEquals(u.attributes.origin, 0);
});

Deno.test("decodeUpdate() throws when the withdrawn routes length overruns the message", () => {
  const m = update({ withdrawn: [prefix("10.0.0.0/8")] });
  m[20] = 200;
  assertDecodeError(() => decodeUpdate(m, 19, m.length, CTX), "short-input");
});

Deno.test("decodeUpdate() throws when the path attribute length overruns the message", () => {
  const m = update({ attrs: [origin(0)] });
  m[22] = 50;
  const e = assertDecodeError(() => decodeUpdate(m, 19, m.length, CTX), "bad-length");
  assertEquals(e.offset, 21);
});

Deno.test("decodeUpdate() throws on an IPv4 NLRI prefix crossing the message end", () => {
  const m = update({ attrs: basicAttrs(), nlri: [[24, 10, 1]] });
  assertDecodeError(() => decodeUpdate(m, 19, m.length, CTX), "short-input");
});

Deno.test("decodeUpdate() reads nothing past `end` even when the buffer goes on", () => {
  const m = update({ attrs: basicAttrs(), nlri: [prefix("10.0.0.0/8")] });
  const padded = cat(m, [24, 10, 2, 3]);
  const u = decodeUpdate(padded, 19, m.length, CTX);
  assertEquals(u.nlri, [{ prefix: "10.0.0.0/8" }]);
  assert(u.problems.length === 0);
});
