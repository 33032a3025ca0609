/**
 * The Segment Routing TLVs of the BGP-LS attribute: SR-MPLS (RFC 9085 §2) and SRv6
 * (RFC 9514 §3-§8).
 *
 * ```text
 * 1034 SR Capabilities, 1036 SR Local Block:
 *        Flags (1) | Reserved (1) | { Range Size (3) | SID/Label TLV (1161) }...
 * 1161 SID/Label:   Type (2) | Length (2) | Label (3, low 20 bits) or Index (4)
 * 1099 Adjacency SID:      Flags (1) | Weight (1) | Reserved (2) | SID/Label/Index (3|4)
 * 1100 LAN Adjacency SID:  Flags (1) | Weight (1) | Reserved (2) | Neighbor ID (6 IS-IS
 *                          system ID, 4 OSPF router ID) | SID/Label/Index (3|4)
 * 1158 Prefix SID:         Flags (1) | Algorithm (1) | Reserved (2) | SID/Index/Label (3|4)
 * 1038 SRv6 Capabilities:  Flags (2) | Reserved (2)
 * 1106 SRv6 End.X SID:     Endpoint Behavior (2) | Flags (1) | Algorithm (1) | Weight (1)
 *                          | Reserved (1) | SID (16) | Sub-TLVs
 * 1107/1108 SRv6 LAN End.X SID: as 1106 with Neighbor ID (6 IS-IS, 4 OSPFv3) before SID
 * 1162 SRv6 Locator:       Flags (1) | Algorithm (1) | Reserved (2) | Metric (4) | Sub-TLVs
 * 1250 SRv6 Endpoint Behavior: Endpoint Behavior (2) | Flags (1) | Algorithm (1)
 * 1251 SRv6 BGP Peer Node SID: Flags (1) | Weight (1) | Reserved (2) | Peer AS (4)
 *                          | Peer BGP Identifier (4)
 * 1252 SRv6 SID Structure: LB Length (1) | LN Length (1) | Fun. Length (1) | Arg. Length (1)
 * ```
 *
 * @module
 */

import { DecodeError } from "../../wire/errors.ts";
import { hex, ipv4, ipv6 } from "../../wire/ip.ts";
import type { WireReader } from "../../wire/reader.ts";
import { forEachTlv, type RawTlv, rawTlv, tlvLength } from "../nlri/bgp_ls_descriptors.ts";

/** SR and SRv6 TLV code points of the BGP-LS attribute (IANA "BGP-LS NLRI and Attribute
 * TLVs"). */
export const BgpLsSrTlv = {
  SrCapabilities: 1034,
  SrAlgorithm: 1035,
  SrLocalBlock: 1036,
  Srv6Capabilities: 1038,
  AdjacencySid: 1099,
  LanAdjacencySid: 1100,
  Srv6EndXSid: 1106,
  IsisSrv6LanEndXSid: 1107,
  Ospfv3Srv6LanEndXSid: 1108,
  PrefixSid: 1158,
  SidLabel: 1161,
  Srv6Locator: 1162,
  Srv6EndpointBehavior: 1250,
  Srv6BgpPeerNodeSid: 1251,
  Srv6SidStructure: 1252,
} as const;

const S = BgpLsSrTlv;

/** A SID given as an MPLS label (3 bytes) or a SID index (4 bytes). */
export interface SidValue {
  label?: number;
  index?: number;
}

/** One range of SR Capabilities or an SR Local Block. */
export interface SrRange extends SidValue {
  rangeSize: number;
}

/** SR Capabilities (1034) or SR Local Block (1036). */
export interface SrRanges {
  flags: number;
  ranges: SrRange[];
}

/** Adjacency SID (1099) and LAN Adjacency SID (1100, with `neighborId`). */
export interface AdjacencySid extends SidValue {
  flags: number;
  weight: number;
  /** LAN: the neighbor's IS-IS system ID (`0000.0000.0002`) or OSPF router ID. */
  neighborId?: string;
}

/** Prefix SID (1158). */
export interface BgpLsPrefixSid extends SidValue {
  flags: number;
  algorithm: number;
}

/** SRv6 SID Structure (1252). */
export interface Srv6SidStructure {
  locatorBlock: number;
  locatorNode: number;
  function: number;
  argument: number;
}

/** SRv6 End.X SID (1106) and LAN End.X SID (1107, 1108 with `neighborId`). */
export interface Srv6EndXSid {
  behavior: number;
  flags: number;
  algorithm: number;
  weight: number;
  neighborId?: string;
  sid: string;
  structure?: Srv6SidStructure;
  unknown?: RawTlv[];
}

/** SRv6 Locator (1162). */
export interface Srv6Locator {
  flags: number;
  algorithm: number;
  metric: number;
  unknown?: RawTlv[];
}

/** SRv6 Endpoint Behavior (1250). */
export interface Srv6EndpointBehavior {
  behavior: number;
  flags: number;
  algorithm: number;
}

/** SRv6 BGP Peer Node SID (1251). */
export interface Srv6BgpPeerNodeSid {
  flags: number;
  weight: number;
  peerAs: number;
  peerBgpId: string;
}

