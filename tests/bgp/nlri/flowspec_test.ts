import { decodeNlri } from "../../../src/bgp/nlri/decode.ts";
import { flowspecActions } from "../../../src/bgp/nlri/flowspec.ts";
import type { Nlri } from "../../../src/bgp/nlri/types.ts";
import { decodeExtendedCommunities } from "../../../src/bgp/attributes/extended_communities.ts";
import { WireReader } from "../../../src/wire/reader.ts";
import { jsonReplacer, messageJson } from "../../../src/bmp/json.ts";
import {
  asPath,
  assertDecodeError,
  assertEquals,
  cat,
  decodeBmp,
  extCommunities,
  fromHex,
  mpReach,
  origin,
  type Part,
  rd0,
  routeMonitoring,
  update,
} from "../../_build.ts";

function decode(afi: number, safi: number, bytes: Part, addPath = false): Nlri[] {
  const r = new WireReader(Uint8Array.from(bytes));
  const out: Nlri[] = [];
  decodeNlri(r, afi, safi, addPath, false, out);
  if (r.pos !== r.end) throw new Error(`stopped at ${r.pos} of ${r.end}`);
  return out;
}

Deno.test("decodeFlowspecNlri() reads RFC 8955 §4.2.2 example 1 (192.0.2.0/24, TCP port 25)", () => {
  const [n] = decode(1, 133, fromHex("0b01" + "18c00002" + "038106" + "048119"));
  assertEquals(n.prefix, "");
  assertEquals(n.key, "destination 192.0.2.0/24 protocol ==6 port ==25");
  assertEquals(n.flowspec?.components, [
    { type: 1, prefix: "192.0.2.0/24" },
    { type: 3, ops: [{ and: false, op: "==", value: 6 }] },
    { type: 4, ops: [{ and: false, op: "==", value: 25 }] },
  ]);
});

Deno.test("decodeFlowspecNlri() reads RFC 8955 example 2: a range OR-ed with a 2-byte value", () => {
  const [n] = decode(
    1,
    133,
    fromHex("12" + "0118c00002" + "0218cb0071" + "04038945" + "8b" + "911f90"),
  );
  assertEquals(n.key, "destination 192.0.2.0/24 source 203.0.113.0/24 port >=137&<=139 ==8080");
  assertEquals(n.flowspec?.components[2].ops, [
    { and: false, op: ">=", value: 137 },
    { and: true, op: "<=", value: 139 },
    { and: false, op: "==", value: 8080 },
  ]);
});

Deno.test("decodeFlowspecNlri() reads RFC 8955 example 3: fragment bitmask DF or FF", () => {
  const [n] = decode(1, 133, fromHex("09" + "0120c0000201" + "0c8005"));
  assertEquals(n.key, "destination 192.0.2.1/32 fragment dont-fragment+first-fragment");
});

Deno.test("decodeFlowspecNlri() reads bitmask operators: TCP flags match and not", () => {
  // tcp-flags: 0x01 (match) SYN, then 0x81|0x02 (end, not, match) ACK
  const [n] = decode(1, 133, fromHex("05" + "09010283" + "10"));
  assertEquals(n.key, "tcp-flags =S !=A");
});

Deno.test("decodeFlowspecNlri() reads RFC 8956 §3.8 example 1: IPv6 source with offset 64", () => {
  const [n] = decode(2, 133, fromHex("12" + "0120002001" + "0db8" + "026840123456789a" + "038106"));
  assertEquals(n.flowspec?.components, [
    { type: 1, prefix: "2001:db8::/32" },
    { type: 2, prefix: "::1234:5678:9a00:0/104", offset: 64 },
    { type: 3, ops: [{ and: false, op: "==", value: 6 }] },
  ]);
  assertEquals(
    n.key,
    "destination 2001:db8::/32 source ::1234:5678:9a00:0/104 offset 64 protocol ==6",
  );
});

Deno.test("decodeFlowspecNlri() reads RFC 8956 §3.8 example 2: offset 65, one bit of padding", () => {
  const [n] = decode(2, 133, fromHex("0f" + "01200020010db8" + "0268412468acf134"));
  // bits 65-103 of the address are the pattern's 39 bits: the same address as example 1
  assertEquals(n.flowspec?.components[1], {
    type: 2,
    prefix: "::1234:5678:9a00:0/104",
    offset: 65,
  });
});

