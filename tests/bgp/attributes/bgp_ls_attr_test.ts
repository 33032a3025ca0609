import { decodeBgpLsAttribute } from "../../../src/bgp/attributes/bgp_ls_attr.ts";
import { WireReader } from "../../../src/wire/reader.ts";
import {
  assertDecodeError,
  assertEquals,
  cat,
  ip4,
  ip6,
  type Part,
  text,
  u16,
  u32,
} from "../../_build.ts";
import { linkAttrs, lsTlv } from "../nlri/_bgp_ls.ts";

function decode(...tlvs: Part[]) {
  const b = cat(...tlvs);
  const r = new WireReader(b);
  const a = decodeBgpLsAttribute(r);
  if (r.pos !== b.length) throw new Error(`stopped at ${r.pos} of ${b.length}`);
  return a;
}

Deno.test("decodeBgpLsAttribute() reads node attributes with SR capabilities (RFC 9552 §5.3.1, RFC 9085 §2.1)", () => {
  const a = decode(
    lsTlv(263, u16(0), u16(0x4002)),
    lsTlv(1024, [0x20]),
    lsTlv(1026, text("r1.lab")),
    lsTlv(1027, [0x49, 0x00, 0x01]),
    lsTlv(1028, ip4("10.0.0.1")),
    lsTlv(1029, ip6("2001:db8::1")),
    // Flags I and V, reserved; range 8000 from label 16000; range 100 from index 0.
    lsTlv(
      1034,
      [0xc0, 0],
      [0, 0x1f, 0x40],
      lsTlv(1161, [0, 0x3e, 0x80]),
      [0, 0, 100],
      lsTlv(1161, u32(0)),
    ),
    lsTlv(1035, [0, 1]),
    lsTlv(1036, [0, 0], [0, 0x03, 0xe8], lsTlv(1161, [0, 0x3a, 0x98])),
    lsTlv(1038, u16(0), u16(0)),
    lsTlv(1025, [1, 2]),
  );
  assertEquals(a, {
    mtId: [0, 2],
    nodeFlags: 0x20,
    nodeName: "r1.lab",
    isisAreaIds: ["490001"],
    localRouterIdV4: "10.0.0.1",
    localRouterIdV6: "2001:db8::1",
    srCapabilities: {
      flags: 0xc0,
      ranges: [{ rangeSize: 8000, label: 16000 }, { rangeSize: 100, index: 0 }],
    },
    srAlgorithms: [0, 1],
    srLocalBlock: { flags: 0, ranges: [{ rangeSize: 1000, label: 15000 }] },
    srv6CapabilitiesFlags: 0,
    opaqueNode: "0102",
  });
});

Deno.test("decodeBgpLsAttribute() reads link attributes and adjacency SIDs (RFC 9552 §5.3.2, RFC 9085 §2.2)", () => {
  const a = decode(
    linkAttrs(),
    lsTlv(1093, u16(0x0100)),
    lsTlv(1094, [0xc0]),
    // LAN adjacency SID, IS-IS neighbor 0000.0000.0002, index 5; OSPF neighbor, label 100.
    lsTlv(1100, [0x20, 10, 0, 0], [0, 0, 0, 0, 0, 2], u32(5)),
    lsTlv(1100, [0x30, 0, 0, 0], ip4("10.0.0.3"), [0, 0, 100]),
  );
  assertEquals(a.localRouterIdV4, "10.0.0.1");
  assertEquals(a.remoteRouterIdV4, "10.0.0.2");
  assertEquals(a.adminGroup, 0x11);
  assertEquals(a.maxLinkBandwidth, 1.25e8);
  assertEquals(a.maxReservableBandwidth, 1.25e8);
  assertEquals(a.unreservedBandwidth, Array(8).fill(1.25e8));
  assertEquals([a.teDefaultMetric, a.igpMetric, a.srlg, a.linkName], [100, 10, [7, 9], "r1-r2"]);
  assertEquals([a.linkProtectionType, a.mplsProtocolMask], [0x0100, 0xc0]);
  assertEquals(a.adjacencySids, [{ flags: 0x30, weight: 0, label: 24000 }]);
  assertEquals(a.lanAdjacencySids, [
    { flags: 0x20, weight: 10, neighborId: "0000.0000.0002", index: 5 },
    { flags: 0x30, weight: 0, neighborId: "10.0.0.3", label: 100 },
  ]);
});