function sidValue(r: WireReader, len: number, at: number, out: SidValue): void {
  if (len === 3) out.label = ((r.u8() << 16) | r.u16()) & 0xfffff;
  else if (len === 4) out.index = r.u32();
  else throw new DecodeError("bad-length", at, `Cannot decode SID/Label: length ${len}`);
}

/** Reads SR Capabilities or SR Local Block, `r` bounded to the value. */
export function decodeSrRanges(r: WireReader): SrRanges {
  const flags = r.u8();
  r.u8();
  const ranges: SrRange[] = [];
  while (r.pos < r.end) {
    const rangeSize = (r.u8() << 16) | r.u16();
    const range: SrRange = { rangeSize };
    const at = r.pos;
    const type = r.u16();
    const len = r.u16();
    if (type !== S.SidLabel) {
      throw new DecodeError("bad-type", at, `Cannot decode SR range: TLV ${type} where 1161`);
    }
    const outer = r.enter(len);
    sidValue(r, len, at, range);
    r.leave(outer);
    ranges.push(range);
  }
  return { flags, ranges };
}

function systemIdOrRouterId(r: WireReader, n: number): string {
  const b = r.take(n);
  if (n === 4) return ipv4(b, 0);
  return `${hex(b.subarray(0, 2))}.${hex(b.subarray(2, 4))}.${hex(b.subarray(4, 6))}`;
}

/** Reads an Adjacency SID (`lan` false) or LAN Adjacency SID value. */
export function decodeAdjacencySid(r: WireReader, len: number, at: number, lan: boolean) {
  const flags = r.u8();
  const weight = r.u8();
  r.skip(2);
  const a: AdjacencySid = { flags, weight };
  let sidLen = len - 4;
  if (lan) {
    // 4 + 4 + 3|4 (OSPF) or 4 + 6 + 3|4 (IS-IS).
    const n = len <= 12 ? 4 : 6;
    if (len < 11 || len > 14) {
      throw new DecodeError("bad-length", at, `Cannot decode LAN Adjacency SID: length ${len}`);
    }
    a.neighborId = systemIdOrRouterId(r, n);
    sidLen -= n;
  }
  sidValue(r, sidLen, at, a);
  return a;
}

/** Reads a Prefix SID value. */
export function decodeBgpLsPrefixSid(r: WireReader, len: number, at: number): BgpLsPrefixSid {
  const p: BgpLsPrefixSid = { flags: r.u8(), algorithm: r.u8() };
  r.skip(2);
  sidValue(r, len - 4, at, p);
  return p;
}

/** Reads an SRv6 SID Structure value. */
export function decodeSrv6SidStructure(r: WireReader, len: number, at: number): Srv6SidStructure {
  tlvLength(S.Srv6SidStructure, len, 4, at);
  return { locatorBlock: r.u8(), locatorNode: r.u8(), function: r.u8(), argument: r.u8() };
}

/** Reads an SRv6 End.X SID value; `neighborLen` 6 or 4 for the LAN variants, else 0. */
export function decodeSrv6EndXSid(r: WireReader, neighborLen: number): Srv6EndXSid {
  const x: Srv6EndXSid = {
    behavior: r.u16(),
    flags: r.u8(),
    algorithm: r.u8(),
    weight: r.u8(),
    sid: "",
  };
  r.u8();
  if (neighborLen) x.neighborId = systemIdOrRouterId(r, neighborLen);
  r.need(16);
  x.sid = ipv6(r.bytes, r.pos);
  r.pos += 16;
  forEachTlv(r, (type, len, at) => {
    if (type === S.Srv6SidStructure) x.structure = decodeSrv6SidStructure(r, len, at);
    else (x.unknown ??= []).push(rawTlv(r, type));
  });
  return x;
}

/** Reads an SRv6 Locator value. */
export function decodeSrv6Locator(r: WireReader): Srv6Locator {
  const l: Srv6Locator = { flags: r.u8(), algorithm: r.u8(), metric: 0 };
  r.skip(2);
  l.metric = r.u32();
  forEachTlv(r, (type) => void (l.unknown ??= []).push(rawTlv(r, type)));
  return l;
}

/** Reads an SRv6 Endpoint Behavior value. */
export function decodeSrv6EndpointBehavior(
  r: WireReader,
  len: number,
  at: number,
): Srv6EndpointBehavior {
  tlvLength(S.Srv6EndpointBehavior, len, 4, at);
  return { behavior: r.u16(), flags: r.u8(), algorithm: r.u8() };
}

/** Reads an SRv6 BGP Peer Node SID value. */
export function decodeSrv6BgpPeerNodeSid(
  r: WireReader,
  len: number,
  at: number,
): Srv6BgpPeerNodeSid {
  tlvLength(S.Srv6BgpPeerNodeSid, len, 12, at);
  const flags = r.u8();
  const weight = r.u8();
  r.skip(2);
  const peerAs = r.u32();
  r.need(4);
  const peerBgpId = ipv4(r.bytes, r.pos);
  r.pos += 4;
  return { flags, weight, peerAs, peerBgpId };
}
