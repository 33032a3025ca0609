/**
 * BGP-LS Attribute (path attribute type 29), RFC 9552 §5.3: node, link and prefix
 * attribute TLVs, with the Segment Routing TLVs of RFC 9085 and RFC 9514
 * (`bgp_ls_sr.ts`).
 *
 * ```text
 * TLV: Type (2) | Length (2) | Value
 * Node:   263 MT-ID  1024 Node Flag Bits (1)  1025 Opaque Node Attribute  1026 Node Name
 *         1027 IS-IS Area Identifier  1028/1029 IPv4/IPv6 Router-ID of Local Node
 *         1030/1031 IPv4/IPv6 Router-ID of Remote Node
 * Link:   1088 Administrative Group (4)  1089 Maximum Link Bandwidth (4, IEEE float,
 *         bytes/s)  1090 Maximum Reservable Bandwidth (4)  1091 Unreserved Bandwidth
 *         (8 x 4)  1092 TE Default Metric (4)  1093 Link Protection Type (2)
 *         1094 MPLS Protocol Mask (1)  1095 IGP Metric (1-3)  1096 SRLG (n x 4)
 *         1097 Opaque Link Attribute  1098 Link Name
 * Prefix: 1152 IGP Flags (1)  1153 IGP Route Tag (n x 4)  1154 IGP Extended Route Tag
 *         (n x 8)  1155 Prefix Metric (4)  1156 OSPF Forwarding Address (4|16)
 *         1157 Opaque Prefix Attribute  1170 Prefix Attribute Flags  1171 Source Router ID
 * ```
 *
 * Unknown TLVs are kept as type and hex. A malformed attribute is discarded (RFC 9552
 * §8.2.2): the decoder throws and the UPDATE decoder records an `attribute-discard`.
 *
 * @module
 */

import { DecodeError } from "../../wire/errors.ts";
import { hex, ipAddress, ipv4, ipv6 } from "../../wire/ip.ts";
import type { WireReader } from "../../wire/reader.ts";
import {
  forEachTlv,
  multiTopologyIds,
  type RawTlv,
  rawTlv,
  tlvLength,
} from "../nlri/bgp_ls_descriptors.ts";
import {
  type AdjacencySid,
  type BgpLsPrefixSid,
  BgpLsSrTlv as S,
  decodeAdjacencySid,
  decodeBgpLsPrefixSid,
  decodeSrRanges,
  decodeSrv6BgpPeerNodeSid,
  decodeSrv6EndpointBehavior,
  decodeSrv6EndXSid,
  decodeSrv6Locator,
  decodeSrv6SidStructure,
  type SrRanges,
  type Srv6BgpPeerNodeSid,
  type Srv6EndpointBehavior,
  type Srv6EndXSid,
  type Srv6Locator,
  type Srv6SidStructure,
} from "./bgp_ls_sr.ts";

/** Node, link and prefix attribute TLV code points (IANA "BGP-LS NLRI and Attribute
 * TLVs"). */
export const BgpLsAttrTlv = {
  MultiTopologyId: 263,
  NodeFlagBits: 1024,
  OpaqueNodeAttribute: 1025,
  NodeName: 1026,
  IsisAreaIdentifier: 1027,
  Ipv4RouterIdLocal: 1028,
  Ipv6RouterIdLocal: 1029,
  Ipv4RouterIdRemote: 1030,
  Ipv6RouterIdRemote: 1031,
  AdministrativeGroup: 1088,
  MaximumLinkBandwidth: 1089,
  MaxReservableBandwidth: 1090,
  UnreservedBandwidth: 1091,
  TeDefaultMetric: 1092,
  LinkProtectionType: 1093,
  MplsProtocolMask: 1094,
  IgpMetric: 1095,
  SharedRiskLinkGroup: 1096,
  OpaqueLinkAttribute: 1097,
  LinkName: 1098,
  IgpFlags: 1152,
  IgpRouteTag: 1153,
  IgpExtendedRouteTag: 1154,
  PrefixMetric: 1155,
  OspfForwardingAddress: 1156,
  OpaquePrefixAttribute: 1157,
  PrefixAttributeFlags: 1170,
  SourceRouterIdentifier: 1171,
} as const;

const A = BgpLsAttrTlv;

