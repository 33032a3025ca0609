/**
 * BGP-LS seed messages for the fuzz tests (issue 16, part 2): node, link, IPv4/IPv6
 * prefix, SRv6 SID and SAFI 72 NLRI with BGP-LS attributes of each kind (RFC 9552, RFC
 * 9085, RFC 9514), and a withdrawal.
 *
 * @module
 */

import * as b from "../_build.ts";
import {
  isisLink,
  isisNode,
  linkAttrs,
  lsHead,
  lsNlri,
  lsTlv,
  ospfNode,
  ospfPrefix4,
} from "../bgp/nlri/_bgp_ls.ts";

/** One Route Monitoring message per BGP-LS NLRI type, and a withdrawal. */
export function bgpLsSeeds(): Uint8Array[] {
  const base = [b.origin(0), b.asPath([65002])];
  const rm = (attrs: Uint8Array[]) => b.routeMonitoring(b.update({ attrs }));
  const nh = b.ip4("192.0.2.2");
  const ls = (...tlvs: Uint8Array[]) => b.attr(29, b.cat(...tlvs), 0x80);
  const node = ls(
    lsTlv(263, b.u16(0), b.u16(2)),
    lsTlv(1024, [0x20]),
    lsTlv(1026, b.text("r1")),
    lsTlv(1027, [0x49, 0, 1]),
    lsTlv(1028, b.ip4("10.0.0.1")),
    lsTlv(1034, [0xc0, 0], [0, 0x1f, 0x40], lsTlv(1161, [0, 0x3e, 0x80])),
    lsTlv(1035, [0, 1]),
    lsTlv(1036, [0, 0], [0, 3, 0xe8], lsTlv(1161, b.u32(0))),
    lsTlv(1038, b.u16(0), b.u16(0)),
  );
  const link = ls(
    linkAttrs(),
    lsTlv(1100, [0x20, 10, 0, 0], [0, 0, 0, 0, 0, 2], b.u32(5)),
    lsTlv(
      1106,
      b.u16(0x39),
      [0x80, 0, 1, 0],
      b.ip6("fc00:0:1:e000::"),
      lsTlv(1252, [32, 16, 16, 0]),
    ),
  );
  const prefix = ls(
    lsTlv(1152, [0x80]),
    lsTlv(1153, b.u32(100)),
    lsTlv(1154, b.u32(1), b.u32(2)),
    lsTlv(1155, b.u32(20)),
    lsTlv(1158, [0x40, 0, 0, 0], b.u32(1)),
    lsTlv(1162, [0, 0, 0, 0], b.u32(10)),
  );
  const p6 = lsNlri(
    4,
    lsHead(2),
    isisNode(1),
    lsTlv(263, b.u16(2)),
    lsTlv(265, [48, 0x20, 1, 0xd, 0xb8, 0, 1]),
  );
  const srv6 = lsNlri(6, lsHead(2), isisNode(1), lsTlv(518, b.ip6("fc00:0:1::")));
  const srv6Attrs = ls(
    lsTlv(1250, b.u16(0x30), [0, 0]),
    lsTlv(1252, [32, 16, 16, 0]),
    lsTlv(1251, [0, 1, 0, 0], b.u32(65002), b.ip4("192.0.2.2")),
  );
  const vpn = lsNlri(1, b.rd0(65000, 5), lsHead(3), ospfNode("10.0.0.1"));
  return [
    rm([...base, b.mpReach(16388, 71, nh, [lsNlri(1, lsHead(2), isisNode(1))]), node]),
    rm([...base, b.mpReach(16388, 71, nh, [isisLink()]), link]),
    rm([...base, b.mpReach(16388, 71, nh, [ospfPrefix4(), p6]), prefix]),
    rm([...base, b.mpReach(16388, 71, nh, [srv6]), srv6Attrs]),
    rm([...base, b.mpReach(16388, 72, nh, [vpn])]),
    rm([b.mpUnreach(16388, 71, [isisLink(), ospfPrefix4()])]),
  ];
}
