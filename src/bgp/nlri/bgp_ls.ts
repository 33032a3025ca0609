/**
 * BGP-LS NLRI (AFI 16388 / SAFI 71, and SAFI 72 with a Route Distinguisher), RFC 9552 §5.2,
 * with the SRv6 SID NLRI of RFC 9514 §6.
 *
 * ```text
 * [Path Identifier (4)] NLRI Type (2) | Total NLRI Length (2) | [RD (8), SAFI 72] | body
 * 1 Node:            Protocol-ID (1) | Identifier (8) | Local Node Descriptors (TLV 256)
 * 2 Link:            Protocol-ID (1) | Identifier (8) | Local Node Descriptors (TLV 256)
 *                    | Remote Node Descriptors (TLV 257) | Link Descriptors (TLVs)
 * 3, 4 IPv4/IPv6 Topology Prefix:
 *                    Protocol-ID (1) | Identifier (8) | Local Node Descriptors (TLV 256)
 *                    | Prefix Descriptors (TLVs)
 * 6 SRv6 SID:        Protocol-ID (1) | Identifier (8) | Local Node Descriptors (TLV 256)
 *                    | SRv6 SID Descriptors (TLVs)
 * ```
 *
 * Other NLRI types keep their body in hex. An NLRI whose body is malformed while its length
 * is sound is kept with `malformed` set: RFC 9552 §8.2.2 has it treated as withdrawn and
 * the rest of the UPDATE processed. A length that runs past the attribute is fatal for the
 * attribute (a `DecodeError`), as the NLRI after it cannot be found.
 *
 * @module
 */

import { DecodeError } from "../../wire/errors.ts";
import { hex } from "../../wire/ip.ts";
import type { WireReader } from "../../wire/reader.ts";
import { routeDistinguisher } from "../rd.ts";
import {
  BgpLsDescriptorTlv,
  decodeLinkDescriptor,
  decodeNodeDescriptor,
  decodePrefixDescriptor,
  decodeSrv6SidDescriptor,
  type LinkDescriptor,
  type NodeDescriptor,
  type PrefixDescriptor,
  type RawTlv,
  type Srv6SidDescriptor,
} from "./bgp_ls_descriptors.ts";
import type { Nlri } from "./types.ts";

/** NLRI types (IANA "BGP-LS NLRI Types"). */
export const BgpLsNlriType = {
  Node: 1,
  Link: 2,
  Ipv4TopologyPrefix: 3,
  Ipv6TopologyPrefix: 4,
  TePolicy: 5,
  Srv6Sid: 6,
} as const;

/** Protocol-IDs (IANA "BGP-LS Protocol-IDs"). */
export const BgpLsProtocolId = {
  IsisL1: 1,
  IsisL2: 2,
  Ospfv2: 3,
  Direct: 4,
  Static: 5,
  Ospfv3: 6,
  Bgp: 7,
  RsvpTe: 8,
  SegmentRouting: 9,
} as const;

const PROTOCOL_NAMES = [
  "",
  "isis-l1",
  "isis-l2",
  "ospfv2",
  "direct",
  "static",
  "ospfv3",
  "bgp",
  "rsvp-te",
  "sr",
];
const TYPE_NAMES = ["", "node", "link", "prefix4", "prefix6", "te-policy", "srv6-sid"];

/** One BGP-LS NLRI. Absent fields are not carried by the NLRI type. */
export interface BgpLsNlri {
  nlriType: number;
  protocolId?: number;
  /** The 64-bit Identifier: a number, or decimal text above 2^53. */
  identifier?: number | string;
  localNode?: NodeDescriptor;
  /** Link NLRI. */
  remoteNode?: NodeDescriptor;
  link?: LinkDescriptor;
  /** IPv4/IPv6 Topology Prefix NLRI. */
  prefix?: PrefixDescriptor;
  /** SRv6 SID NLRI. */
  srv6Sid?: Srv6SidDescriptor;
  /** Hex of the body for NLRI types not decoded here, and of a malformed NLRI. */
  raw?: string;
  /** Why the body could not be decoded, and where: the NLRI is to be treated as withdrawn
   * (RFC 9552 §8.2.2). */
  malformed?: { offset: number; reason: string };
}

