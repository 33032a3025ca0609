/**
 * TUNNEL_ENCAPSULATION attribute (type 23, RFC 9012 §2) with the SR Policy sub-TLVs of
 * RFC 9830 §2.4 decoded; other tunnel types and sub-TLVs keep their bytes in hex.
 *
 * ```text
 * Tunnel TLV:  Tunnel Type (2) | Length (2) | Sub-TLVs
 * Sub-TLV:     Type (1) | Length (1 for types 0-127, 2 for 128-255) | Value
 * SR Policy (tunnel type 15) sub-TLVs:
 *   12 Preference:      Flags (1) | Reserved (1) | Preference (4)
 *   13 Binding SID:     Flags (1) | Reserved (1) | [SID (4: MPLS label, or 16: SRv6)]
 *   14 ENLP:            Flags (1) | Reserved (1) | ENLP (1)
 *   15 Priority:        Priority (1) | Reserved (1)
 *   128 Segment List:   Reserved (1) | Sub-TLVs: 9 Weight: Flags (1) | Reserved (1)
 *                       | Weight (4); 1 Type A: Flags (1) | Reserved (1) | Label (20)
 *                       TC (3) S (1) TTL (8); 13 Type B: Flags (1) | Reserved (1)
 *                       | SRv6 SID (16) [| Endpoint Behavior and SID Structure (8)]
 *   129 Candidate Path Name, 130 Policy Name: Reserved (1) | Name
 * ```
 *
 * @module
 */

import { DecodeError } from "../../wire/errors.ts";
import { hex, ipv6 } from "../../wire/ip.ts";
import type { WireReader } from "../../wire/reader.ts";

/** Tunnel type of an SR Policy (IANA "BGP Tunnel Encapsulation Attribute Tunnel Types"). */
export const TUNNEL_TYPE_SR_POLICY = 15;

/** A sub-TLV kept as it came. */
export interface RawSubTlv {
  type: number;
  value: string;
}

/** One segment of a segment list (RFC 9830 §2.4.4.2). */
export interface SrSegment {
  /** "A" (MPLS label), "B" (SRv6 SID), else the sub-TLV type number. */
  type: "A" | "B" | number;
  flags: number;
  /** Type A. */
  label?: number;
  tc?: number;
  s?: boolean;
  ttl?: number;
  /** Type B. */
  sid?: string;
  /** Type B with the B flag: SRv6 endpoint behaviour and SID structure. */
  behavior?: number;
  structure?: { locatorBlock: number; locatorNode: number; function: number; argument: number };
  /** Other segment types: the value in hex. */
  raw?: string;
}

/** One segment list (RFC 9830 §2.4.4). */
export interface SrSegmentList {
  weight?: number;
  segments: SrSegment[];
}

/** The SR Policy sub-TLVs of one candidate path. */
export interface SrPolicyTunnel {
  preference?: number;
  /** Binding SID: an MPLS label, an SRv6 SID, or absent when the sub-TLV has no SID. */
  bindingSid?: number | string;
  bindingSidFlags?: number;
  /** SRv6 Binding SID sub-TLV (type 20). */
  srv6BindingSid?: string;
  enlp?: number;
  priority?: number;
  policyName?: string;
  candidatePathName?: string;
  segmentLists: SrSegmentList[];
  /** Sub-TLVs not decoded here. */
  unknown?: RawSubTlv[];
}

/** One tunnel TLV. */
export interface TunnelTlv {
  tunnelType: number;
  /** Tunnel type 15. */
  srPolicy?: SrPolicyTunnel;
  /** Sub-TLVs not decoded here (every sub-TLV of other tunnel types). */
  subTlvs?: RawSubTlv[];
}

/** The decoded TUNNEL_ENCAPSULATION attribute. */
export interface TunnelEncap {
  tunnels: TunnelTlv[];
}

const utf8 = new TextDecoder();

function need(len: number, want: number, at: number, what: string): void {
  if (len < want) {
    throw new DecodeError("bad-length", at, `Cannot decode ${what} sub-TLV: length ${len}`);
  }
}

