/**
 * BGP codepoints named after their IANA registries.
 *
 * @module
 */

/** BGP message types (RFC 4271 §4.1). */
export const BgpMessageType = {
  Open: 1,
  Update: 2,
  Notification: 3,
  Keepalive: 4,
  RouteRefresh: 5,
} as const;

/** Address Family Numbers used here. */
export const Afi = { Ipv4: 1, Ipv6: 2, L2vpn: 25, BgpLs: 16388 } as const;

/** Subsequent Address Family Identifiers used here. */
export const Safi = {
  Unicast: 1,
  Multicast: 2,
  LabeledUnicast: 4,
  MulticastVpn: 5,
  Vpls: 65,
  Evpn: 70,
  BgpLs: 71,
  BgpLsVpn: 72,
  SrTePolicy: 73,
  Mup: 85,
  MplsVpn: 128,
  MulticastMplsVpn: 129,
  RouteTargetConstraint: 132,
  FlowSpec: 133,
  FlowSpecVpn: 134,
} as const;

/** BGP Path Attribute type codes (IANA "BGP Path Attributes"). */
export const AttrType = {
  Origin: 1,
  AsPath: 2,
  NextHop: 3,
  MultiExitDisc: 4,
  LocalPref: 5,
  AtomicAggregate: 6,
  Aggregator: 7,
  Communities: 8,
  OriginatorId: 9,
  ClusterList: 10,
  MpReachNlri: 14,
  MpUnreachNlri: 15,
  ExtendedCommunities: 16,
  As4Path: 17,
  As4Aggregator: 18,
  PmsiTunnel: 22,
  TunnelEncap: 23,
  BgpLs: 29,
  Ipv6ExtendedCommunities: 25,
  Aigp: 26,
  LargeCommunity: 32,
  Otc: 35,
  PrefixSid: 40,
  AttrSet: 128,
} as const;

/** Attribute flag bits (RFC 4271 §4.3). */
export const AttrFlag = { Optional: 0x80, Transitive: 0x40, Partial: 0x20, ExtendedLength: 0x10 };

/** Capability codes (IANA "Capability Codes"). */
export const CapabilityCode = {
  Multiprotocol: 1,
  RouteRefresh: 2,
  OutboundRouteFiltering: 3,
  ExtendedNextHop: 5,
  ExtendedMessage: 6,
  Role: 9,
  GracefulRestart: 64,
  FourOctetAs: 65,
  AddPath: 69,
  EnhancedRouteRefresh: 70,
  LongLivedGracefulRestart: 71,
  Fqdn: 73,
  SoftwareVersion: 75,
  CiscoRouteRefresh: 128,
} as const;

/** Capability names, for output. */
export const CAPABILITY_NAMES: Record<number, string> = {
  1: "multiprotocol",
  2: "route_refresh",
  3: "outbound_route_filtering",
  5: "extended_next_hop",
  6: "extended_message",
  9: "role",
  64: "graceful_restart",
  65: "four_octet_as",
  69: "add_path",
  70: "enhanced_route_refresh",
  71: "long_lived_graceful_restart",
  73: "fqdn",
  75: "software_version",
  128: "route_refresh_cisco",
};

/** NOTIFICATION error codes and subcodes (RFC 4271 §4.5 and IANA). */
export const NOTIFICATION_CODES: Record<
  number,
  { name: string; subcodes: Record<number, string> }
