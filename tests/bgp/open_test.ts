import { decodeOpen } from "../../src/bgp/open.ts";
import {
  assertDecodeError,
  assertEquals,
  bgp,
  cap,
  capAddPath,
  capAs4,
  capMp,
  cat,
  ip4,
  open,
  text,
  u16,
} from "../_build.ts";

const decode = (m: Uint8Array) => decodeOpen(m, 19, m.length);

Deno.test("decodeOpen() reads the fixed fields and the 4-octet AS capability", () => {
  const o = decode(
    open({ myAs: 23456, holdTime: 180, bgpId: "192.0.2.1", caps: [capAs4(4200000001)] }),
  );
  assertEquals(o, {
    version: 4,
    myAs: 23456,
    holdTime: 180,
    bgpId: "192.0.2.1",
    capabilities: [{ code: 65, name: "four_octet_as", asn: 4200000001 }],
    asn: 4200000001,
  });
  assertEquals(decode(open({ myAs: 65001 })).asn, 65001);
});

Deno.test("decodeOpen() reads Multiprotocol and ADD-PATH capabilities (RFC 7911 §4)", () => {
  const o = decode(open({ caps: [capMp(1, 1), capMp(25, 70), capAddPath([1, 1, 3], [2, 1, 1])] }));
  assertEquals(o.capabilities, [
    { code: 1, name: "multiprotocol", afi: 1, safi: 1 },
    { code: 1, name: "multiprotocol", afi: 25, safi: 70 },
    {
      code: 69,
      name: "add_path",
      addPath: [{ afi: 1, safi: 1, sendReceive: 3 }, { afi: 2, safi: 1, sendReceive: 1 }],
    },
  ]);
});

Deno.test("decodeOpen() reads graceful restart, extended next hop, FQDN, version and role", () => {
  const host = text("r1");
  const dom = text("lab");
  const sw = text("FRRouting/8.4");
  const o = decode(open({
    caps: [
      cap(64, [0x80 | 0x00, 120, 0, 1, 1, 0x80]),
      cap(5, [0, 1, 0, 1, 0, 2]),
      cap(73, cat([host.length], host, [dom.length], dom)),
      cap(75, cat([sw.length], sw)),
      cap(9, [2]),
      cap(2),
      cap(70),
      cap(128),
    ],
  }));
  assertEquals(o.capabilities, [
    {
      code: 64,
      name: "graceful_restart",
      restartFlags: 8,
      restartTime: 120,
      families: [{ afi: 1, safi: 1, flags: 0x80 }],
    },
    { code: 5, name: "extended_next_hop", nextHops: [{ afi: 1, safi: 1, nextHopAfi: 2 }] },
    { code: 73, name: "fqdn", hostname: "r1", domain: "lab" },
    { code: 75, name: "software_version", text: "FRRouting/8.4" },
    { code: 9, name: "role", role: 2 },
    { code: 2, name: "route_refresh" },
    { code: 70, name: "enhanced_route_refresh" },
    { code: 128, name: "route_refresh_cisco" },
  ]);
});

Deno.test("decodeOpen() keeps unknown and malformed capabilities as hex", () => {
  const o = decode(open({ caps: [cap(200, [1, 2]), cap(1, [0, 1, 0]), cap(69, [0, 1, 1])] }));
  assertEquals(o.capabilities, [
    { code: 200, name: "capability_200", value: "0102" },
    { code: 1, name: "multiprotocol", value: "000100" },
    { code: 69, name: "add_path", value: "000101" },
  ]);
});

Deno.test("decodeOpen() reads the RFC 9072 extended optional parameters length", () => {
  const caps = cat(capMp(2, 1), capAs4(65001));
  const params = cat([2], u16(caps.length), caps);
  const m = bgp(
    1,
    cat([4], u16(65001), u16(90), ip4("192.0.2.1"), [255, 255], u16(params.length), params),
  );
  assertEquals(decode(m).capabilities.map((c) => c.name), ["multiprotocol", "four_octet_as"]);
});

Deno.test("decodeOpen() skips optional parameters other than capabilities", () => {
  const m = bgp(1, cat([4], u16(65001), u16(90), ip4("192.0.2.1"), [5], [1, 3, 9, 9, 9]));
  assertEquals(decode(m).capabilities, []);
});

Deno.test("decodeOpen() rejects a BGP version other than 4", () => {
  assertDecodeError(() => decode(open({ version: 3 })), "bad-value");
});

Deno.test("decodeOpen() rejects a capability crossing its optional parameter", () => {
  // Parameter length 4 holds a capability header that claims 4 value bytes.
  const m = bgp(1, cat([4], u16(65001), u16(90), ip4("192.0.2.1"), [6], [2, 4, 65, 4, 0, 0]));
  assertDecodeError(() => decode(m), "short-input");
});

Deno.test("decodeOpen() rejects optional parameters longer than the message", () => {
  const m = open({ caps: [capMp(1, 1)] });
  m[28] += 1;
  assertDecodeError(() => decode(m), "short-input");
});