/** The decoded BGP-LS attribute. Bandwidths are IEEE floats in bytes per second. */
export interface BgpLsAttribute {
  // Node attributes.
  mtId?: number[];
  nodeFlags?: number;
  opaqueNode?: string;
  nodeName?: string;
  /** IS-IS area addresses, hex. */
  isisAreaIds?: string[];
  localRouterIdV4?: string;
  localRouterIdV6?: string;
  remoteRouterIdV4?: string;
  remoteRouterIdV6?: string;
  srCapabilities?: SrRanges;
  srAlgorithms?: number[];
  srLocalBlock?: SrRanges;
  srv6CapabilitiesFlags?: number;
  // Link attributes.
  adminGroup?: number;
  maxLinkBandwidth?: number;
  maxReservableBandwidth?: number;
  /** Priorities 0 to 7. */
  unreservedBandwidth?: number[];
  teDefaultMetric?: number;
  linkProtectionType?: number;
  mplsProtocolMask?: number;
  igpMetric?: number;
  srlg?: number[];
  opaqueLink?: string;
  linkName?: string;
  adjacencySids?: AdjacencySid[];
  lanAdjacencySids?: AdjacencySid[];
  srv6EndXSids?: Srv6EndXSid[];
  srv6BgpPeerNodeSids?: Srv6BgpPeerNodeSid[];
  // Prefix attributes.
  igpFlags?: number;
  routeTags?: number[];
  /** 64-bit tags as decimal text. */
  extendedRouteTags?: string[];
  prefixMetric?: number;
  ospfForwardingAddress?: string;
  opaquePrefix?: string;
  prefixSids?: BgpLsPrefixSid[];
  prefixAttrFlags?: string;
  sourceRouterId?: string;
  srv6Locator?: Srv6Locator;
  // SRv6 SID attributes.
  srv6EndpointBehavior?: Srv6EndpointBehavior;
  srv6SidStructure?: Srv6SidStructure;
  /** TLVs without a decoder here. */
  unknown?: RawTlv[];
}

const utf8 = new TextDecoder();

function multipleOf(type: number, len: number, unit: number, at: number): void {
  if (len === 0 || len % unit !== 0) {
    throw new DecodeError("bad-length", at, `Cannot decode BGP-LS TLV ${type}: length ${len}`);
  }
}

function float(r: WireReader): number {
  r.need(4);
  const v = r.view.getFloat32(r.pos);
  r.pos += 4;
  return v;
}

function address(r: WireReader, type: number, len: number, want: number, at: number): string {
  tlvLength(type, len, want, at);
  return want === 4 ? ipv4(r.bytes, r.pos) : ipv6(r.bytes, r.pos);
}

/**
 * Decodes the BGP-LS attribute from `r.pos` to `r.end`.
 *
 * @throws {DecodeError} for a TLV crossing the attribute or a TLV of the wrong length
 *
 * @example
 * ```ts
 * import { decodeBgpLsAttribute } from "./bgp_ls_attr.ts";
 * import { WireReader } from "../../wire/reader.ts";
 * // Node Name (1026), 2 bytes: "r1".
 * const a = decodeBgpLsAttribute(new WireReader(new Uint8Array([4, 2, 0, 2, 0x72, 0x31])));
 * if (a.nodeName !== "r1") throw new Error("unexpected");
 * ```
 */