/** Reads sub-TLVs in `r` up to `r.end`, calling `fn(type, start, end)` for each. */
function forEachSubTlv(r: WireReader, fn: (type: number, start: number, end: number) => void) {
  while (r.pos < r.end) {
    const type = r.u8();
    const len = type >= 128 ? r.u16() : r.u8();
    const outer = r.enter(len);
    fn(type, r.pos, r.end);
    r.leave(outer);
  }
}

function segmentList(r: WireReader): SrSegmentList {
  const b = r.bytes;
  const dv = r.view;
  const list: SrSegmentList = { segments: [] };
  r.skip(1); // reserved
  forEachSubTlv(r, (type, s, e) => {
    const len = e - s;
    if (type === 9) {
      need(len, 6, s, "Weight");
      list.weight = dv.getUint32(s + 2);
    } else if (type === 1) {
      need(len, 6, s, "Segment Type A");
      const v = dv.getUint32(s + 2);
      list.segments.push({
        type: "A",
        flags: b[s],
        label: v >>> 12,
        tc: (v >>> 9) & 7,
        s: ((v >>> 8) & 1) === 1,
        ttl: v & 0xff,
      });
    } else if (type === 13) {
      need(len, 18, s, "Segment Type B");
      const seg: SrSegment = { type: "B", flags: b[s], sid: ipv6(b, s + 2) };
      if (len >= 26) {
        seg.behavior = dv.getUint16(s + 18);
        seg.structure = {
          locatorBlock: b[s + 22],
          locatorNode: b[s + 23],
          function: b[s + 24],
          argument: b[s + 25],
        };
      }
      list.segments.push(seg);
    } else {
      list.segments.push({ type, flags: len > 0 ? b[s] : 0, raw: hex(b.subarray(s, e)) });
    }
  });
  return list;
}

function srPolicy(r: WireReader): SrPolicyTunnel {
  const b = r.bytes;
  const dv = r.view;
  const p: SrPolicyTunnel = { segmentLists: [] };
  const unknown: RawSubTlv[] = [];
  forEachSubTlv(r, (type, s, e) => {
    const len = e - s;
    switch (type) {
      case 12:
        need(len, 6, s, "Preference");
        p.preference = dv.getUint32(s + 2);
        return;
      case 13:
        need(len, 2, s, "Binding SID");
        p.bindingSidFlags = b[s];
        if (len === 6) p.bindingSid = dv.getUint32(s + 2) >>> 12;
        else if (len >= 18) p.bindingSid = ipv6(b, s + 2);
        return;
      case 20:
        need(len, 18, s, "SRv6 Binding SID");
        p.srv6BindingSid = ipv6(b, s + 2);
        return;
      case 14:
        need(len, 3, s, "ENLP");
        p.enlp = b[s + 2];
        return;
      case 15:
        need(len, 2, s, "Priority");
        p.priority = b[s];
        return;
      case 128:
        p.segmentLists.push(segmentList(r));
        return;
      case 129:
      case 130: {
        need(len, 1, s, "Policy Name");
        const name = utf8.decode(b.subarray(s + 1, e));
        if (type === 130) p.policyName = name;
        else p.candidatePathName = name;
        return;
      }
    }
    unknown.push({ type, value: hex(b.subarray(s, e)) });
  });
  if (unknown.length > 0) p.unknown = unknown;
  return p;
}

/**
 * Decodes TUNNEL_ENCAPSULATION from `r` up to `r.end`.
 *
 * @throws {DecodeError} when a TLV or sub-TLV crosses its enclosing length, or an SR
 *   Policy sub-TLV is shorter than its fixed fields
 */
export function decodeTunnelEncap(r: WireReader): TunnelEncap {
  const out: TunnelEncap = { tunnels: [] };
  while (r.pos < r.end) {
    const tunnelType = r.u16();
    const len = r.u16();
    const outer = r.enter(len);
    const t: TunnelTlv = { tunnelType };
    if (tunnelType === TUNNEL_TYPE_SR_POLICY) t.srPolicy = srPolicy(r);
    else {
      const subs: RawSubTlv[] = [];
      forEachSubTlv(r, (type, s, e) => subs.push({ type, value: hex(r.bytes.subarray(s, e)) }));
      t.subTlvs = subs;
    }
    r.leave(outer);
    out.tunnels.push(t);
  }
  return out;
}
