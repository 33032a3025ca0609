/**
 * MRT codepoints (RFC 6396 §4, RFC 8050 §4, IANA "Multi-Threaded Routing Toolkit (MRT)").
 *
 * @module
 */

/** MRT Types. */
export const MrtType = {
  TableDump: 12,
  TableDumpV2: 13,
  Bgp4mp: 16,
  Bgp4mpEt: 17,
} as const;

/** TABLE_DUMP_V2 Subtypes (RFC 6396 §4.3, RFC 8050 §4). */
export const TableDumpV2Subtype = {
  PeerIndexTable: 1,
  RibIpv4Unicast: 2,
  RibIpv4Multicast: 3,
  RibIpv6Unicast: 4,
  RibIpv6Multicast: 5,
  RibGeneric: 6,
  RibIpv4UnicastAddpath: 8,
  RibIpv4MulticastAddpath: 9,
  RibIpv6UnicastAddpath: 10,
  RibIpv6MulticastAddpath: 11,
  RibGenericAddpath: 12,
} as const;

/** BGP4MP and BGP4MP_ET Subtypes (RFC 6396 §4.4, RFC 8050 §3). */
export const Bgp4mpSubtype = {
  StateChange: 0,
  Message: 1,
  MessageAs4: 4,
  StateChangeAs4: 5,
  MessageLocal: 6,
  MessageAs4Local: 7,
  MessageAddpath: 8,
  MessageAs4Addpath: 9,
  MessageLocalAddpath: 10,
  MessageAs4LocalAddpath: 11,
} as const;

/** BGP FSM states as numbered in BGP4MP STATE_CHANGE (RFC 6396 §4.4.1). */
export const BGP_STATE_NAMES: Record<number, string> = {
  1: "Idle",
  2: "Connect",
  3: "Active",
  4: "OpenSent",
  5: "OpenConfirm",
  6: "Established",
};