export function decodeBgpLsAttribute(r: WireReader): BgpLsAttribute {
  const a: BgpLsAttribute = {};
  forEachTlv(r, (type, len, at) => {
    switch (type) {
      case A.MultiTopologyId:
        a.mtId = multiTopologyIds(r, len, at);
        return;
      case A.NodeFlagBits:
        tlvLength(type, len, 1, at);
        a.nodeFlags = r.u8();
        return;
      case A.OpaqueNodeAttribute:
        a.opaqueNode = hex(r.rest());
        return;
      case A.NodeName:
        a.nodeName = utf8.decode(r.rest());
        return;
      case A.IsisAreaIdentifier:
        (a.isisAreaIds ??= []).push(hex(r.rest()));
        return;
      case A.Ipv4RouterIdLocal:
        a.localRouterIdV4 = address(r, type, len, 4, at);
        return;
      case A.Ipv6RouterIdLocal:
        a.localRouterIdV6 = address(r, type, len, 16, at);
        return;
      case A.Ipv4RouterIdRemote:
        a.remoteRouterIdV4 = address(r, type, len, 4, at);
        return;
      case A.Ipv6RouterIdRemote:
        a.remoteRouterIdV6 = address(r, type, len, 16, at);
        return;
      case S.SrCapabilities:
        a.srCapabilities = decodeSrRanges(r);
        return;
      case S.SrAlgorithm:
        a.srAlgorithms = Array.from(r.rest());
        return;
      case S.SrLocalBlock:
        a.srLocalBlock = decodeSrRanges(r);
        return;
      case S.Srv6Capabilities:
        a.srv6CapabilitiesFlags = r.u16();
        r.skip(2);
        return;
      case A.AdministrativeGroup:
        tlvLength(type, len, 4, at);
        a.adminGroup = r.u32();
        return;
      case A.MaximumLinkBandwidth:
        tlvLength(type, len, 4, at);
        a.maxLinkBandwidth = float(r);
        return;
      case A.MaxReservableBandwidth:
        tlvLength(type, len, 4, at);
        a.maxReservableBandwidth = float(r);
        return;
      case A.UnreservedBandwidth:
        tlvLength(type, len, 32, at);
        a.unreservedBandwidth = Array.from({ length: 8 }, () => float(r));
        return;
      case A.TeDefaultMetric:
        // RFC 9552 §5.3.2: 4 bytes; some implementations of RFC 7752 sent 3.
        if (len !== 3 && len !== 4) tlvLength(type, len, 4, at);
        a.teDefaultMetric = len === 4 ? r.u32() : (r.u8() << 16) | r.u16();
        return;
      case A.LinkProtectionType:
        tlvLength(type, len, 2, at);
        a.linkProtectionType = r.u16();
        return;
      case A.MplsProtocolMask:
        tlvLength(type, len, 1, at);
        a.mplsProtocolMask = r.u8();
        return;
      case A.IgpMetric:
        // 1 byte IS-IS narrow (6 bits), 2 OSPF, 3 IS-IS wide (RFC 9552 §5.3.2.4).
        if (len === 1) a.igpMetric = r.u8() & 0x3f;
        else if (len === 2) a.igpMetric = r.u16();
        else if (len === 3) a.igpMetric = (r.u8() << 16) | r.u16();
        else tlvLength(type, len, 3, at);
        return;
      case A.SharedRiskLinkGroup:
        multipleOf(type, len, 4, at);
        a.srlg = [];
        while (r.pos < r.end) a.srlg.push(r.u32());
        return;
      case A.OpaqueLinkAttribute:
        a.opaqueLink = hex(r.rest());
        return;
      case A.LinkName:
        a.linkName = utf8.decode(r.rest());
        return;
      case S.AdjacencySid:
        (a.adjacencySids ??= []).push(decodeAdjacencySid(r, len, at, false));
        return;
      case S.LanAdjacencySid:
        (a.lanAdjacencySids ??= []).push(decodeAdjacencySid(r, len, at, true));
        return;
      case S.Srv6EndXSid:
      case S.IsisSrv6LanEndXSid:
      case S.Ospfv3Srv6LanEndXSid: {
        const n = type === S.Srv6EndXSid ? 0 : type === S.IsisSrv6LanEndXSid ? 6 : 4;
        (a.srv6EndXSids ??= []).push(decodeSrv6EndXSid(r, n));
        return;
      }
      case S.Srv6BgpPeerNodeSid:
        (a.srv6BgpPeerNodeSids ??= []).push(decodeSrv6BgpPeerNodeSid(r, len, at));
        return;
      case A.IgpFlags:
        tlvLength(type, len, 1, at);
        a.igpFlags = r.u8();
        return;
      case A.IgpRouteTag:
        multipleOf(type, len, 4, at);
        a.routeTags = [];
        while (r.pos < r.end) a.routeTags.push(r.u32());
        return;
      case A.IgpExtendedRouteTag:
        multipleOf(type, len, 8, at);
        a.extendedRouteTags = [];
        while (r.pos < r.end) a.extendedRouteTags.push(String(r.u64()));
        return;
      case A.PrefixMetric:
        tlvLength(type, len, 4, at);
        a.prefixMetric = r.u32();
        return;
      case A.OspfForwardingAddress:
        if (len !== 4) tlvLength(type, len, 16, at);
        a.ospfForwardingAddress = ipAddress(r.bytes, r.pos, len);
        return;
      case A.OpaquePrefixAttribute:
        a.opaquePrefix = hex(r.rest());
        return;
      case S.PrefixSid:
        (a.prefixSids ??= []).push(decodeBgpLsPrefixSid(r, len, at));
        return;
      case A.PrefixAttributeFlags:
        a.prefixAttrFlags = hex(r.rest());
        return;
      case A.SourceRouterIdentifier:
        if (len !== 4) tlvLength(type, len, 16, at);
        a.sourceRouterId = ipAddress(r.bytes, r.pos, len);
        return;
      case S.Srv6Locator:
        a.srv6Locator = decodeSrv6Locator(r);
        return;
      case S.Srv6EndpointBehavior:
        a.srv6EndpointBehavior = decodeSrv6EndpointBehavior(r, len, at);
        return;
      case S.Srv6SidStructure:
        a.srv6SidStructure = decodeSrv6SidStructure(r, len, at);
        return;
    }
    (a.unknown ??= []).push(rawTlv(r, type));
  });
  return a;
}
