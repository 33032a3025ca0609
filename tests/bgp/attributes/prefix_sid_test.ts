/**
 * BGP Prefix-SID (attribute 40): RFC 8669 label index and originator SRGB, RFC 9252
 * SRv6 services. The SRv6 and label-index values are the attribute bytes of the pmacct
 * and NetGauze captures (IOS-XR SRv6 L3VPN, EVPN over SRv6); the SRGB, unknown and
 * malformed ones are built byte by byte (no capture has them). Expected values are read
 * off the RFC diagrams, field by field.
 */

import {
  decodePrefixSid,
  type PrefixSid,
  prefixSidText,
} from "../../../src/bgp/attributes/prefix_sid.ts";
import { decodeUpdate, type UpdateContext } from "../../../src/bgp/update.ts";
import { messageJson } from "../../../src/bmp/json.ts";
import { messageLine } from "../../../src/control/line.ts";
import { attrRow } from "../../../src/store/rows/attrs.ts";
import { WireReader } from "../../../src/wire/reader.ts";
import {
  asPath,
  assert,
  assertDecodeError,
  assertEquals,
  attr,
  cat,
  decodeBmp,
  fromHex,
  ip6,
  mpReach,
  origin,
  type Part,
  prefix,
  rd0,
  routeMonitoring,
  u16,
  u32,
  update,
} from "../../_build.ts";

const decode = (b: Part) => decodePrefixSid(new WireReader(Uint8Array.from(b)));

/** A Prefix-SID TLV (or SRv6 sub-TLV / sub-sub-TLV): Type (1) | Length (2) | Value. */
const tlv = (type: number, value: Part): Uint8Array => cat([type], u16(value.length), value);

/** SRv6 SID Information sub-TLV value: Reserved1 | SID | Flags | Behavior | Reserved2 | subs. */
const sidInfo = (sid: string, flags: number, behavior: number, ...subs: Part[]) =>
  tlv(1, cat([0], ip6(sid), [flags], u16(behavior), [0], ...subs));

/** SRv6 SID Structure sub-sub-TLV. */
const structure = (...lengths: number[]) => tlv(1, lengths);

/** Label-Index TLV from pmacct test 204/400/403 (IOS-XR 7.10, SR-MPLS labeled unicast). */
const CAPTURE_LABEL_INDEX = "0100070000000000005a";
/** SRv6 L3 Service TLV from pmacct test 400 (IOS-XR 7.10, SRv6 L3VPN). */
const CAPTURE_SRV6_L3 =
  "0500220001001e0020010db800910000000000000000000000003e00010006201010001030";
/** SRv6 L2 Service TLV from NetGauze evpn.pcap (EVPN over SRv6). */
const CAPTURE_SRV6_L2 =
  "0600220001001e00fcbabe0030020000000000000000000000004100010006201010001030";

Deno.test("decodePrefixSid() reads the Label-Index TLV of an IOS-XR capture (RFC 8669 §3.1)", () => {
  // 01 | 0007 | 00 reserved | 0000 flags | 0000005a label index.
  assertEquals(decode(fromHex(CAPTURE_LABEL_INDEX)), { labelIndex: { flags: 0, labelIndex: 90 } });
});

Deno.test("decodePrefixSid() reads an Originator SRGB TLV with two ranges (RFC 8669 §3.2)", () => {
  const v = tlv(3, cat(u16(0), [0, 0x3e, 0x80], [0, 0x1f, 0x40], [0x01, 0x86, 0xa0], [0, 3, 0xe8]));
  assertEquals(decode(cat(tlv(1, [0, 0, 0, ...u32(7)]), v)), {
    labelIndex: { flags: 0, labelIndex: 7 },
    originatorSrgb: {
      flags: 0,
      srgbs: [{ firstLabel: 16000, numberOfLabels: 8000 }, {
        firstLabel: 100000,
        numberOfLabels: 1000,
      }],
    },
  });
});