> = {
  1: {
    name: "message_header_error",
    subcodes: {
      1: "connection_not_synchronized",
      2: "bad_message_length",
      3: "bad_message_type",
    },
  },
  2: {
    name: "open_message_error",
    subcodes: {
      1: "unsupported_version_number",
      2: "bad_peer_as",
      3: "bad_bgp_identifier",
      4: "unsupported_optional_parameter",
      6: "unacceptable_hold_time",
      7: "unsupported_capability",
      8: "role_mismatch",
    },
  },
  3: {
    name: "update_message_error",
    subcodes: {
      1: "malformed_attribute_list",
      2: "unrecognized_well_known_attribute",
      3: "missing_well_known_attribute",
      4: "attribute_flags_error",
      5: "attribute_length_error",
      6: "invalid_origin_attribute",
      8: "invalid_next_hop_attribute",
      9: "optional_attribute_error",
      10: "invalid_network_field",
      11: "malformed_as_path",
    },
  },
  4: { name: "hold_timer_expired", subcodes: {} },
  5: {
    name: "fsm_error",
    subcodes: {
      1: "unexpected_message_in_opensent",
      2: "unexpected_message_in_openconfirm",
      3: "unexpected_message_in_established",
    },
  },
  6: {
    name: "cease",
    subcodes: {
      1: "maximum_number_of_prefixes_reached",
      2: "administrative_shutdown",
      3: "peer_deconfigured",
      4: "administrative_reset",
      5: "connection_rejected",
      6: "other_configuration_change",
      7: "connection_collision_resolution",
      8: "out_of_resources",
      9: "hard_reset",
      10: "bfd_down",
    },
  },
  7: {
    name: "route_refresh_message_error",
    subcodes: { 1: "invalid_message_length" },
  },
};

/** Well-known communities (IANA "BGP Well-known Communities"). */
export const WELL_KNOWN_COMMUNITIES: Record<number, string> = {
  0xffff0000: "GRACEFUL_SHUTDOWN",
  0xffff0001: "ACCEPT_OWN",
  0xffff0002: "ROUTE_FILTER_TRANSLATED_v4",
  0xffff0003: "ROUTE_FILTER_v4",
  0xffff0004: "ROUTE_FILTER_TRANSLATED_v6",
  0xffff0005: "ROUTE_FILTER_v6",
  0xffff0006: "LLGR_STALE",
  0xffff0007: "NO_LLGR",
  0xffff0008: "accept-own-nexthop",
  0xffff029a: "BLACKHOLE",
  0xffffff01: "NO_EXPORT",
  0xffffff02: "NO_ADVERTISE",
  0xffffff03: "NO_EXPORT_SUBCONFED",
  0xffffff04: "NOPEER",
};

/** ORIGIN values (RFC 4271 §5.1.1). */
export const ORIGIN_NAMES = ["igp", "egp", "incomplete"] as const;

/**
 * Family key: `<afi>_<safi>` in lower snake case for the families we name, else
 * `afi<N>_safi<M>`.
 *
 * @example
 * ```ts
 * import { familyName } from "./constants.ts";
 * if (familyName(25, 70) !== "l2vpn_evpn") throw new Error("unexpected");
 * ```
 */
export function familyName(afi: number, safi: number): string {
  const key = afi * 256 + safi;
  return FAMILY_NAMES.get(key) ?? `afi${afi}_safi${safi}`;
}

const FAMILY_NAMES = new Map<number, string>([
  [1 * 256 + 1, "ipv4_unicast"],
  [1 * 256 + 2, "ipv4_multicast"],
  [1 * 256 + 4, "ipv4_labeled_unicast"],
  [1 * 256 + 128, "ipv4_vpn"],
  [1 * 256 + 129, "ipv4_multicast_vpn"],
  [1 * 256 + 133, "ipv4_flowspec"],
  [1 * 256 + 132, "ipv4_rtc"],
  [2 * 256 + 1, "ipv6_unicast"],
  [2 * 256 + 2, "ipv6_multicast"],
  [2 * 256 + 4, "ipv6_labeled_unicast"],
  [2 * 256 + 128, "ipv6_vpn"],
  [2 * 256 + 129, "ipv6_multicast_vpn"],
  [2 * 256 + 133, "ipv6_flowspec"],
  [1 * 256 + 134, "ipv4_flowspec_vpn"],
  [2 * 256 + 134, "ipv6_flowspec_vpn"],
  [1 * 256 + 73, "ipv4_sr_policy"],
  [2 * 256 + 73, "ipv6_sr_policy"],
  [1 * 256 + 85, "ipv4_mup"],
  [2 * 256 + 85, "ipv6_mup"],
  [25 * 256 + 70, "l2vpn_evpn"],
  [25 * 256 + 65, "l2vpn_vpls"],
  [16388 * 256 + 71, "bgp_ls"],
  [16388 * 256 + 72, "bgp_ls_vpn"],
]);

/** A numeric key for an AFI/SAFI pair, for maps and sets. */
export function familyKey(afi: number, safi: number): number {
  return afi * 256 + safi;
}
