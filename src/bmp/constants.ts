/**
 * BMP codepoints, named after the IANA "BGP Monitoring Protocol (BMP) Parameters"
 * registries (RFC 7854, RFC 8671, RFC 9069 and later updates).
 *
 * @module
 */

/** BMP Message Types (RFC 7854 §4.1). */
export const BmpMessageType = {
  RouteMonitoring: 0,
  StatisticsReport: 1,
  PeerDown: 2,
  PeerUp: 3,
  Initiation: 4,
  Termination: 5,
  RouteMirroring: 6,
} as const;

/** snake_case names used in JSON output and summaries, indexed by message type. */
export const BMP_MESSAGE_NAMES = [
  "route_monitoring",
  "statistics_report",
  "peer_down",
  "peer_up",
  "initiation",
  "termination",
  "route_mirroring",
] as const;

/** Name of a BMP message type. */
export type BmpMessageName = typeof BMP_MESSAGE_NAMES[number];

/** BMP Peer Types (RFC 7854 §4.2, RFC 9069 §4.1). */
export const PeerType = {
  GlobalInstance: 0,
  RdInstance: 1,
  LocalInstance: 2,
  LocRibInstance: 3,
} as const;

/** Names of the peer types. */
export const PEER_TYPE_NAMES: Record<number, string> = {
  0: "global",
  1: "rd-instance",
  2: "local-instance",
  3: "loc-rib",
};

/** BMP Peer Flags (RFC 7854 §4.2, RFC 8671 §4, RFC 9069 §4.2), bits of the flags octet. */
export const PeerFlag = {
  /** V: peer address is IPv6. */
  V: 0x80,
  /** L: post-policy Adj-RIB. */
  L: 0x40,
  /** A: legacy 2-byte AS_PATH. */
  A: 0x20,
  /** O: Adj-RIB-Out (RFC 8671). */
  O: 0x10,
  /** F: Loc-RIB filtered (RFC 9069; for peer type 3 this is the top bit). */
  F: 0x80,
} as const;

/** BMP Statistics Types (RFC 7854 §4.8 and the IANA registry). */
export const STAT_TYPES: Record<number, { name: string; kind: "counter" | "gauge" | "afi-gauge" }> =
  {
    0: { name: "rejected_prefixes", kind: "counter" },
    1: { name: "duplicate_prefix_advertisements", kind: "counter" },
    2: { name: "duplicate_withdraws", kind: "counter" },
    3: { name: "invalidated_cluster_list_loop", kind: "counter" },
    4: { name: "invalidated_as_path_loop", kind: "counter" },
    5: { name: "invalidated_originator_id", kind: "counter" },
    6: { name: "invalidated_as_confed_loop", kind: "counter" },
    7: { name: "adj_rib_in_routes", kind: "gauge" },
    8: { name: "loc_rib_routes", kind: "gauge" },
    9: { name: "adj_rib_in_routes_per_afi_safi", kind: "afi-gauge" },
    10: { name: "loc_rib_routes_per_afi_safi", kind: "afi-gauge" },
    11: { name: "updates_treated_as_withdraw", kind: "counter" },
    12: { name: "prefixes_treated_as_withdraw", kind: "counter" },
    13: { name: "duplicate_update_messages", kind: "counter" },
    14: { name: "adj_rib_out_pre_policy_routes", kind: "gauge" },
    15: { name: "adj_rib_out_post_policy_routes", kind: "gauge" },
    16: { name: "adj_rib_out_pre_policy_routes_per_afi_safi", kind: "afi-gauge" },
    17: { name: "adj_rib_out_post_policy_routes_per_afi_safi", kind: "afi-gauge" },
    18: { name: "routes_in_per_afi_safi_rejected_by_inbound_policy", kind: "afi-gauge" },
    19: { name: "routes_in_per_afi_safi_accepted_by_inbound_policy", kind: "afi-gauge" },
    20: { name: "routes_in_per_afi_safi_suppressed_by_dampening", kind: "afi-gauge" },
    21: { name: "routes_in_per_afi_safi_marked_stale_by_graceful_restart", kind: "afi-gauge" },
    22: { name: "routes_in_per_afi_safi_marked_stale_by_llgr", kind: "afi-gauge" },
    23: { name: "routes_per_afi_safi_left_until_prefix_threshold", kind: "afi-gauge" },
    24: { name: "routes_per_afi_safi_invalidated_by_as_path_length", kind: "afi-gauge" },
    25: { name: "routes_per_afi_safi_invalidated_by_aigp", kind: "afi-gauge" },
    26: { name: "routes_per_afi_safi_invalidated_by_rpki_origin", kind: "afi-gauge" },
    27: { name: "routes_per_afi_safi_invalidated_by_aspa", kind: "afi-gauge" },
    28: { name: "routes_per_afi_safi_invalidated_by_bgpsec", kind: "afi-gauge" },
    29: { name: "routes_in_post_policy_per_afi_safi_invalid_rpki", kind: "afi-gauge" },
    30: { name: "routes_in_post_policy_per_afi_safi_not_found_rpki", kind: "afi-gauge" },
    31: { name: "routes_in_post_policy_per_afi_safi_valid_rpki", kind: "afi-gauge" },
    32: { name: "routes_in_post_policy_per_afi_safi_invalid_aspa", kind: "afi-gauge" },
    33: { name: "routes_in_post_policy_per_afi_safi_unknown_aspa", kind: "afi-gauge" },
    34: { name: "routes_in_post_policy_per_afi_safi_valid_aspa", kind: "afi-gauge" },
    35: { name: "routes_in_pre_policy_per_afi_safi_rejected_by_bgpsec", kind: "afi-gauge" },
  };

