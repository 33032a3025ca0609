/**
 * BGP Prefix-SID attribute, type 40: SR-MPLS label index and originator SRGB (RFC 8669),
 * SRv6 L3 and L2 services (RFC 9252).
 *
 * ```text
 * attribute value: TLV ...          TLV: Type (1) | Length (2) | Value (Length)
 *
 * Label-Index TLV (type 1, length 7, RFC 8669 §3.1):
 *   Reserved (1) | Flags (2) | Label Index (4)
 * Originator SRGB TLV (type 3, RFC 8669 §3.2):
 *   Flags (2) | SRGB (6) ...        SRGB: First Label (3) | Number of Labels (3)
 * SRv6 L3 / L2 Service TLV (types 5 / 6, RFC 9252 §2):
 *   Reserved (1) | SRv6 Service Sub-TLV ...
 *   Sub-TLV: Type (1) | Length (2) | Value
 * SRv6 SID Information Sub-TLV (sub-TLV type 1, RFC 9252 §3.1):
 *   Reserved1 (1) | SRv6 SID Value (16) | SRv6 SID Flags (1) | SRv6 Endpoint Behavior (2)
 *   | Reserved2 (1) | SRv6 Service Data Sub-Sub-TLV ...
 *   Sub-sub-TLV: Type (1) | Length (2) | Value
 * SRv6 SID Structure Sub-Sub-TLV (sub-sub-TLV type 1, length 6, RFC 9252 §3.2.1):
 *   Locator Block Length (1) | Locator Node Length (1) | Function Length (1)
 *   | Argument Length (1) | Transposition Length (1) | Transposition Offset (1)
 * ```
 *
 * Unknown TLVs, sub-TLVs and sub-sub-TLVs, and repeats of a TLV kept once (Label-Index,
 * Originator SRGB, either SRv6 Service TLV, SID Structure), stay as type + hex: RFC 8669
 * §6 and RFC 9252 §6 ignore them and pass them on.
 *
 * Transposition (RFC 9252 §4): with a Transposition Length above zero, the bits
 * `[offset, offset + length)` of the SID are sent in the MPLS label field of the NLRI
 * (VPN label, EVPN label 1) and are zero in the SID Value here. The SID and the labels
 * are stored as received, not merged: the full SID is the SID with the top
 * `transpositionLength` bits of the 20-bit label written at `transpositionOffset`.
 *
 * A malformed attribute (a length that crosses its enclosing field, a Label-Index TLV
 * not 7 bytes long, an SRGB list not a whole number of 6-byte entries, a SID
 * Information sub-TLV shorter than 21 bytes, a SID Structure not 6 bytes long) throws
 * a {@linkcode DecodeError}; the UPDATE decoder discards the attribute (RFC 8669 §6,
 * RFC 9252 §6: "attribute discard") and keeps its bytes. Values are not checked against
 * each other (e.g. locator + function + argument lengths over 128): that makes a SID
 * unusable for forwarding, not undecodable, and is left to the reader.
 *
 * @module
 */

import { DecodeError } from "../../wire/errors.ts";
import { hex, ipv6 } from "../../wire/ip.ts";
import type { WireReader } from "../../wire/reader.ts";

/** BGP Prefix-SID TLV types (IANA "BGP Prefix-SID TLV Types"). */
export const PrefixSidTlvType = {
  LabelIndex: 1,
  OriginatorSrgb: 3,
  Srv6L3Service: 5,
  Srv6L2Service: 6,
} as const;

/** SRv6 Service Sub-TLV types (IANA "SRv6 Service Sub-TLV Types", RFC 9252 §9). */
export const Srv6ServiceSubTlvType = { Srv6SidInformation: 1 } as const;

/** SRv6 Service Data Sub-Sub-TLV types (IANA, RFC 9252 §9). */
export const Srv6ServiceDataSubSubTlvType = { Srv6SidStructure: 1 } as const;

/** A TLV kept as received: its type and value bytes (hex). */
export interface RawTlv {
  type: number;
  value: string;
}

/** Label-Index TLV (RFC 8669 §3.1). */
export interface LabelIndexTlv {
  flags: number;
  /** Offset into the SRGB of the label for the prefix. */
  labelIndex: number;
}

/** One SRGB range of the Originator SRGB TLV. */
export interface Srgb {
  firstLabel: number;
  numberOfLabels: number;
}

/** Originator SRGB TLV (RFC 8669 §3.2). */
export interface OriginatorSrgbTlv {
  flags: number;
  srgbs: Srgb[];
}

