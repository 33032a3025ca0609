/**
 * BGP-LS node, link and prefix descriptor TLVs (RFC 9552 §5.2.1-§5.2.3, RFC 9086 §4 for
 * the BGP router ID and member ASN, RFC 9514 §6 for the SRv6 SID information).
 *
 * ```text
 * TLV:                   Type (2) | Length (2) | Value
 * Node Descriptors:      256 Local / 257 Remote, Value = sub-TLVs
 *   512 Autonomous System (4)   513 BGP-LS Identifier (4)   514 OSPF Area-ID (4)
 *   515 IGP Router-ID (4 OSPF, 6 IS-IS system ID, 7 IS-IS pseudonode, 8 OSPF DR: router
 *       ID + interface address)  516 BGP Router-ID (4)  517 Member-ASN (4)
 * Link Descriptors:      258 Link Local/Remote Identifiers (4 + 4)
 *   259 IPv4 interface address (4)  260 IPv4 neighbor address (4)
 *   261 IPv6 interface address (16) 262 IPv6 neighbor address (16)  263 Multi-Topology ID
 * Prefix Descriptors:    263 Multi-Topology ID (2)  264 OSPF Route Type (1)
 *   265 IP Reachability Information: Prefix Length (1) | Prefix (var)
 * SRv6 SID Descriptors:  518 SRv6 SID Information (16)  263 Multi-Topology ID (2)
 * ```
 *
 * Descriptors without a decoder here are kept as type and hex.
 *
 * @module
 */

import { DecodeError } from "../../wire/errors.ts";
import { hex, ipv4, ipv6, prefixText } from "../../wire/ip.ts";
import type { WireReader } from "../../wire/reader.ts";

/** Descriptor TLV code points (IANA "BGP-LS NLRI and Attribute TLVs"). */
export const BgpLsDescriptorTlv = {
  LocalNodeDescriptors: 256,
  RemoteNodeDescriptors: 257,
  LinkLocalRemoteIdentifiers: 258,
  Ipv4InterfaceAddress: 259,
  Ipv4NeighborAddress: 260,
  Ipv6InterfaceAddress: 261,
  Ipv6NeighborAddress: 262,
  MultiTopologyId: 263,
  OspfRouteType: 264,
  IpReachabilityInformation: 265,
  AutonomousSystem: 512,
  BgpLsIdentifier: 513,
  OspfAreaId: 514,
  IgpRouterId: 515,
  BgpRouterId: 516,
  MemberAsn: 517,
  Srv6SidInformation: 518,
} as const;

const T = BgpLsDescriptorTlv;

/** A TLV kept as it came: type and value hex. */
export interface RawTlv {
  type: number;
  value: string;
}

/** Node Descriptors (RFC 9552 §5.2.1.4, RFC 9086 §4.1). */
export interface NodeDescriptor {
  asn?: number;
  bgpLsId?: number;
  /** OSPF area ID, dotted quad. */
  ospfAreaId?: string;
  /** IGP router ID: dotted quad (OSPF), `0000.0000.0001` (IS-IS system ID), with
   * `.02` (pseudonode), or `router/interface` (OSPF pseudonode). */
  igpRouterId?: string;
  bgpRouterId?: string;
  memberAsn?: number;
  unknown?: RawTlv[];
}

/** Link Descriptors (RFC 9552 §5.2.2). */
export interface LinkDescriptor {
  localLinkId?: number;
  remoteLinkId?: number;
  ipv4InterfaceAddress?: string;
  ipv4NeighborAddress?: string;
  ipv6InterfaceAddress?: string;
  ipv6NeighborAddress?: string;
  /** Multi-topology IDs (12 bits each). */
  mtId?: number[];
  unknown?: RawTlv[];
}

/** Prefix Descriptors (RFC 9552 §5.2.3). */
export interface PrefixDescriptor {
  mtId?: number[];
  /** 1 intra-area, 2 inter-area, 3 external 1, 4 external 2, 5 NSSA 1, 6 NSSA 2. */
  ospfRouteType?: number;
  /** IP Reachability Information, CIDR text. */
  prefix?: string;
  unknown?: RawTlv[];
}

/** SRv6 SID Descriptors (RFC 9514 §6). */
export interface Srv6SidDescriptor {
  sid?: string;
  mtId?: number[];
  unknown?: RawTlv[];
}

/** Throws unless the value is exactly `want` bytes. */
export function tlvLength(type: number, len: number, want: number, at: number): void {
  if (len !== want) {
    throw new DecodeError("bad-length", at, `Cannot decode BGP-LS TLV ${type}: length ${len}`);
  }
}

/**
 * Calls `each(type, len, at)` for every TLV from `r.pos` to `r.end`, with `r` bounded to
 * the value; what `each` leaves unread is skipped.
 *
 * @throws {DecodeError} `short-input` for a TLV crossing the enclosing field
 */
export function forEachTlv(
  r: WireReader,
  each: (type: number, len: number, at: number) => void,
): void {
  while (r.pos < r.end) {
    const at = r.pos;
    const type = r.u16();
    const len = r.u16();
    const outer = r.enter(len);
    each(type, len, at);
    r.leave(outer);
  }
}

/** The value of the current TLV as a {@linkcode RawTlv}. */
export function rawTlv(r: WireReader, type: number): RawTlv {
  return { type, value: hex(r.rest()) };
}