/** Peer Down Reason Codes (RFC 7854 §4.9, RFC 9069 §5.4). */
export const PEER_DOWN_REASONS: Record<number, string> = {
  1: "local_notification",
  2: "local_no_notification",
  3: "remote_notification",
  4: "remote_no_notification",
  5: "peer_deconfigured",
  6: "local_system_closed_tlv",
};

/** Initiation / Peer Up Information TLV types (RFC 7854 §4.3, §4.4, RFC 9069). */
export const INFO_TLV_NAMES: Record<number, string> = {
  0: "string",
  1: "sys_descr",
  2: "sys_name",
  3: "vrf_table_name",
  4: "admin_label",
};

/** Termination Message TLV types (RFC 7854 §4.5). */
export const TERMINATION_TLV_NAMES: Record<number, string> = { 0: "string", 1: "reason" };

/** Termination reasons (RFC 7854 §4.5). */
export const TERMINATION_REASONS: Record<number, string> = {
  0: "administratively_closed",
  1: "unspecified",
  2: "out_of_resources",
  3: "redundant_connection",
  4: "permanently_administratively_closed",
};

/** Route Mirroring TLV types and information codes (RFC 7854 §4.7). */
export const ROUTE_MIRRORING_TLV_NAMES: Record<number, string> = {
  0: "bgp_message",
  1: "information",
};

/** Route Mirroring information codes (RFC 7854 §4.7). */
export const ROUTE_MIRRORING_INFO_CODES: Record<number, string> = {
  0: "errored_pdu",
  1: "messages_lost",
};

/**
 * BMPv4 Route Monitoring TLV types as routers send them today
 * (draft-ietf-grow-bmp-tlv, before IANA assignment; NetGauze-generated captures).
 */
export const BmpV4TlvType = {
  StatelessParsing: 1,
  Group: 2,
  VrfTableName: 3,
  BgpPdu: 4,
  PathMarking: 5,
} as const;

/** Path status bits of the path marking TLV (draft-ietf-grow-bmp-path-marking-tlv). */
export const PATH_STATUS_NAMES: [number, string][] = [
  [0x01, "invalid"],
  [0x02, "best"],
  [0x04, "non_selected"],
  [0x08, "primary"],
  [0x10, "backup"],
  [0x20, "non_installed"],
  [0x40, "best_external"],
  [0x80, "add_path"],
];