function identifier(r: WireReader): number | string {
  const hi = r.u32();
  const lo = r.u32();
  if (hi < 0x200000) return hi * 0x100000000 + lo;
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

function expectTlv(r: WireReader, type: number): number {
  const at = r.pos;
  const t = r.u16();
  if (t !== type) {
    throw new DecodeError("bad-type", at, `Cannot decode BGP-LS NLRI: TLV ${t} where ${type}`);
  }
  return r.enter(r.u16());
}

function nodeDescriptorTlv(r: WireReader, type: number): NodeDescriptor {
  const outer = expectTlv(r, type);
  const d = decodeNodeDescriptor(r);
  r.leave(outer);
  return d;
}

/** Decodes one NLRI body of `nlriType`, `r` bounded to it (after the RD for SAFI 72). */
export function decodeBgpLsBody(r: WireReader, nlriType: number): BgpLsNlri {
  const ls: BgpLsNlri = { nlriType };
  if (nlriType < 1 || nlriType > 6 || nlriType === BgpLsNlriType.TePolicy) {
    ls.raw = hex(r.rest());
    return ls;
  }
  ls.protocolId = r.u8();
  ls.identifier = identifier(r);
  ls.localNode = nodeDescriptorTlv(r, BgpLsDescriptorTlv.LocalNodeDescriptors);
  switch (nlriType) {
    case BgpLsNlriType.Node:
      if (r.pos !== r.end) {
        throw new DecodeError("bad-length", r.pos, "Cannot decode BGP-LS Node NLRI: bytes left");
      }
      break;
    case BgpLsNlriType.Link:
      ls.remoteNode = nodeDescriptorTlv(r, BgpLsDescriptorTlv.RemoteNodeDescriptors);
      ls.link = decodeLinkDescriptor(r);
      break;
    case BgpLsNlriType.Ipv4TopologyPrefix:
    case BgpLsNlriType.Ipv6TopologyPrefix:
      ls.prefix = decodePrefixDescriptor(r, nlriType === BgpLsNlriType.Ipv4TopologyPrefix ? 1 : 2);
      break;
    case BgpLsNlriType.Srv6Sid:
      ls.srv6Sid = decodeSrv6SidDescriptor(r);
      break;
  }
  return ls;
}

function unknownText(u: RawTlv[] | undefined): string {
  return u ? u.map((t) => `,t${t.type}=${t.value}`).join("") : "";
}

function mtText(mt: number[] | undefined): string {
  return mt ? `,mt=${mt.join("/")}` : "";
}

function opt(name: string, v: string | number | undefined): string {
  return v === undefined ? "" : `,${name}=${v}`;
}

/** A node descriptor's text: its fields in TLV order, e.g. `as=65000,rid=10.0.0.1`. */
export function nodeDescriptorText(d: NodeDescriptor): string {
  return (opt("as", d.asn) + opt("bgpls", d.bgpLsId) + opt("area", d.ospfAreaId) +
    opt("rid", d.igpRouterId) + opt("bgp", d.bgpRouterId) + opt("member", d.memberAsn) +
    unknownText(d.unknown)).slice(1);
}

function linkText(d: LinkDescriptor): string {
  const ids = d.localLinkId === undefined ? "" : `,ids=${d.localLinkId}/${d.remoteLinkId}`;
  return (ids + opt("if4", d.ipv4InterfaceAddress) + opt("nb4", d.ipv4NeighborAddress) +
    opt("if6", d.ipv6InterfaceAddress) + opt("nb6", d.ipv6NeighborAddress) + mtText(d.mtId) +
    unknownText(d.unknown)).slice(1);
}

function prefixDescText(d: PrefixDescriptor): string {
  return (mtText(d.mtId) + opt("ospf", d.ospfRouteType) + opt("ip", d.prefix) +
    unknownText(d.unknown)).slice(1);
}

/**
 * The identity of a BGP-LS NLRI as text, also its route key:
 * `<type>:<protocol>:<identifier>:local[<node>]` then `:remote[<node>]:link[<link>]`,
 * `:prefix[<prefix>]` or `:sid[<sid>]`; `<type>:raw:<hex>` for other and malformed NLRI.
 *
 * @example
 * ```ts
 * import { bgpLsNlriKey } from "./bgp_ls.ts";
 * const k = bgpLsNlriKey({ nlriType: 1, protocolId: 2, identifier: 0, localNode: { asn: 65000 } });
 * if (k !== "node:isis-l2:0:local[as=65000]") throw new Error(k);
 * ```
 */
export function bgpLsNlriKey(ls: BgpLsNlri): string {
  const type = TYPE_NAMES[ls.nlriType] ?? `type${ls.nlriType}`;
  if (ls.raw !== undefined) return `${type}:raw:${ls.raw}`;
  const proto = PROTOCOL_NAMES[ls.protocolId!] || `proto${ls.protocolId}`;
  let k = `${type}:${proto}:${ls.identifier}:local[${nodeDescriptorText(ls.localNode!)}]`;
  if (ls.remoteNode) k += `:remote[${nodeDescriptorText(ls.remoteNode)}]`;
  if (ls.link) k += `:link[${linkText(ls.link)}]`;
  if (ls.prefix) k += `:prefix[${prefixDescText(ls.prefix)}]`;
  if (ls.srv6Sid) {
    const s = ls.srv6Sid;
    k += `:sid[${(opt("sid", s.sid) + mtText(s.mtId) + unknownText(s.unknown)).slice(1)}]`;
  }
  return k;
}

/**
 * Reads BGP-LS NLRI from `r` up to `r.end` into `out`.
 *
 * @param vpn SAFI 72: a Route Distinguisher opens each NLRI body
 * @throws {DecodeError} for an NLRI whose length crosses the attribute end
 */
export function decodeBgpLsNlri(r: WireReader, vpn: boolean, addPath: boolean, out: Nlri[]): void {
  while (r.pos < r.end) {
    const pathId = addPath ? r.u32() : undefined;
    const nlriType = r.u16();
    const len = r.u16();
    const outer = r.enter(len);
    const start = r.pos;
    let rd: string | undefined;
    let ls: BgpLsNlri;
    try {
      if (vpn) {
        r.need(8);
        rd = routeDistinguisher(r.bytes, r.pos);
        r.pos += 8;
      }
      ls = decodeBgpLsBody(r, nlriType);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      rd = undefined;
      ls = {
        nlriType,
        raw: hex(r.bytes.subarray(start, r.end)),
        malformed: { offset: e.offset, reason: e.message },
      };
    }
    r.leave(outer);
    const n: Nlri = { prefix: "", key: bgpLsNlriKey(ls), bgpLs: ls };
    if (rd !== undefined) n.rd = rd;
    if (pathId !== undefined) n.pathId = pathId;
    out.push(n);
  }
}