/** SRv6 SID Structure Sub-Sub-TLV (RFC 9252 §3.2.1), lengths and offset in bits. */
export interface Srv6SidStructure {
  locatorBlockLength: number;
  locatorNodeLength: number;
  functionLength: number;
  argumentLength: number;
  /** Bits of the SID carried in the NLRI's label field instead (0: none). */
  transpositionLength: number;
  /** Bit position in the SID where the transposed bits go. */
  transpositionOffset: number;
}

/** SRv6 SID Information Sub-TLV (RFC 9252 §3.1). */
export interface Srv6SidInformation {
  /** SRv6 SID Value as IPv6 text (transposed bits zero, see the module doc). */
  sid: string;
  flags: number;
  /** IANA "SRv6 Endpoint Behaviors" codepoint (RFC 8986 §10.2). */
  endpointBehavior: number;
  structure?: Srv6SidStructure;
  /** Sub-sub-TLVs other than the first SID Structure. */
  unknown?: RawTlv[];
}

/** SRv6 L3 or L2 Service TLV (RFC 9252 §2). */
export interface Srv6ServiceTlv {
  /** SID Information sub-TLVs in order; RFC 9252 §3.1: the first one is used. */
  sidInformation: Srv6SidInformation[];
  /** Sub-TLVs of other types. */
  unknown?: RawTlv[];
}

/** A decoded BGP Prefix-SID attribute. */
export interface PrefixSid {
  labelIndex?: LabelIndexTlv;
  originatorSrgb?: OriginatorSrgbTlv;
  srv6L3Service?: Srv6ServiceTlv;
  srv6L2Service?: Srv6ServiceTlv;
  /** TLVs of other types (e.g. the deprecated type 2 IPv6 SID), and repeated ones. */
  unknown?: RawTlv[];
}

/** SID Information fixed part: Reserved1 + SID + Flags + Behavior + Reserved2. */
const SID_INFORMATION_MIN = 21;

function badLength(at: number, what: string, len: number, want: string): DecodeError {
  return new DecodeError("bad-length", at, `Cannot decode ${what}: length ${len} ${want}`);
}

/**
 * Reads TLVs with a 1-byte type and a 2-byte length up to `r.end`, calling `each` with
 * `r` bounded to the value.
 */
function forEachTlv(
  r: WireReader,
  what: string,
  each: (type: number, len: number, at: number) => void,
): void {
  while (r.pos < r.end) {
    const at = r.pos;
    if (r.remaining < 3) throw badLength(at, `${what} header`, r.remaining, "< 3");
    const type = r.u8();
    const len = r.u16();
    if (len > r.remaining) throw badLength(at, `${what} ${type}`, len, `> ${r.remaining}`);
    const outer = r.enter(len);
    each(type, len, at);
    r.leave(outer);
  }
}

function raw(r: WireReader, type: number): RawTlv {
  return { type, value: hex(r.rest()) };
}

function decodeSidStructure(r: WireReader, len: number, at: number): Srv6SidStructure {
  if (len !== 6) throw badLength(at, "SRv6 SID Structure", len, "!= 6");
  return {
    locatorBlockLength: r.u8(),
    locatorNodeLength: r.u8(),
    functionLength: r.u8(),
    argumentLength: r.u8(),
    transpositionLength: r.u8(),
    transpositionOffset: r.u8(),
  };
}

function decodeSidInformation(r: WireReader, len: number, at: number): Srv6SidInformation {
  if (len < SID_INFORMATION_MIN) {
    throw badLength(at, "SRv6 SID Information", len, `< ${SID_INFORMATION_MIN}`);
  }
  r.skip(1); // Reserved1
  const sid = ipv6(r.take(16), 0);
  const out: Srv6SidInformation = { sid, flags: r.u8(), endpointBehavior: r.u16() };
  r.skip(1); // Reserved2
  forEachTlv(r, "SRv6 Service Data Sub-Sub-TLV", (type, subLen, subAt) => {
    if (type === Srv6ServiceDataSubSubTlvType.Srv6SidStructure && !out.structure) {
      out.structure = decodeSidStructure(r, subLen, subAt);
    } else (out.unknown ??= []).push(raw(r, type));
  });
  return out;
}

function decodeSrv6Service(r: WireReader, len: number, at: number): Srv6ServiceTlv {
  if (len < 1) throw badLength(at, "SRv6 Service TLV", len, "< 1");
  r.skip(1); // Reserved
  const out: Srv6ServiceTlv = { sidInformation: [] };
  forEachTlv(r, "SRv6 Service Sub-TLV", (type, subLen, subAt) => {
    if (type === Srv6ServiceSubTlvType.Srv6SidInformation) {
      out.sidInformation.push(decodeSidInformation(r, subLen, subAt));
    } else (out.unknown ??= []).push(raw(r, type));
  });
  return out;
}