Deno.test("decodePrefixSid() reads the SRv6 L3 Service TLV of an IOS-XR capture (RFC 9252 §2-3)", () => {
  // 05 | 0022 | 00 | sub-TLV 01 | 001e | 00 | SID 2001:db8:91:: | flags 00 | behavior 003e
  // | 00 | sub-sub-TLV 01 | 0006 | 20 10 10 00 10 30.
  assertEquals(decode(fromHex(CAPTURE_SRV6_L3)), {
    srv6L3Service: {
      sidInformation: [{
        sid: "2001:db8:91::",
        flags: 0,
        endpointBehavior: 0x3e,
        structure: {
          locatorBlockLength: 32,
          locatorNodeLength: 16,
          functionLength: 16,
          argumentLength: 0,
          transpositionLength: 16,
          transpositionOffset: 48,
        },
      }],
    },
  });
});

Deno.test("decodePrefixSid() reads the SRv6 L2 Service TLV of an EVPN capture", () => {
  const p = decode(fromHex(CAPTURE_SRV6_L2));
  assertEquals(p.srv6L3Service, undefined);
  assertEquals(p.srv6L2Service?.sidInformation.map((i) => [i.sid, i.endpointBehavior]), [
    ["fcba:be00:3002::", 0x41],
  ]);
  assertEquals(p.srv6L2Service?.sidInformation[0].structure?.transpositionOffset, 48);
});

Deno.test("decodePrefixSid() keeps unknown and repeated TLVs, sub-TLVs and sub-sub-TLVs raw", () => {
  const service = tlv(
    5,
    cat(
      [0],
      sidInfo("2001:db8::1", 0x80, 19, structure(40, 24, 16, 0, 0, 0), tlv(9, [1, 2])),
      sidInfo("2001:db8::2", 0, 18),
      tlv(7, [0xaa]),
    ),
  );
  const p = decode(cat(
    tlv(2, [0xde, 0xad]), // the IPv6 SID TLV of early drafts, not in RFC 8669
    tlv(1, [0, 0, 1, ...u32(5)]),
    tlv(1, [0, 0, 0, ...u32(6)]), // a second Label-Index: the first is kept
    service,
    tlv(200, []),
  ));
  assertEquals(
    p,
    {
      labelIndex: { flags: 1, labelIndex: 5 },
      srv6L3Service: {
        sidInformation: [
          {
            sid: "2001:db8::1",
            flags: 0x80,
            endpointBehavior: 19,
            structure: {
              locatorBlockLength: 40,
              locatorNodeLength: 24,
              functionLength: 16,
              argumentLength: 0,
              transpositionLength: 0,
              transpositionOffset: 0,
            },
            unknown: [{ type: 9, value: "0102" }],
          },
          { sid: "2001:db8::2", flags: 0, endpointBehavior: 18 },
        ],
        unknown: [{ type: 7, value: "aa" }],
      },
      unknown: [
        { type: 2, value: "dead" },
        { type: 1, value: "00000000000006" },
        { type: 200, value: "" },
      ],
    } satisfies PrefixSid,
  );
});

Deno.test("decodePrefixSid() rejects malformed lengths with the offset of the faulty TLV", () => {
  const li = tlv(1, [0, 0, 0, ...u32(6)]);
  const cases: [string, Uint8Array, number][] = [
    ["empty attribute", new Uint8Array(0), 0],
    ["TLV header cut", Uint8Array.from([1, 0]), 0],
    ["Label-Index length 6", tlv(1, [0, 0, 0, 0, 0, 6]), 0],
    ["TLV crossing the attribute", cat(li, [3, 0, 8, 0, 0, 1, 2, 3]), 10],
    ["SRGB without a range", tlv(3, u16(0)), 0],
    ["SRGB range cut", tlv(3, [0, 0, 1, 2, 3, 4, 5, 6, 7]), 0],
    ["SRv6 Service TLV empty", tlv(5, []), 0],
    ["sub-TLV crossing the service TLV", tlv(5, [0, 1, 0, 30, 0]), 4],
    ["SID Information of 20 bytes", tlv(6, cat([0], tlv(1, Array(20).fill(0)))), 4],
    [
      "SID Structure of 5 bytes",
      tlv(5, cat([0], sidInfo("2001:db8::", 0, 1, tlv(1, [32, 16, 16, 0, 0])))),
      4 + 24,
    ],
    [
      "sub-sub-TLV crossing the SID Information",
      tlv(5, cat([0], sidInfo("2001:db8::", 0, 1, [1, 0, 6, 32]))),
      4 + 24,
    ],
  ];
  for (const [what, bytes, offset] of cases) {
    const e = assertDecodeError(() => decode(bytes), "bad-length");
    assertEquals(e.offset, offset, what);
  }
});