Deno.test("decodeBgpLsAttribute() reads the IGP metric of each width (RFC 9552 §5.3.2.4)", () => {
  assertEquals(decode(lsTlv(1095, [0xc5])).igpMetric, 5); // the top 2 bits ignored
  assertEquals(decode(lsTlv(1095, [1, 0])).igpMetric, 256);
  assertEquals(decode(lsTlv(1095, [1, 0, 0])).igpMetric, 65536);
  assertEquals(decode(lsTlv(1092, [0, 1, 0])).teDefaultMetric, 256); // RFC 7752's 3 bytes
  assertDecodeError(() => decode(lsTlv(1095, [0, 0, 0, 1])), "bad-length");
});

Deno.test("decodeBgpLsAttribute() reads prefix attributes and prefix SIDs (RFC 9552 §5.3.3, RFC 9085 §2.3)", () => {
  const a = decode(
    lsTlv(1152, [0x80]),
    lsTlv(1153, u32(100), u32(200)),
    lsTlv(1154, u32(1), u32(2)),
    lsTlv(1155, u32(20)),
    lsTlv(1156, ip4("10.9.9.9")),
    lsTlv(1158, [0x40, 0, 0, 0], u32(1)),
    lsTlv(1158, [0x48, 1, 0, 0], [0, 0x3e, 0x81]),
    lsTlv(1170, [0x80]),
    lsTlv(1171, ip4("10.0.0.1")),
  );
  assertEquals(a, {
    igpFlags: 0x80,
    routeTags: [100, 200],
    extendedRouteTags: [String(2 ** 32 + 2)],
    prefixMetric: 20,
    ospfForwardingAddress: "10.9.9.9",
    prefixSids: [{ flags: 0x40, algorithm: 0, index: 1 }, {
      flags: 0x48,
      algorithm: 1,
      label: 16001,
    }],
    prefixAttrFlags: "80",
    sourceRouterId: "10.0.0.1",
  });
});

Deno.test("decodeBgpLsAttribute() reads the SRv6 TLVs (RFC 9514 §4-§8)", () => {
  const structure = lsTlv(1252, [32, 16, 16, 0]);
  const a = decode(
    // End.X: behaviour 0x39 (End.X with PSP/USD), flags B, algorithm 0, weight 1.
    lsTlv(1106, u16(0x39), [0x80, 0, 1, 0], ip6("fc00:0:1:e000::"), structure),
    lsTlv(1107, u16(0x39), [0, 0, 1, 0], [0, 0, 0, 0, 0, 2], ip6("fc00:0:1:e001::")),
    lsTlv(1162, [0, 0, 0, 0], u32(10)),
    lsTlv(1250, u16(0x30), [0, 0]),
    structure,
    lsTlv(1251, [0, 1, 0, 0], u32(65002), ip4("192.0.2.2")),
  );
  assertEquals(a.srv6EndXSids, [
    {
      behavior: 0x39,
      flags: 0x80,
      algorithm: 0,
      weight: 1,
      sid: "fc00:0:1:e000::",
      structure: { locatorBlock: 32, locatorNode: 16, function: 16, argument: 0 },
    },
    {
      behavior: 0x39,
      flags: 0,
      algorithm: 0,
      weight: 1,
      neighborId: "0000.0000.0002",
      sid: "fc00:0:1:e001::",
    },
  ]);
  assertEquals(a.srv6Locator, { flags: 0, algorithm: 0, metric: 10 });
  assertEquals(a.srv6EndpointBehavior, { behavior: 0x30, flags: 0, algorithm: 0 });
  assertEquals(a.srv6SidStructure, {
    locatorBlock: 32,
    locatorNode: 16,
    function: 16,
    argument: 0,
  });
  assertEquals(a.srv6BgpPeerNodeSids, [{
    flags: 0,
    weight: 1,
    peerAs: 65002,
    peerBgpId: "192.0.2.2",
  }]);
});

Deno.test("decodeBgpLsAttribute() keeps unknown TLVs raw", () => {
  assertEquals(decode(lsTlv(1200, [0xde, 0xad]), lsTlv(1026, [])), {
    unknown: [{ type: 1200, value: "dead" }],
    nodeName: "",
  });
});

Deno.test("decodeBgpLsAttribute() rejects TLVs of the wrong length and TLVs crossing the attribute", () => {
  assertDecodeError(() => decode(lsTlv(1091, u32(0))), "bad-length");
  assertDecodeError(() => decode(lsTlv(1096, [0, 0, 1])), "bad-length");
  assertDecodeError(() => decode(lsTlv(1099, [0, 0, 0, 0], [1, 2])), "bad-length");
  assertDecodeError(
    () => decode(lsTlv(1034, [0, 0], [0, 0, 1], lsTlv(1162, [0, 0, 1]))),
    "bad-type",
  );
  assertDecodeError(() => decode(u16(1026), u16(9), [0x72]), "short-input");
  assertDecodeError(() => decode(lsTlv(1106, u16(1), [0, 0, 0, 0], [1, 2, 3])), "short-input");
});
