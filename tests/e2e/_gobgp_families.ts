/**
 * The routes of the families lab (`gobgp_families_test.ts`): how router B (or C, for RTC)
 * originates each one, with the `gobgp` CLI or GoBGP's gRPC API, and the row each view must
 * show for it.
 *
 * @module
 */

import { addPath, any, deletePath, type Field, path } from "./_gobgp_api.ts";
import { gobgp } from "./_gobgpd.ts";

/** A route B injects: how, and the row each view must show. */
export interface Injected {
  view: "v_flowspec" | "v_rtc" | "v_sr_policies" | "v_mup";
  /** The route key the view must show. */
  key: string;
  add: (apiPort: number) => Promise<unknown>;
  del: (apiPort: number) => Promise<unknown>;
  /** The source router: B, or C for RTC. */
  from?: "c";
  /** The BMP views that carry it (default all three). */
  views?: string[];
  /** Fields of the view row, as SQL text, and their expected values. */
  want: Record<string, unknown>;
  withdraw: boolean;
}

const cli = (family: string, args: string) => {
  const a = args.split(" ");
  return {
    add: (p: number) => gobgp(p, ["global", "rib", "-a", family, "add", ...a]),
    del: (p: number) => gobgp(p, ["global", "rib", "-a", family, "del", ...a]),
  };
};

const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};

/** SR Policy distinguisher 2, color 100, endpoint 10.0.0.9 for headend 192.0.2.77. */
function srPolicyPath(): Field[] {
  const nlri = any("SRPolicyNLRI", [[1, 96], [2, 2], [3, 100], [4, Uint8Array.of(10, 0, 0, 9)]]);
  // SegmentTypeA.label is the whole 32-bit field (label, TC, S, TTL), unlike the BSID.
  const segA = (label: number) => any("SegmentTypeA", [[1, [[1, false]]], [2, label << 12]]);
  return path(
    nlri,
    [
      any("OriginAttribute", [[1, 0]]),
      any("MpReachNLRIAttribute", [[1, [[1, 1], [2, 73]]], [2, "192.0.2.2"], [3, nlri]]),
      any("ExtendedCommunitiesAttribute", [[
        1,
        any("IPv4AddressSpecificExtended", [[1, true], [2, 2], [3, "192.0.2.77"], [4, 0]]),
      ]]),
      any("TunnelEncapAttribute", [[1, [
        [1, 15],
        [2, any("TunnelEncapSubTLVSRPreference", [[1, 0], [2, 100]])],
        // The API's 4-byte SID is the label value: GoBGP puts it in the label's 20 bits.
        [2, any("TunnelEncapSubTLVSRBindingSID", [[1, any("SRBindingSID", [[3, u32(3000)]])]])],
        [
          2,
          any("TunnelEncapSubTLVSRSegmentList", [[1, [[2, 1]]], [2, segA(16002)], [
            2,
            segA(16009),
          ]]),
        ],
        [2, any("TunnelEncapSubTLVSRPriority", [[1, 10]])],
      ]]]),
    ],
    1,
    73,
  );
}

/** RTC membership of origin AS 65002 for route target 65000:100. */
function rtcPath(): Field[] {
  const rt = any("TwoOctetAsSpecificExtended", [[1, true], [2, 2], [3, 65000], [4, 100]]);
  const nlri = any("RouteTargetMembershipNLRI", [[1, 65002], [2, rt]]);
  return path(
    nlri,
    [
      any("OriginAttribute", [[1, 0]]),
      any("MpReachNLRIAttribute", [[1, [[1, 1], [2, 132]]], [2, "127.0.0.2"], [3, nlri]]),
    ],
    1,
    132,
  );
}

