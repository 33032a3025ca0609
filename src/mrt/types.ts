/**
 * The decoded forms of MRT records (RFC 6396, RFC 8050) that `readMrt()` yields.
 *
 * @module
 */

import type { BgpMessage } from "../bgp/message.ts";
import type { Nlri } from "../bgp/nlri/types.ts";
import type { PathAttributes, UpdateProblem } from "../bgp/update_types.ts";

/** The MRT common header (RFC 6396 §2), with the BGP4MP_ET microseconds (§3). */
export interface MrtHeader {
  /** Offset of the header in the file. */
  offset: number;
  /** Seconds since the Unix epoch. */
  timestamp: number;
  /** Microseconds, for the `_ET` types only. */
  microseconds?: number;
  type: number;
  subtype: number;
  /** The Length field: bytes after the 12-byte header (for `_ET`, including the
   * 4-byte microsecond field). */
  length: number;
}

/** One peer of a PEER_INDEX_TABLE (RFC 6396 §4.3.1). */
export interface MrtPeer {
  bgpId: string;
  address: string;
  asn: number;
  /** 1 when `address` is IPv4, 2 when IPv6. */
  afi: number;
}

/** TABLE_DUMP_V2 PEER_INDEX_TABLE (RFC 6396 §4.3.1). */
export interface PeerIndexTable {
  kind: "peer_index_table";
  collectorId: string;
  viewName: string;
  peers: MrtPeer[];
}

/** Path attributes of a RIB entry, decoded by the BGP UPDATE decoder. */
export interface MrtAttributes {
  attributes: PathAttributes;
  /** RFC 7606 faults found in them (decoding went on). */
  problems: UpdateProblem[];
}

/** One RIB Entry (RFC 6396 §4.3.4; RFC 8050 §4 adds the Path Identifier). */
export interface RibEntry extends MrtAttributes {
  peerIndex: number;
  /** The peer from the last PEER_INDEX_TABLE; absent when the index is not in it. */
  peer?: MrtPeer;
  originatedTime: number;
  pathId?: number;
  /** Where the entry's attribute list is in the file, and its length (for re-encoding). */
  attrOffset: number;
  attrLength: number;
}

/** RIB_IPV4/IPV6_UNICAST/MULTICAST, RIB_GENERIC and their ADDPATH forms (§4.3.2-3). */
export interface RibRecord {
  kind: "rib";
  afi: number;
  safi: number;
  sequence: number;
  /** The prefix (for RIB_GENERIC, the one NLRI). */
  nlri: Nlri;
  addPath: boolean;
  entries: RibEntry[];
}

/** Legacy TABLE_DUMP (RFC 6396 §4.2): one route per record. */
export interface TableDumpRecord extends MrtAttributes {
  kind: "table_dump";
  afi: number;
  viewNumber: number;
  sequence: number;
  prefix: string;
  status: number;
  originatedTime: number;
  peerAddress: string;
  peerAs: number;
  /** Where the attribute list is in the file, and its length. */
  attrOffset: number;
  attrLength: number;
}

/** Fields common to BGP4MP records (RFC 6396 §4.4). */
export interface Bgp4mpPeering {
  peerAs: number;
  localAs: number;
  ifIndex: number;
  afi: number;
  peerAddress: string;
  localAddress: string;
}

/** BGP4MP STATE_CHANGE and STATE_CHANGE_AS4 (§4.4.1, §4.4.4). */
export interface Bgp4mpStateChange extends Bgp4mpPeering {
  kind: "state_change";
  oldState: number;
  newState: number;
}

/** BGP4MP MESSAGE, MESSAGE_AS4, their _LOCAL (§4.4.2-6) and _ADDPATH (RFC 8050) forms. */
export interface Bgp4mpMessage extends Bgp4mpPeering {
  kind: "message";
  /** 4-byte ASNs in the peering fields and the UPDATE's AS_PATH. */
  asn4: boolean;
  /** Sent by the local speaker (the _LOCAL subtypes). */
  local: boolean;
  addPath: boolean;
  message: BgpMessage;
  /** Where the BGP message (with its header) is in the file, and its length. */
  messageOffset: number;
  messageLength: number;
}

/** A record of a type or subtype not decoded here (kept by length only). */
export interface UnknownRecord {
  kind: "unknown";
}

/** The body of a decoded MRT record. */
export type MrtBody =
  | PeerIndexTable
  | RibRecord
  | TableDumpRecord
  | Bgp4mpStateChange
  | Bgp4mpMessage
  | UnknownRecord;

/** A decoded MRT record. */
export interface MrtRecord {
  header: MrtHeader;
  body: MrtBody;
}
