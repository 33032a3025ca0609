/**
 * The route types every NLRI decoder produces.
 *
 * @module
 */

import type { BgpLsNlri } from "./bgp_ls.ts";
import type { FlowspecRule } from "./flowspec.ts";
import type { MupRoute } from "./mup.ts";
import type { RtcMembership } from "./rtc.ts";
import type { SrPolicyNlri } from "./sr_policy.ts";

/** An EVPN route (RFC 7432 §7, RFC 9136 for type 5). Absent fields are not carried by the
 * route type. */
export interface EvpnRoute {
  /** 1 Ethernet A-D, 2 MAC/IP advertisement, 3 inclusive multicast, 4 Ethernet segment,
   * 5 IP prefix; others are kept raw in `raw`. */
  routeType: number;
  rd?: string;
  /** Ethernet Segment Identifier, 10 bytes as colon-separated hex. */
  esi?: string;
  ethernetTag?: number;
  /** MAC address (type 2), `aa:bb:cc:dd:ee:ff`. */
  mac?: string;
  /** IP address (type 2 host address; type 3/4 originating router). */
  ip?: string;
  /** IP prefix (type 5), CIDR text. */
  prefix?: string;
  /** Gateway IP (type 5). */
  gateway?: string;
  /** MPLS labels / VNIs (20-bit label values). */
  labels?: number[];
  /** Hex of the route body for route types we do not decode. */
  raw?: string;
}

/** One NLRI entry: a route announced or withdrawn. */
export interface Nlri {
  /** CIDR text for IP families; for EVPN the type 5 prefix, the type 2 host address as a
   * /32 or /128, else "". */
  prefix: string;
  /** Add-Path path identifier (RFC 7911), when the session carries them. */
  pathId?: number;
  /** Route Distinguisher (VPN and EVPN families). */
  rd?: string;
  /** MPLS label values (labeled unicast, VPN). */
  labels?: number[];
  /** EVPN fields (AFI 25/SAFI 70). */
  evpn?: EvpnRoute;
  /** The route's identity within its family and RD when no prefix gives it: Flowspec,
   * RTC, SR Policy, MUP and BGP-LS (the decoders' text forms; EVPN has `evpnRouteKey()`). */
  key?: string;
  /** Flow specification (SAFI 133/134). */
  flowspec?: FlowspecRule;
  /** Route Target membership (SAFI 132). */
  rtc?: RtcMembership;
  /** SR Policy candidate path key (SAFI 73). */
  srPolicy?: SrPolicyNlri;
  /** Mobile User Plane route (SAFI 85). */
  mup?: MupRoute;
  /** BGP-LS NLRI (AFI 16388, SAFI 71 and 72). */
  bgpLs?: BgpLsNlri;
}
