import { decodeUpdate, type UpdateContext } from "../../../src/bgp/update.ts";
import {
  asPath,
  assert,
  assertDecodeError,
  assertEquals,
  attr,
  cat,
  ip4,
  ip6,
  mpReach,
  mpUnreach,
  origin,
  rd0,
  u16,
  u32,
  update,
} from "../../_build.ts";
import { decodeFamily } from "./_typed.ts";
import { isisLink, isisNode, lsHead, lsNlri, lsTlv, ospfNode, ospfPrefix4 } from "./_bgp_ls.ts";

const CTX: UpdateContext = { asn4: true, addPath: () => false };

Deno.test("decodeBgpLsNlri() reads an IS-IS L2 Node NLRI (RFC 9552 §5.2.1)", () => {
  const [n] = decodeFamily(16388, 71, lsNlri(1, lsHead(2, 7), isisNode(1)));
  assertEquals(n.bgpLs, {
    nlriType: 1,
    protocolId: 2,
    identifier: 7,
    localNode: { asn: 65000, bgpLsId: 0, igpRouterId: "0000.0000.0001" },
  });
  assertEquals(n.key, "node:isis-l2:7:local[as=65000,bgpls=0,rid=0000.0000.0001]");
  assertEquals([n.prefix, n.rd, n.pathId], ["", undefined, undefined]);
});

Deno.test("decodeBgpLsNlri() reads a Link NLRI with every link descriptor (RFC 9552 §5.2.2)", () => {
  const [n] = decodeFamily(16388, 71, isisLink());
  assertEquals(n.bgpLs?.remoteNode?.igpRouterId, "0000.0000.0002");
  assertEquals(n.bgpLs?.link, {
    localLinkId: 10,
    remoteLinkId: 20,
    ipv4InterfaceAddress: "10.1.2.1",
    ipv4NeighborAddress: "10.1.2.2",
    ipv6InterfaceAddress: "2001:db8:12::1",
    ipv6NeighborAddress: "2001:db8:12::2",
    mtId: [2],
  });
  assertEquals(
    n.key,
    "link:isis-l2:0:local[as=65000,bgpls=0,rid=0000.0000.0001]" +
      ":remote[as=65000,bgpls=0,rid=0000.0000.0002]" +
      ":link[ids=10/20,if4=10.1.2.1,nb4=10.1.2.2,if6=2001:db8:12::1,nb6=2001:db8:12::2,mt=2]",
  );
});

Deno.test("decodeBgpLsNlri() reads IPv4 and IPv6 Topology Prefix NLRI (RFC 9552 §5.2.3)", () => {
  const p6 = lsNlri(
    4,
    lsHead(6),
    ospfNode("10.0.0.9"),
    lsTlv(263, u16(0x8002)), // the top 4 bits are not part of the MT-ID
    lsTlv(265, [64, ...ip6("2001:db8:1:2::")].slice(0, 9)),
  );
  const got = decodeFamily(16388, 71, cat(ospfPrefix4(), p6));
  assertEquals(got[0].bgpLs?.localNode, {
    asn: 65001,
    ospfAreaId: "0.0.0.0",
    igpRouterId: "10.0.0.1",
  });
  assertEquals(got[0].bgpLs?.prefix, { mtId: [0], ospfRouteType: 1, prefix: "10.0.0.0/24" });
  assertEquals(got[1].bgpLs?.prefix, { mtId: [2], prefix: "2001:db8:1:2::/64" });
  assertEquals(
    got[0].key,
    "prefix4:ospfv2:0:local[as=65001,area=0.0.0.0,rid=10.0.0.1]:prefix[mt=0,ospf=1,ip=10.0.0.0/24]",
  );
});

Deno.test("decodeBgpLsNlri() reads IS-IS pseudonode, OSPF DR, BGP router ID and member ASN (RFC 9086 §4.1)", () => {
  const local = lsTlv(
    256,
    lsTlv(512, u32(65000)),
    lsTlv(515, [0, 0, 0, 0, 0, 3, 2]),
    lsTlv(516, ip4("192.0.2.1")),
    lsTlv(517, u32(64512)),
  );
  const dr = lsTlv(256, lsTlv(515, ip4("10.0.0.1"), ip4("10.1.0.1")));
  const got = decodeFamily(16388, 71, cat(lsNlri(1, lsHead(7), local), lsNlri(1, lsHead(3), dr)));
  assertEquals(got[0].bgpLs?.localNode, {
    asn: 65000,
    igpRouterId: "0000.0000.0003.02",
    bgpRouterId: "192.0.2.1",
    memberAsn: 64512,
  });
  assertEquals(got[1].bgpLs?.localNode?.igpRouterId, "10.0.0.1/10.1.0.1");
  assert(got[0].key!.startsWith("node:bgp:0:"));
});

Deno.test("decodeBgpLsNlri() reads an SRv6 SID NLRI (RFC 9514 §6)", () => {
  const sid = lsNlri(6, lsHead(2), isisNode(1), lsTlv(263, u16(2)), lsTlv(518, ip6("fc00:0:1::")));
  const [n] = decodeFamily(16388, 71, sid);
  assertEquals(n.bgpLs?.srv6Sid, { mtId: [2], sid: "fc00:0:1::" });
  assert(n.key!.endsWith(":sid[sid=fc00:0:1::,mt=2]"), n.key);
});