const CTX: UpdateContext = { asn4: true, addPath: () => false };

/** An SRv6 L3VPN update: VPNv6 route 2001:db8:1::/48 with label 0x3e8 (transposed). */
function vpnUpdate(prefixSid: Part, flags?: number) {
  const nlri = prefix("2001:db8:1::/48", { labels: [0x3e8], rd: rd0(65000, 1) });
  const m = update({
    attrs: [
      origin(0),
      asPath([65001]),
      mpReach(2, 128, cat(Array(8).fill(0), ip6("2001:db8::ff")), [nlri]),
      attr(40, prefixSid, flags),
    ],
  });
  return decodeUpdate(m, 19, m.length, CTX);
}

Deno.test("decodeUpdate() puts a Prefix-SID in attributes.prefixSid, not in unknown", () => {
  const u = vpnUpdate(fromHex(CAPTURE_SRV6_L3));
  assertEquals(u.problems, []);
  assertEquals(u.attributes.unknown, undefined);
  assertEquals(u.attributes.prefixSid?.srv6L3Service?.sidInformation[0].sid, "2001:db8:91::");
  // RFC 9252 §4: the label field keeps the transposed function bits as received.
  assertEquals(u.attributes.mpReach?.nlri[0].labels, [0x3e8]);
});

Deno.test("decodeUpdate() discards a malformed Prefix-SID and keeps the routes (RFC 8669 §6)", () => {
  const bad = fromHex(CAPTURE_SRV6_L3.replace("001e00", "001f00")); // sub-TLV 1 byte too long
  const u = vpnUpdate(bad);
  assertEquals(u.treatAsWithdraw, undefined);
  assertEquals(u.problems.map((p) => [p.action, p.attribute]), [["attribute-discard", 40]]);
  assertEquals(u.attributes.prefixSid, undefined);
  assertEquals(u.attributes.unknown, [{ type: 40, flags: 0xc0, value: hex(bad) }]);
  assertEquals(u.attributes.mpReach?.nlri.length, 1);
});

function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

Deno.test("prefixSidText() names the label index, SRGB ranges and SRv6 SIDs", () => {
  const p = decode(cat(
    fromHex(CAPTURE_LABEL_INDEX),
    tlv(3, cat(u16(0), [0, 0x3e, 0x80], [0, 0x1f, 0x40])),
    fromHex(CAPTURE_SRV6_L3),
    fromHex(CAPTURE_SRV6_L2),
  ));
  assertEquals(
    prefixSidText(p),
    "label-index 90 srgb 16000+8000 srv6-l3 2001:db8:91:: behavior 62 " +
      "srv6-l2 fcba:be00:3002:: behavior 65",
  );
});

Deno.test("decode JSON and the one-line form show the Prefix-SID", () => {
  const body = update({
    attrs: [
      origin(0),
      asPath([65001]),
      mpReach(2, 128, cat(Array(8).fill(0), ip6("2001:db8::ff")), [
        prefix("2001:db8:1::/48", { labels: [0x3e8], rd: rd0(65000, 1) }),
      ]),
      attr(40, fromHex(CAPTURE_SRV6_L3)),
    ],
  });
  const m = decodeBmp(routeMonitoring(body));
  const json = JSON.parse(JSON.stringify(messageJson(m)));
  assertEquals(
    json.update.attributes.prefixSid.srv6L3Service.sidInformation[0].structure.functionLength,
    16,
  );
  const line = messageLine(m);
  assert(line.includes(" sid srv6-l3 2001:db8:91:: behavior 62"), line);
});

Deno.test("attrRow() gives attribute sets that differ only in their Prefix-SID different ids", () => {
  const a = vpnUpdate(fromHex(CAPTURE_SRV6_L3)).attributes;
  const b = vpnUpdate(fromHex(CAPTURE_SRV6_L3.replace("003e00", "003f00"))).attributes;
  assert(a.prefixSid && b.prefixSid);
  const idA = attrRow(a, "2001:db8::ff", []).id;
  assert(idA !== attrRow(b, "2001:db8::ff", []).id, "same id for behaviors 62 and 63");
  assertEquals(idA, attrRow(vpnUpdate(fromHex(CAPTURE_SRV6_L3)).attributes, "2001:db8::ff", []).id);
});