Deno.test("decodeFlowspecNlri() reads the IPv6 flow label (RFC 8956 §3.7, 4-byte value)", () => {
  const [n] = decode(2, 133, fromHex("06" + "0da100012345"));
  assertEquals(n.key, "label ==74565");
});

Deno.test("decodeFlowspecNlri() reads the RD of SAFI 134 and a 2-byte NLRI length", () => {
  // 240 bytes of rule: RD + 58 protocol values of 4 bytes (op 0x21 4-byte eq)
  const ops: number[] = [];
  for (let i = 0; i < 57; i++) ops.push(0x21, 0, 0, 0, i);
  ops.push(0xa1, 0, 0, 0, 99);
  const body = cat(rd0(65000, 7), [3], ops);
  const [n] = decode(1, 134, cat([0xf0 | (body.length >> 8), body.length & 0xff], body));
  assertEquals(n.rd, "0:65000:7");
  assertEquals(n.flowspec?.rd, "0:65000:7");
  assertEquals(n.flowspec?.components[0].ops?.length, 58);
  assertEquals(n.key?.endsWith(" ==56 ==99"), true);
});

Deno.test("decodeFlowspecNlri() rejects an unknown component, types out of order, a prefix too long", () => {
  assertEquals(assertDecodeError(() => decode(1, 133, fromHex("020e00")), "bad-type").offset, 1);
  assertDecodeError(() => decode(1, 133, fromHex("06038106018100")), "bad-value");
  assertDecodeError(() => decode(1, 133, fromHex("0601210a000000")), "bad-length");
  // a value that crosses the NLRI length
  assertDecodeError(() => decode(1, 133, fromHex("03049106" + "00")), "short-input");
});

Deno.test("extendedCommunityText() names every RFC 8955 §7 action; flowspecActions() picks them", () => {
  const b = cat(
    fromHex("80060000" + "48435000"), // traffic-rate 0 AS, 200000 bytes/s
    fromHex("800c0000" + "447a0000"), // traffic-rate-packets 1000
    fromHex("800700000000" + "0003"), // traffic-action sample, terminal
    fromHex("8008fde8" + "00000064"), // redirect AS2 65000:100
    fromHex("8108c0000201" + "0007"), // redirect IPv4 192.0.2.1:7
    fromHex("8208fa56ea00" + "0009"), // redirect AS4 4200000000:9
    fromHex("800900000000" + "002e"), // traffic-marking DSCP 46
    fromHex("0002fde8" + "00000001"), // rt 65000:1 (not an action)
  );
  const texts = decodeExtendedCommunities(b, 0, b.length);
  assertEquals(texts, [
    "traffic-rate:0:200000",
    "traffic-rate-packets:0:1000",
    "traffic-action:sample,terminal",
    "redirect:65000:100",
    "redirect:192.0.2.1:7",
    "redirect:4200000000:9",
    "traffic-marking:46",
    "rt:65000:1",
  ]);
  assertEquals(flowspecActions(texts), texts.slice(0, 7));
});

Deno.test("messageJson() (decode --format jsonl) shows the rule, its key and its actions", () => {
  const m = decodeBmp(routeMonitoring(update({
    attrs: [
      origin(0),
      asPath([65002]),
      mpReach(1, 133, [], [fromHex("0b0118c00002038106048119")]),
      extCommunities([...fromHex("8006000048435000")]),
    ],
  })));
  const j = JSON.parse(JSON.stringify(messageJson(m), jsonReplacer));
  const reach = j.update.attributes.mpReach;
  assertEquals(reach.family, "ipv4_flowspec");
  assertEquals(reach.nlri[0].key, "destination 192.0.2.0/24 protocol ==6 port ==25");
  assertEquals(reach.nlri[0].flowspec.components[0], { type: 1, prefix: "192.0.2.0/24" });
  assertEquals(j.update.attributes.extendedCommunities, ["traffic-rate:0:200000"]);
  assertEquals(reach.raw, undefined);
});