export function injected(): Injected[] {
  return [
    {
      view: "v_flowspec",
      key: "destination 10.0.0.0/24 protocol ==6 destination-port >=80&<=90",
      ...cli(
        "ipv4-flowspec",
        "match destination 10.0.0.0/24 protocol tcp destination-port >=80 &<=90 then rate-limit 1000",
      ),
      want: { afi: 1, safi: 133, rd: null, actions: ["traffic-rate:0:1000"] },
      withdraw: true,
    },
    {
      view: "v_flowspec",
      key:
        "source 192.0.2.0/24 icmp-type ==8 tcp-flags =S !=A packet-length <=1500 dscp ==46 fragment is-fragment",
      ...cli(
        "ipv4-flowspec",
        "match source 192.0.2.0/24 tcp-flags =S !=A fragment is-fragment packet-length <=1500 dscp ==46 icmp-type ==8 then action sample-terminal mark 10",
      ),
      want: {
        afi: 1,
        safi: 133,
        rd: null,
        actions: ["traffic-action:sample,terminal", "traffic-marking:10"],
      },
      withdraw: false,
    },
    {
      view: "v_flowspec",
      // Offset 0: with an offset GoBGP 3.10 sends the whole prefix instead of the pattern
      // of RFC 8956 §3.1 (flowSpecPrefix6.Serialize); the RFC form is tested byte by byte.
      key: "destination 2001:db8::/64 source 2001:db8:1::/48 protocol ==17",
      ...cli(
        "ipv6-flowspec",
        "match destination 2001:db8::/64 source 2001:db8:1::/48 protocol udp then discard",
      ),
      want: { afi: 2, safi: 133, rd: null, actions: ["traffic-rate:0:0"] },
      withdraw: false,
    },
    {
      view: "v_flowspec",
      key: "destination 10.1.0.0/16 source-port ==53",
      ...cli(
        "ipv4-l3vpn-flowspec",
        "rd 65000:100 match destination 10.1.0.0/16 source-port ==53 then redirect 65000:200 rt 65000:100",
      ),
      want: { afi: 1, safi: 134, rd: "0:65000:100", actions: ["redirect:65000:200"] },
      withdraw: false,
    },
    {
      view: "v_mup",
      key: "1|3|0:100:100|192.168.0.1/32",
      ...cli(
        "ipv4-mup",
        "t1st 192.168.0.1/32 rd 100:100 rt 10:10 teid 12345 qfi 9 endpoint 10.0.0.2 nexthop 10.0.0.1",
      ),
      want: {
        route_type_name: "t1st",
        rd: "0:100:100",
        prefix: "192.168.0.1/32",
        teid: 12345,
        qfi: 9,
        endpoint: "10.0.0.2",
        next_hop: "10.0.0.1",
        ext_communities: ["rt:10:10"],
      },
      withdraw: true,
    },
    {
      view: "v_mup",
      key: "1|4|0:100:100|10.0.0.3|12345",
      ...cli("ipv4-mup", "t2st 10.0.0.3 rd 100:100 rt 10:10 teid 12345 mup 10:10 nexthop 10.0.0.1"),
      want: {
        route_type_name: "t2st",
        rd: "0:100:100",
        endpoint: "10.0.0.3",
        teid: 12345,
        next_hop: "10.0.0.1",
        ext_communities: ["rt:10:10", "mup:10:10"],
      },
      withdraw: false,
    },
    {
      view: "v_mup",
      key: "1|1|0:100:100|10.2.0.0/24",
      ...cli(
        "ipv4-mup",
        "isd 10.2.0.0/24 rd 100:100 prefix 2001:db8:1::/64 locator-node-length 24 function-length 16 behavior ENDM_GTP4E rt 10:10 nexthop 2001:db8::1",
      ),
      want: {
        route_type_name: "isd",
        rd: "0:100:100",
        prefix: "10.2.0.0/24",
        next_hop: "2001:db8::1",
      },
      // GoBGP takes an IPv6 next hop of an IPv4 family for unreachable: not best, and not
      // in its post-policy view either.
      views: ["pre"],
      withdraw: false,
    },
    {
      view: "v_sr_policies",
      key: "2|100|10.0.0.9",
      add: (p) => addPath(p, srPolicyPath()),
      del: (p) => deletePath(p, srPolicyPath(), 1, 73),
      want: {
        headend: "192.0.2.77",
        distinguisher: 2,
        color: 100,
        endpoint: "10.0.0.9",
        preference: 100,
        binding_sid: "3000",
        priority: 10,
        labels: [[16002, 16009]],
        weights: [1],
      },
      withdraw: true,
    },
    {
      view: "v_rtc",
      key: "65002:rt:65000:100",
      add: (p) => addPath(p, rtcPath()),
      del: (p) => deletePath(p, rtcPath(), 1, 132),
      from: "c",
      want: { origin_as: 65002, route_target: "rt:65000:100", bits: 96 },
      withdraw: true,
    },
  ];
}