function decodeOriginatorSrgb(r: WireReader, len: number, at: number): OriginatorSrgbTlv {
  if (len < 8 || (len - 2) % 6 !== 0) {
    throw badLength(at, "Originator SRGB TLV", len, "not 2 + 6n (n >= 1)");
  }
  const out: OriginatorSrgbTlv = { flags: r.u16(), srgbs: [] };
  while (r.remaining > 0) {
    const first = (r.u8() << 16) | r.u16();
    const count = (r.u8() << 16) | r.u16();
    out.srgbs.push({ firstLabel: first, numberOfLabels: count });
  }
  return out;
}

/**
 * Decodes a BGP Prefix-SID attribute value, from `r.pos` to `r.end`.
 *
 * RFC 8669 §3, RFC 9252 §2-3 (wire diagrams in the module doc).
 *
 * @param r reader bounded to the attribute value
 * @returns the TLVs, typed where known and raw otherwise
 * @throws {DecodeError} when the attribute is malformed (RFC 8669 §6: the caller
 *   discards the attribute)
 *
 * @example
 * ```ts
 * import { decodePrefixSid } from "./prefix_sid.ts";
 * import { WireReader } from "../../wire/reader.ts";
 * // Label-Index TLV: type 1, length 7, reserved, flags 0, label index 90.
 * const v = new Uint8Array([1, 0, 7, 0, 0, 0, 0, 0, 0, 0x5a]);
 * if (decodePrefixSid(new WireReader(v)).labelIndex?.labelIndex !== 90) throw new Error();
 * ```
 */
export function decodePrefixSid(r: WireReader): PrefixSid {
  if (r.remaining === 0) throw badLength(r.pos, "BGP Prefix-SID", 0, "(no TLV)");
  const out: PrefixSid = {};
  forEachTlv(r, "BGP Prefix-SID TLV", (type, len, at) => {
    switch (type) {
      case PrefixSidTlvType.LabelIndex:
        if (len !== 7) throw badLength(at, "Label-Index TLV", len, "!= 7");
        if (out.labelIndex) break;
        r.skip(1); // Reserved
        out.labelIndex = { flags: r.u16(), labelIndex: r.u32() };
        return;
      case PrefixSidTlvType.OriginatorSrgb:
        if (out.originatorSrgb) break;
        out.originatorSrgb = decodeOriginatorSrgb(r, len, at);
        return;
      case PrefixSidTlvType.Srv6L3Service:
        if (out.srv6L3Service) break;
        out.srv6L3Service = decodeSrv6Service(r, len, at);
        return;
      case PrefixSidTlvType.Srv6L2Service:
        if (out.srv6L2Service) break;
        out.srv6L2Service = decodeSrv6Service(r, len, at);
        return;
    }
    (out.unknown ??= []).push(raw(r, type));
  });
  return out;
}

function serviceText(name: string, s: Srv6ServiceTlv): string[] {
  return s.sidInformation.map((i) => `${name} ${i.sid} behavior ${i.endpointBehavior}`);
}

/**
 * A short text form of a Prefix-SID for one-line output, e.g. `label-index 90`,
 * `srgb 16000+8000`, `srv6-l3 2001:db8:91:: behavior 62`.
 *
 * @example
 * ```ts
 * import { prefixSidText } from "./prefix_sid.ts";
 * const t = prefixSidText({ labelIndex: { flags: 0, labelIndex: 90 } });
 * if (t !== "label-index 90") throw new Error(t);
 * ```
 */
export function prefixSidText(p: PrefixSid): string {
  const parts: string[] = [];
  if (p.labelIndex) parts.push(`label-index ${p.labelIndex.labelIndex}`);
  if (p.originatorSrgb) {
    parts.push(
      `srgb ${p.originatorSrgb.srgbs.map((s) => `${s.firstLabel}+${s.numberOfLabels}`).join(",")}`,
    );
  }
  if (p.srv6L3Service) parts.push(...serviceText("srv6-l3", p.srv6L3Service));
  if (p.srv6L2Service) parts.push(...serviceText("srv6-l2", p.srv6L2Service));
  for (const u of p.unknown ?? []) parts.push(`tlv${u.type} 0x${u.value}`);
  return parts.join(" ");
}
