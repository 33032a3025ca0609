import type { RouteMonitoringMessage } from "../../src/bmp/message.ts";
import {
  asPath,
  assertDecodeError,
  assertEquals,
  assertMatch,
  basicAttrs,
  bmp,
  cat,
  decodeBmp,
  ip6,
  keepalive,
  mpReach,
  origin,
  perPeer,
  prefix,
  routeMonitoring,
  text,
  tlv,
  tlv4,
  u16,
  u32,
  update,
} from "../_build.ts";

const rm = (b: Uint8Array) => decodeBmp(b) as RouteMonitoringMessage;
const PDU = update({ attrs: basicAttrs(), nlri: [prefix("10.0.0.0/8")] });

Deno.test("decodeRouteMonitoring() reads a v3 message: per-peer header and UPDATE", () => {
  const m = rm(routeMonitoring(PDU, { address: "192.0.2.2", flags: 0x40 }));
  assertMatch(m, {
    kind: "route_monitoring",
    version: 3,
    length: 6 + 42 + PDU.length,
    offset: 0,
    peer: { address: "192.0.2.2", postPolicy: true },
    update: { nlri: [{ prefix: "10.0.0.0/8" }], problems: [] },
  });
  assertEquals(m.tlvs, undefined);
});

Deno.test("decodeRouteMonitoring() reads 2-byte AS paths when the A flag is set", () => {
  const pdu = update({ attrs: [origin(0), asPath([65001, 65002], false)] });
  assertEquals(rm(routeMonitoring(pdu, { flags: 0x20 })).update.attributes.asPath, [
    { type: 2, asns: [65001, 65002] },
  ]);
});

Deno.test("decodeRouteMonitoring() reads the BMPv4 indexed TLV form", () => {
  const body = cat(
    tlv4(3, 0, text("global")),
    tlv4(2, 0, cat(u16(1), u16(2))),
    tlv4(5, 0, cat(u32(0x02), u16(0))),
    tlv4(4, 0, PDU),
  );
  const m = rm(routeMonitoring(body, {}, 4));
  assertEquals(m.version, 4);
  assertEquals(m.update.nlri, [{ prefix: "10.0.0.0/8" }]);
  assertEquals(m.tlvs, [
    { type: 3, index: 0, name: "vrf_table_name", value: "global" },
    { type: 2, index: 0, name: "group", value: [1, 2] },
    {
      type: 5,
      index: 0,
      name: "path_marking",
      value: { status: 2, statusNames: ["best"], reason: 0 },
    },
  ]);
});

Deno.test("decodeRouteMonitoring() reads path ids declared by a stateless parsing TLV", () => {
  // Without a Peer Up: the TLV (ADD-PATH capability for IPv6 unicast) decides, even where
  // the guess would not find path ids.
  const pdu = update({
    attrs: [
      origin(0),
      asPath([1]),
      mpReach(2, 1, ip6("2001:db8::1"), [prefix("2001:db8::/32", { pathId: 0x20010db8 })]),
    ],
  });
  const body = cat(tlv4(1, 0, [69, 4, ...u16(2), 1, 1]), tlv4(4, 0, pdu));
  const m = rm(routeMonitoring(body, {}, 4));
  assertEquals(m.update.attributes.mpReach?.nlri, [{
    prefix: "2001:db8::/32",
    pathId: 0x20010db8,
  }]);
  assertMatch(m.tlvs, [{
    name: "stateless_parsing",
    value: { capability: 69, families: [{ afi: 2, safi: 1, sendReceive: 1 }] },
  }]);
});

Deno.test("decodeRouteMonitoring() reads the early v4 form: PDU then TLVs without index", () => {
  // Huawei VRP 8: a type 0 path marking list, then an unknown TLV kept as hex.
  const marks = cat(u16(1), u16(1), u16(4), u32(0x02));
  const m = rm(routeMonitoring(cat(PDU, tlv(0, marks), tlv(9, [0xab])), {}, 4));
  assertEquals(m.update.nlri, [{ prefix: "10.0.0.0/8" }]);
  assertEquals(m.tlvs, [
    { type: 0, name: "path_marking", value: [{ status: 2, statusNames: ["best"] }] },
    { type: 9, name: "tlv_9", value: "ab" },
  ]);
});

Deno.test("decodeRouteMonitoring() rejects a v4 message without a BGP PDU TLV", () => {
  assertDecodeError(() => rm(routeMonitoring(tlv4(3, 0, text("global")), {}, 4)), "bad-value");
});

Deno.test("decodeRouteMonitoring() rejects a v4 TLV crossing the message end", () => {
  const b = routeMonitoring(cat(tlv4(3, 0, text("global")), tlv4(4, 0, PDU)), {}, 4);
  b[6 + 42 + 2 + 12 + 1] += 1; // PDU TLV length one more than there is
  assertDecodeError(() => rm(b), "short-input");
});

Deno.test("decodeRouteMonitoring() rejects a BGP message other than UPDATE", () => {
  const e = assertDecodeError(() => rm(routeMonitoring(keepalive())), "bad-type");
  assertEquals(e.offset, 6 + 42 + 18);
  assertEquals(e.messageType, 0);
});

Deno.test("decodeRouteMonitoring() rejects a BGP length beyond the BMP message", () => {
  const b = routeMonitoring(PDU);
  b[6 + 42 + 17] += 1;
  assertDecodeError(() => rm(b), "bad-length");
});

Deno.test("decodeRouteMonitoring() rejects a broken BGP marker", () => {
  const b = routeMonitoring(PDU);
  b[6 + 42 + 3] = 0;
  assertDecodeError(() => rm(b), "bad-marker");
});

Deno.test("decodeRouteMonitoring() rejects a v3 trailer TLV crossing the message end", () => {
  const b = routeMonitoring(cat(PDU, tlv(9, [1, 2])));
  b[b.length - 3] = 3;
  assertDecodeError(() => rm(b), "short-input");
});

Deno.test("decodeRouteMonitoring() rejects a message that ends inside the per-peer header", () => {
  assertDecodeError(() => rm(bmp(0, perPeer().subarray(0, 30))), "short-input");
});

Deno.test("decodeRouteMonitoring() reads no capability code from an empty stateless parsing TLV", () => {
  // Fuzz crasher 9c58eda8f27037e8: the code was read from the next TLV's first byte.
  const m = rm(routeMonitoring(cat(tlv4(1, 0, []), tlv4(4, 0, PDU)), {}, 4));
  assertEquals(m.tlvs, [{ type: 1, index: 0, name: "stateless_parsing", value: { families: [] } }]);
});

Deno.test("decodeRouteMonitoring() does not read the UPDATE past the BMP length", () => {
  const b = routeMonitoring(PDU);
  b[4] -= 1; // the buffer still holds the last byte
  assertDecodeError(() => rm(b), "bad-length");
});