Deno.test("decodeBgpLsNlri() reads the RD of SAFI 72 inside the NLRI length, and path IDs", () => {
  const body = cat(rd0(65000, 5), lsHead(2), isisNode(1));
  const [n] = decodeFamily(16388, 72, cat(u32(3), lsNlri(1, body)), true);
  assertEquals([n.rd, n.pathId, n.bgpLs?.localNode?.igpRouterId], [
    "0:65000:5",
    3,
    "0000.0000.0001",
  ]);
});

Deno.test("decodeBgpLsNlri() keeps unknown NLRI types, descriptor TLVs and Protocol-IDs raw", () => {
  const local = lsTlv(256, lsTlv(512, u32(1)), lsTlv(600, [0xab]));
  const got = decodeFamily(16388, 71, cat(lsNlri(9, [1, 2, 3]), lsNlri(1, lsHead(42), local)));
  assertEquals(got[0].bgpLs, { nlriType: 9, raw: "010203" });
  assertEquals(got[0].key, "type9:raw:010203");
  assertEquals(got[1].bgpLs?.localNode, { asn: 1, unknown: [{ type: 600, value: "ab" }] });
  assertEquals(got[1].key, "node:proto42:0:local[as=1,t600=ab]");
});

Deno.test("decodeBgpLsNlri() keeps an NLRI with a malformed body as malformed, and the next one", () => {
  const wrongTlv = lsNlri(1, lsHead(2), lsTlv(257, lsTlv(512, u32(1)))); // 257 where 256
  const badAs = lsNlri(1, lsHead(2), lsTlv(256, lsTlv(512, [0, 1])));
  const tlvOverrun = lsNlri(1, lsHead(2), u16(256), u16(40), lsTlv(512, u32(1)));
  const got = decodeFamily(
    16388,
    71,
    cat(wrongTlv, badAs, tlvOverrun, lsNlri(1, lsHead(2), isisNode(1))),
  );
  assertEquals(got.map((n) => n.bgpLs?.malformed !== undefined), [true, true, true, false]);
  assert(got[0].bgpLs!.malformed!.reason.includes("TLV 257 where 256"));
  // The offset is that of the bad TLV: NLRI header 4, Protocol-ID 1, Identifier 8.
  assertEquals(got[0].bgpLs!.malformed!.offset, 13);
  assertEquals(got[1].bgpLs!.raw, "020000000000000000" + "0100000602000002" + "0001");
});

Deno.test("decodeBgpLsNlri() rejects an NLRI length crossing the attribute", () => {
  assertDecodeError(() => decodeFamily(16388, 71, cat(u16(1), u16(40), lsHead(2))), "short-input");
  assertDecodeError(() => decodeFamily(16388, 71, [0, 1, 0]), "short-input");
});

Deno.test("decodeUpdate() treats a malformed BGP-LS NLRI as withdrawn, that NLRI only (RFC 9552 §8.2.2)", () => {
  const bad = lsNlri(1, lsHead(2), lsTlv(256, lsTlv(515, [1, 2, 3])));
  const good = lsNlri(1, lsHead(2), isisNode(1));
  const m = update({
    attrs: [origin(0), asPath([65002]), mpReach(16388, 71, ip4("192.0.2.1"), [bad, good])],
  });
  const u = decodeUpdate(m, 19, m.length, CTX);
  assertEquals(u.treatAsWithdraw, undefined);
  assertEquals(u.problems.length, 1);
  assertEquals([u.problems[0].action, u.problems[0].afi, u.problems[0].safi], [
    "treat-as-withdraw",
    16388,
    71,
  ]);
  assertEquals(u.attributes.mpReach?.nlri.length, 2);
  assertEquals(u.attributes.mpReach?.nlri[1].bgpLs?.malformed, undefined);
});

Deno.test("decodeUpdate() withdraws BGP-LS NLRI through MP_UNREACH_NLRI", () => {
  const m = update({ attrs: [mpUnreach(16388, 71, [isisLink(), ospfPrefix4()])] });
  const u = decodeUpdate(m, 19, m.length, CTX);
  assertEquals(u.attributes.mpUnreach?.nlri.map((n) => n.bgpLs?.nlriType), [2, 3]);
  assertEquals(u.problems, []);
});

Deno.test("decodeUpdate() discards a malformed BGP-LS attribute and keeps the routes (RFC 9552 §8.2.2)", () => {
  const m = update({
    attrs: [
      origin(0),
      asPath([65002]),
      mpReach(16388, 71, ip4("192.0.2.1"), [lsNlri(1, lsHead(2), isisNode(1))]),
      attr(29, lsTlv(1089, [0, 0])), // a bandwidth of 2 bytes
    ],
  });
  const u = decodeUpdate(m, 19, m.length, CTX);
  assertEquals(u.problems.map((p) => [p.action, p.attribute]), [["attribute-discard", 29]]);
  assertEquals(u.treatAsWithdraw, undefined);
  assertEquals(u.attributes.bgpLs, undefined);
  assertEquals(u.attributes.mpReach?.nlri.length, 1);
});
