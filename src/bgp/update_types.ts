/**
 * The decoded form of a BGP UPDATE (RFC 4271 §4.3) and its RFC 7606 problems: the types
 * `decodeUpdate()` in `./update.ts` returns and takes.
 *
 * @module
 */

import type { AsPathSegment } from "./attributes/as_path.ts";
import type { LargeCommunity } from "./attributes/communities.ts";
import type { MpReachNlri, MpUnreachNlri } from "./attributes/mp_reach.ts";
import type { BgpLsAttribute } from "./attributes/bgp_ls_attr.ts";
import type { PrefixSid } from "./attributes/prefix_sid.ts";
import type { TunnelEncap } from "./attributes/tunnel_encap.ts";
import type { Nlri } from "./nlri/types.ts";

/** An attribute we keep as it came: type, flags and value bytes (hex). */
export interface RawAttribute {
  type: number;
  flags: number;
  value: string;
}

/** AGGREGATOR / AS4_AGGREGATOR. */
export interface Aggregator {
  asn: number;
  address: string;
}

/** PMSI_TUNNEL (RFC 6514 §5). */
export interface PmsiTunnel {
  flags: number;
  tunnelType: number;
  label: number;
  tunnelId: string;
}

/** Path attributes of one UPDATE. Absent attributes are `undefined`. */
export interface PathAttributes {
  /** 0 IGP, 1 EGP, 2 INCOMPLETE. */
  origin?: number;
  /** AS_PATH, merged with AS4_PATH per RFC 6793 on 2-byte sessions. */
  asPath?: AsPathSegment[];
  nextHop?: string;
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: Aggregator;
  /** RFC 1997 communities as 32-bit numbers. */
  communities?: number[];
  originatorId?: string;
  clusterList?: string[];
  mpReach?: MpReachNlri;
  mpUnreach?: MpUnreachNlri;
  /** Extended communities in text form (see `extendedCommunityText`). */
  extendedCommunities?: string[];
  /** AS4_PATH as received (already merged into `asPath` when it applied). */
  as4Path?: AsPathSegment[];
  as4Aggregator?: Aggregator;
  pmsiTunnel?: PmsiTunnel;
  aigp?: number | bigint;
  largeCommunities?: LargeCommunity[];
  /** Only to Customer (RFC 9234). */
  otc?: number;
  /** BGP Prefix-SID (RFC 8669, RFC 9252). */
  prefixSid?: PrefixSid;
  /** TUNNEL_ENCAPSULATION (RFC 9012), SR Policy sub-TLVs decoded (RFC 9830 §2.4). */
  tunnelEncap?: TunnelEncap;
  /** BGP-LS Attribute (type 29, RFC 9552 §5.3, RFC 9085, RFC 9514). */
  bgpLs?: BgpLsAttribute;
  /** Attributes without a decoder here, or malformed ones that were discarded. */
  unknown?: RawAttribute[];
}

/** RFC 7606 actions, weakest first. `recovered` marks a sender quirk the decoder worked
 * around (see `src/bmp/quirk_recovery.ts`): the routes stand. */
export type Rfc7606Action =
  | "recovered"
  | "attribute-discard"
  | "treat-as-withdraw"
  | "session-reset";

/** What a `recovered` problem worked around: path IDs against the negotiated Add-Path,
 * or ASNs of the other size in AS_PATH or AGGREGATOR. */
export type RecoveryCause = "add-path" | "as-path-size" | "aggregator-size";

/** A recoverable fault inside an UPDATE. */
export interface UpdateProblem {
  action: Rfc7606Action;
  /** Attribute type code, when the fault is in one attribute. */
  attribute?: number;
  /** Byte offset in the buffer. */
  offset: number;
  reason: string;
  /** For `recovered`: the quirk. */
  cause?: RecoveryCause;
  /** The family, for a fault in MP_REACH_NLRI/MP_UNREACH_NLRI or an NLRI field. */
  afi?: number;
  safi?: number;
}

/** A decoded BGP UPDATE. */
export interface BgpUpdate {
  /** IPv4 unicast withdrawals from the Withdrawn Routes field. */
  withdrawn: Nlri[];
  /** IPv4 unicast announcements from the NLRI field. */
  nlri: Nlri[];
  attributes: PathAttributes;
  /** Set for an End-of-RIB marker (RFC 4724 §2): the family it ends. */
  endOfRib?: { afi: number; safi: number };
  /** Recoverable faults; routes of a `treat-as-withdraw` update count as withdrawn. */
  problems: UpdateProblem[];
  /** True when a problem requires treat-as-withdraw (or stronger) for the announced routes. */
  treatAsWithdraw?: boolean;
}

/** What decoding an UPDATE needs to know about its session. */
export interface UpdateContext {
  /** 4-byte ASNs in AS_PATH/AGGREGATOR (BMP per-peer A flag clear). */
  asn4: boolean;
  /** Whether NLRI of a family carry Add-Path IDs; `undefined` when unknown (guessed). */
  addPath: (afi: number, safi: number) => boolean | undefined;
  /** ASN size of AS_PATH when it differs from `asn4` (a sender quirk being recovered). */
  asPathAsn4?: boolean;
  /** ASN size of AGGREGATOR when it differs from `asn4` (a sender quirk being recovered). */
  aggregatorAsn4?: boolean;
}
