/**
 * Builders for BGP-LS messages in tests, byte by byte from the TLV layouts of RFC 9552
 * §5.2-§5.3, RFC 9085 §2 and RFC 9514 §3-§8.
 *
 * @module
 */

import { cat, ip4, ip6, type Part, u16, u32 } from "../../_build.ts";

/** A BGP-LS TLV: Type (2) | Length (2) | Value. */
export const lsTlv = (type: number, ...value: Part[]): Uint8Array => {
  const v = cat(...value);
  return cat(u16(type), u16(v.length), v);
};

/** An NLRI: Type (2) | Total NLRI Length (2) | body. */
export const lsNlri = (type: number, ...body: Part[]): Uint8Array => lsTlv(type, ...body);

/** Protocol-ID (1) | Identifier (8). */
export const lsHead = (protocolId: number, id = 0): number[] => [protocolId, ...u32(0), ...u32(id)];

/** An IS-IS system ID from 6 bytes. */
export const sysId = (...b: number[]): number[] => b;

/** Node descriptors of an IS-IS router: AS 65000, BGP-LS ID 0, system ID. */
export const isisNode = (last: number, type = 256): Uint8Array =>
  lsTlv(type, lsTlv(512, u32(65000)), lsTlv(513, u32(0)), lsTlv(515, [0, 0, 0, 0, 0, last]));

/** Node descriptors of an OSPF router: AS, area, router ID. */
export const ospfNode = (rid: string, type = 256): Uint8Array =>
  lsTlv(type, lsTlv(512, u32(65001)), lsTlv(514, ip4("0.0.0.0")), lsTlv(515, ip4(rid)));

/** The link of RFC 9552 §5.2.2 between IS-IS routers 1 and 2. */
export const isisLink = (): Uint8Array =>
  lsNlri(
    2,
    lsHead(2),
    isisNode(1),
    isisNode(2, 257),
    lsTlv(258, u32(10), u32(20)),
    lsTlv(259, ip4("10.1.2.1")),
    lsTlv(260, ip4("10.1.2.2")),
    lsTlv(261, ip6("2001:db8:12::1")),
    lsTlv(262, ip6("2001:db8:12::2")),
    lsTlv(263, u16(2)),
  );

/** An IPv4 prefix of OSPF router 10.0.0.1: MT-ID 0, intra-area, 10.0.0.0/24. */
export const ospfPrefix4 = (): Uint8Array =>
  lsNlri(
    3,
    lsHead(3),
    ospfNode("10.0.0.1"),
    lsTlv(263, u16(0)),
    lsTlv(264, [1]),
    lsTlv(265, [24, 10, 0, 0]),
  );

/** The link attributes of RFC 9552 §5.3.2 with an RFC 9085 adjacency SID. */
export const linkAttrs = (): Uint8Array =>
  cat(
    lsTlv(1028, ip4("10.0.0.1")),
    lsTlv(1030, ip4("10.0.0.2")),
    lsTlv(1088, u32(0x11)),
    lsTlv(1089, [0x4c, 0xee, 0x6b, 0x28]), // 1.25e8 bytes/s: 1 Gb/s
    lsTlv(1090, [0x4c, 0xee, 0x6b, 0x28]),
    lsTlv(1091, ...Array(8).fill([0x4c, 0xee, 0x6b, 0x28])),
    lsTlv(1092, u32(100)),
    lsTlv(1095, [0, 0, 10]),
    lsTlv(1096, u32(7), u32(9)),
    lsTlv(1098, new TextEncoder().encode("r1-r2")),
    lsTlv(1099, [0x30, 0, 0, 0], [0x00, 0x5d, 0xc0]), // label 24000
  );
