/**
 * Synthetic seed messages shared by the fuzz tests.
 *
 * @module
 */

import * as b from "../_build.ts";
import { bgpLsSeeds } from "./_bgp_ls_seeds.ts";
import { familySeeds } from "./_family_seeds.ts";

/** Synthetic messages for what the captures lack: Add-Path, BMPv4 TLVs, all EVPN route
 * types, labeled and VPN NLRI, every statistics encoding, mirroring, every Peer Down
 * reason, termination. */
export function syntheticSeeds(): Uint8Array[] {
  return [...baseSeeds(), ...familySeeds(), ...bgpLsSeeds()];
}

function baseSeeds(): Uint8Array[] {
  const ap = b.capAddPath([1, 1, 3], [2, 1, 3], [25, 70, 3], [1, 128, 3]);
  const caps = [
    b.capMp(1, 1),
    b.capMp(2, 1),
    b.capMp(25, 70),
    b.capMp(1, 4),
    b.capMp(1, 128),
    b.capAs4(4200000001),
    ap,
    b.cap(64, [0x80, 120, 0, 1, 1, 0x80]),
    b.cap(5, [0, 1, 0, 1, 0, 2]),
    b.cap(73, [2, 0x72, 0x31, 3, 0x6c, 0x61, 0x62]),
    b.cap(2),
  ];
  const sent = b.open({ myAs: 23456, bgpId: "192.0.2.1", caps });
  const received = b.open({ myAs: 65002, bgpId: "192.0.2.2", caps });
  const attrs = b.basicAttrs();
  const rm = (pdu: Uint8Array, peer: b.PeerParts = {}) => b.routeMonitoring(pdu, peer);
  const E = b.EVPN_SAMPLES;
  const evpnAll = (id?: number) =>
    Object.values(E).map((body, i) => b.evpn([1, 2, 2, 2, 3, 4, 5, 5][i], body, id));
  const v6nh = [...b.ip6("2001:db8::fe"), ...b.ip6("fe80::1")];
  const vpnNh = [...b.rd0(0, 0), ...b.ip4("192.0.2.254")];
  const tlv4Pdu = (pdu: Uint8Array) =>
    b.cat(
      b.tlv4(1, 0, [69, 4, 0, 1, 1, 1]),
      b.tlv4(2, 0, [0, 1, 0, 2]),
      b.tlv4(3, 0, b.text("global")),
      b.tlv4(5, 0, [0, 0, 0, 2, 0, 1]),
      b.tlv4(4, 0, pdu),
    );
  const v4Pdu = b.update({
    attrs,
    nlri: [b.prefix("10.101.0.0/24", { pathId: 1 }), b.prefix("10.0.0.0/8", { pathId: 2 })],
  });
  const shutdown = b.notification(6, 2, [5, ...b.text("maint")]);
  const ll = b.update({
    attrs: [
      b.origin(0),
      b.asPath([65002]),
      b.mpReach(2, 1, v6nh, [b.prefix("2001:db8::/32", { pathId: 7 })]),
    ],
  });
  return [
    b.initiation(b.tlv(1, b.text("synthetic 1.0")), b.tlv(2, b.text("fuzz")), b.tlv(0, [0x41])),
    b.peerUp(sent, received, { tlvs: [b.tlv(0, b.text("peer B")), b.tlv(3, b.text("vrf"))] }),
    b.peerUp(sent, received, { flags: 0x80, address: "2001:db8::2", local: "2001:db8::1" }),
    b.peerUp(sent, received, { type: 3, address: "0.0.0.0" }),
    rm(v4Pdu),
    rm(v4Pdu, { flags: 0x10 }),
    rm(v4Pdu, { type: 3, address: "0.0.0.0" }),
    rm(b.update({ withdrawn: [b.prefix("10.101.0.0/24", { pathId: 1 })] })),
    // Sender quirks the decoder recovers from (issue 10), so mutations reach the retry:
    // no path IDs where Add-Path was negotiated (VPNv4, IPv4), a 2-byte AS_PATH and a
    // 6-byte AGGREGATOR in a 4-byte AS session.
    rm(b.update({
      attrs: [
        ...attrs,
        b.mpReach(1, 128, vpnNh, [b.prefix("10.1.0.0/16", { labels: [16], rd: b.rd0(65002, 1) })]),
      ],
    })),
    rm(b.update({ attrs, nlri: [b.prefix("10.0.0.0/8")] })),
    rm(b.update({
      attrs: [
        b.origin(0),
        b.attr(2, [2, 1, 0xfd, 0xe8], 0x50),
        b.nextHop("192.0.2.1"),
        b.aggregator(65000, "192.0.2.7", false),
      ],
      nlri: [b.prefix("10.101.0.0/24", { pathId: 1 })],
    })),
    rm(ll, { flags: 0x80, address: "2001:db8::2" }),
    rm(
      b.update({
        attrs: [b.mpUnreach(2, 1, [b.prefix("2001:db8::/32", { pathId: 7 })])],
      }),
      { flags: 0xc0, address: "2001:db8::2" },
    ),
    rm(b.update({
      attrs: [b.origin(0), b.asPath([65002]), b.mpReach(25, 70, b.ip4("192.0.2.2"), evpnAll(3))],
    })),
    rm(
      b.update({
        attrs: [b.origin(0), b.asPath([65002]), b.mpReach(25, 70, b.ip4("192.0.2.2"), evpnAll())],
      }),
      { address: "192.0.2.77" },
    ),
    rm(b.update({ attrs: [b.mpUnreach(25, 70, evpnAll(3))] })),
    rm(
      b.update({
        attrs: [
          b.origin(2),
          b.asPath([[3, [64512]], [2, [65001, 23456, 23456]], [1, [1, 2]]], false),
          b.nextHop("192.0.2.1"),
          b.aggregator(23456, "192.0.2.7", false),
          b.as4Aggregator(4200000001, "192.0.2.7"),
          b.as4Path([4200000001, 4200000002]),
        ],
        nlri: [b.prefix("198.51.100.0/24")],
      }),
      { flags: 0x20, address: "192.0.2.3" },
    ),
    rm(
      b.update({
        attrs: [
          ...attrs,
          b.med(5),
          b.localPref(100),
          b.attr(6, []),
          b.communities(0xffffff01, 65001 * 65536 + 999),
          b.extCommunities(
            [0, 2, 0xfd, 0xe8, 0, 0, 0, 100],
            [1, 3, 192, 0, 2, 1, 0, 7],
            [2, 2, 0xfa, 0x56, 0xea, 0, 0, 1],
            [3, 12, 0, 0, 0, 0, 0, 8],
            [6, 0, 1, 0, 0, 0, 0, 3],
            [6, 1, 1, 0, 0, 0, 0x06, 0x41],
            [6, 3, 0, 0x11, 0x22, 0x33, 0x44, 0x55],
            [0x80, 6, 0, 0, 0x4b, 0x74, 0x24, 0],
          ),
          b.largeCommunities([65002, 1, 2]),
          b.attr(9, b.ip4("192.0.2.9")),
          b.attr(10, [...b.ip4("192.0.2.10"), ...b.ip4("192.0.2.11")]),
          b.attr(35, b.u32(65002)),
          b.attr(26, [1, 0, 11, ...b.u64(1000n)]),
          b.attr(22, [0, 6, 0, 0x3e, 0x81, ...b.ip4("192.0.2.2")]),
          b.attr(99, [1, 2, 3], 0xe0),
          // BGP Prefix-SID: Label-Index, Originator SRGB, SRv6 L3 Service (pmacct test 400)
          // and an unknown TLV 7 that takes it past 255 bytes (Extended Length).
          b.attr(
            40,
            b.cat(
              [1, 0, 7, 0, 0, 0, 0, 0, 0, 90],
              [3, 0, 8, 0, 0, 0, 0x3e, 0x80, 0, 0x1f, 0x40],
              b.fromHex(
                "0500220001001e0020010db800910000000000000000000000003e00010006201010001030",
              ),
              [7, 0, 239, ...Array(239).fill(7)],
            ),
          ),
        ],
        nlri: [b.prefix("203.0.113.0/25"), b.prefix("203.0.113.128/25")],
      }),
      { address: "192.0.2.4" },
    ),
    rm(b.update({
      attrs: [
        b.origin(0),
        b.asPath([65002]),
        b.mpReach(1, 4, b.ip4("192.0.2.254"), [
          b.prefix("10.1.0.0/16", { labels: [100] }),
          b.prefix("10.2.0.0/16", { labels: [101, 102] }),
        ]),
      ],
    })),
    rm(b.update({
      attrs: [b.mpUnreach(1, 4, [b.prefix("10.1.0.0/16", { rawLabels: [0x800000] })])],
    })),
    rm(
      b.update({
        attrs: [
          b.origin(0),
          b.asPath([65002]),
          b.mpReach(1, 128, vpnNh, [
            b.prefix("10.0.0.0/8", { labels: [16], rd: b.rd0(65000, 1), pathId: 4 }),
            b.prefix("10.1.0.0/16", { labels: [17], rd: b.rd1("192.0.2.1", 7), pathId: 5 }),
            b.prefix("10.2.0.0/16", { labels: [18], rd: b.rd2(4200000000, 9), pathId: 6 }),
          ]),
        ],
      }),
      { type: 1, rd: b.rd0(65000, 1) },
    ),
    rm(b.update({
      attrs: [
        b.origin(0),
        b.asPath([65002]),
        b.mpReach(2, 128, [...b.rd0(0, 0), ...b.ip6("2001:db8::fe")], [
          b.prefix("2001:db8::/32", { labels: [20], rd: b.rd0(65000, 2) }),
        ]),
      ],
    })),
    rm(
      b.update({
        attrs: [
          b.mpUnreach(1, 128, [
            b.prefix("10.0.0.0/8", { rawLabels: [0x800000], rd: b.rd0(65000, 1), pathId: 4 }),
          ]),
        ],
      }),
      { type: 1, rd: b.rd0(65000, 1) },
    ),
    rm(b.update()),
    rm(b.update({ attrs: [b.mpUnreach(2, 1)] })),
    rm(b.update({ attrs: [b.mpUnreach(25, 70)] })),
    b.routeMonitoring(tlv4Pdu(v4Pdu), {}, 4),
    b.routeMonitoring(
      tlv4Pdu(b.update({ withdrawn: [b.prefix("10.0.0.0/8", { pathId: 9 })] })),
      {},
      4,
    ),
    b.routeMonitoring(
      b.cat(v4Pdu, b.tlv(0, [0, 1, 0, 1, 0, 4, 0, 0, 0, 2]), b.tlv(9, [1])),
      {},
      4,
    ),
    b.statsReport([
      [0, b.u32(1)],
      [7, b.u64(800n)],
      [8, b.u64(2n ** 63n)],
      [9, [0, 2, 1, ...b.u64(200n)]],
      [65531, b.u32(9)],
      [400, [1, 2, 3]],
      [401, []],
    ]),
    b.routeMirroring([
      b.tlv(0, v4Pdu),
      b.tlv(0, sent),
      b.tlv(0, b.keepalive()),
      b.tlv(0, shutdown),
      b.tlv(1, [0, 0]),
      b.tlv(1, [0, 1]),
      b.tlv(7, [1]),
    ]),
    b.peerDown(1, shutdown),
    b.peerDown(2, b.u16(24)),
    b.peerDown(3, b.notification(4, 0)),
    b.peerDown(4),
    b.peerDown(5),
    b.peerDown(6, b.tlv(3, b.text("vrf-blue")), { type: 3, address: "0.0.0.0" }),
    b.termination(b.tlv(0, b.text("bye")), b.tlv(1, b.u16(4))),
  ];
}