function igpRouterId(r: WireReader, len: number): string {
  const b = r.bytes;
  const p = r.pos;
  const sys = () =>
    hex(b.subarray(p, p + 2)) + "." + hex(b.subarray(p + 2, p + 4)) + "." +
    hex(b.subarray(p + 4, p + 6));
  switch (len) {
    case 4:
      return ipv4(b, p);
    case 6:
      return sys();
    case 7:
      return `${sys()}.${hex(b.subarray(p + 6, p + 7))}`;
    case 8:
      return `${ipv4(b, p)}/${ipv4(b, p + 4)}`;
    default:
      return hex(r.rest());
  }
}

/** Reads the Multi-Topology ID TLV value: 2 bytes each, the low 12 bits (RFC 9552 §5.2.2.1). */
export function multiTopologyIds(r: WireReader, len: number, at: number): number[] {
  if (len === 0 || len % 2 !== 0) {
    throw new DecodeError("bad-length", at, `Cannot decode BGP-LS MT-ID: length ${len}`);
  }
  const out: number[] = [];
  while (r.pos < r.end) out.push(r.u16() & 0x0fff);
  return out;
}

/** Decodes the sub-TLVs of one Node Descriptors TLV, `r` bounded to its value. */
export function decodeNodeDescriptor(r: WireReader): NodeDescriptor {
  const d: NodeDescriptor = {};
  forEachTlv(r, (type, len, at) => {
    switch (type) {
      case T.AutonomousSystem:
        tlvLength(type, len, 4, at);
        d.asn = r.u32();
        return;
      case T.BgpLsIdentifier:
        tlvLength(type, len, 4, at);
        d.bgpLsId = r.u32();
        return;
      case T.OspfAreaId:
        tlvLength(type, len, 4, at);
        d.ospfAreaId = ipv4(r.bytes, r.pos);
        return;
      case T.IgpRouterId:
        if (len < 4 || len > 8 || len === 5) {
          throw new DecodeError("bad-length", at, `Cannot decode IGP Router-ID: length ${len}`);
        }
        d.igpRouterId = igpRouterId(r, len);
        return;
      case T.BgpRouterId:
        tlvLength(type, len, 4, at);
        d.bgpRouterId = ipv4(r.bytes, r.pos);
        return;
      case T.MemberAsn:
        tlvLength(type, len, 4, at);
        d.memberAsn = r.u32();
        return;
    }
    (d.unknown ??= []).push(rawTlv(r, type));
  });
  return d;
}

/** Decodes the Link Descriptor TLVs from `r.pos` to `r.end`. */
export function decodeLinkDescriptor(r: WireReader): LinkDescriptor {
  const d: LinkDescriptor = {};
  forEachTlv(r, (type, len, at) => {
    switch (type) {
      case T.LinkLocalRemoteIdentifiers:
        tlvLength(type, len, 8, at);
        d.localLinkId = r.u32();
        d.remoteLinkId = r.u32();
        return;
      case T.Ipv4InterfaceAddress:
      case T.Ipv4NeighborAddress: {
        tlvLength(type, len, 4, at);
        const a = ipv4(r.bytes, r.pos);
        if (type === T.Ipv4InterfaceAddress) d.ipv4InterfaceAddress = a;
        else d.ipv4NeighborAddress = a;
        return;
      }
      case T.Ipv6InterfaceAddress:
      case T.Ipv6NeighborAddress: {
        tlvLength(type, len, 16, at);
        const a = ipv6(r.bytes, r.pos);
        if (type === T.Ipv6InterfaceAddress) d.ipv6InterfaceAddress = a;
        else d.ipv6NeighborAddress = a;
        return;
      }
      case T.MultiTopologyId:
        d.mtId = multiTopologyIds(r, len, at);
        return;
    }
    (d.unknown ??= []).push(rawTlv(r, type));
  });
  return d;
}

/**
 * Decodes the Prefix Descriptor TLVs from `r.pos` to `r.end`.
 *
 * @param afi 1 for IPv4 Topology Prefix NLRI (type 3), 2 for IPv6 (type 4)
 */
export function decodePrefixDescriptor(r: WireReader, afi: 1 | 2): PrefixDescriptor {
  const d: PrefixDescriptor = {};
  forEachTlv(r, (type, len, at) => {
    switch (type) {
      case T.MultiTopologyId:
        d.mtId = multiTopologyIds(r, len, at);
        return;
      case T.OspfRouteType:
        tlvLength(type, len, 1, at);
        d.ospfRouteType = r.u8();
        return;
      case T.IpReachabilityInformation: {
        const bits = r.u8();
        if (bits > (afi === 2 ? 128 : 32) || len !== 1 + ((bits + 7) >> 3)) {
          throw new DecodeError(
            "bad-length",
            at,
            `Cannot decode IP Reachability Information: length ${len}, prefix /${bits}`,
          );
        }
        d.prefix = prefixText(afi, r.bytes, r.pos, bits);
        return;
      }
    }
    (d.unknown ??= []).push(rawTlv(r, type));
  });
  return d;
}

/** Decodes the SRv6 SID Descriptor TLVs from `r.pos` to `r.end` (RFC 9514 §6). */
export function decodeSrv6SidDescriptor(r: WireReader): Srv6SidDescriptor {
  const d: Srv6SidDescriptor = {};
  forEachTlv(r, (type, len, at) => {
    switch (type) {
      case T.Srv6SidInformation:
        tlvLength(type, len, 16, at);
        d.sid = ipv6(r.bytes, r.pos);
        return;
      case T.MultiTopologyId:
        d.mtId = multiTopologyIds(r, len, at);
        return;
    }
    (d.unknown ??= []).push(rawTlv(r, type));
  });
  return d;
}
