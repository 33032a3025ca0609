/**
 * BGP OPEN (RFC 4271 §4.2) and its capabilities (RFC 5492), including the RFC 9072
 * extended optional parameters length.
 *
 * ```text
 * Version (1) | My AS (2) | Hold Time (2) | BGP Identifier (4) | Opt Parm Len (1)
 * | Optional Parameters: Type (1) | Length (1) | Value   (type 2 = Capabilities)
 * capability: Code (1) | Length (1) | Value
 * ```
 *
 * @module
 */

import { DecodeError } from "../wire/errors.ts";
import { hex, ipv4 } from "../wire/ip.ts";
import { WireReader } from "../wire/reader.ts";
import { CAPABILITY_NAMES, CapabilityCode } from "./constants.ts";

/** One AFI/SAFI with a direction, as in ADD-PATH (RFC 7911 §4): 1 receive, 2 send, 3 both. */
export interface AddPathFamily {
  afi: number;
  safi: number;
  sendReceive: number;
}

/** A capability; only the fields of its code are set. */
export interface Capability {
  code: number;
  name: string;
  /** Multiprotocol (code 1). */
  afi?: number;
  safi?: number;
  /** 4-octet AS number (code 65). */
  asn?: number;
  /** ADD-PATH (code 69). */
  addPath?: AddPathFamily[];
  /** Graceful restart (code 64). */
  restartFlags?: number;
  restartTime?: number;
  families?: { afi: number; safi: number; flags: number }[];
  /** Extended next hop (code 5). */
  nextHops?: { afi: number; safi: number; nextHopAfi: number }[];
  /** FQDN (code 73). */
  hostname?: string;
  domain?: string;
  /** Software version (code 75), role (code 9). */
  text?: string;
  role?: number;
  /** Value in hex for capabilities without a decoder. */
  value?: string;
}

/** A decoded OPEN. */
export interface BgpOpen {
  version: number;
  /** My Autonomous System (2 bytes; AS_TRANS when the 4-octet capability carries the ASN). */
  myAs: number;
  holdTime: number;
  bgpId: string;
  capabilities: Capability[];
  /** The speaker's ASN: the 4-octet capability when present, else `myAs`. */
  asn: number;
}

// ignoreBOM: a leading U+FEFF is part of the text, not a marker to strip.
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

function decodeCapability(b: Uint8Array, code: number, off: number, end: number): Capability {
  const cap: Capability = { code, name: CAPABILITY_NAMES[code] ?? `capability_${code}` };
  const len = end - off;
  const dv = new DataView(b.buffer, b.byteOffset);
  switch (code) {
    case CapabilityCode.Multiprotocol:
      if (len === 4) {
        cap.afi = dv.getUint16(off);
        cap.safi = b[off + 3];
        return cap;
      }
      break;
    case CapabilityCode.FourOctetAs:
      if (len === 4) {
        cap.asn = dv.getUint32(off);
        return cap;
      }
      break;
    case CapabilityCode.AddPath:
      if (len % 4 === 0) {
        cap.addPath = [];
        for (let p = off; p < end; p += 4) {
          cap.addPath.push({ afi: dv.getUint16(p), safi: b[p + 2], sendReceive: b[p + 3] });
        }
        return cap;
      }
      break;
    case CapabilityCode.GracefulRestart:
      if (len >= 2 && (len - 2) % 4 === 0) {
        const v = dv.getUint16(off);
        cap.restartFlags = v >>> 12;
        cap.restartTime = v & 0xfff;
        cap.families = [];
        for (let p = off + 2; p < end; p += 4) {
          cap.families.push({ afi: dv.getUint16(p), safi: b[p + 2], flags: b[p + 3] });
        }
        return cap;
      }
      break;
    case CapabilityCode.ExtendedNextHop:
      if (len % 6 === 0) {
        cap.nextHops = [];
        for (let p = off; p < end; p += 6) {
          cap.nextHops.push({
            afi: dv.getUint16(p),
            safi: dv.getUint16(p + 2),
            nextHopAfi: dv.getUint16(p + 4),
          });
        }
        return cap;
      }
      break;
    case CapabilityCode.Fqdn:
      if (len >= 1 && 1 + b[off] < len) {
        const hl = b[off];
        const dl = b[off + 1 + hl];
        if (2 + hl + dl <= len) {
          cap.hostname = utf8.decode(b.subarray(off + 1, off + 1 + hl));
          cap.domain = utf8.decode(b.subarray(off + 2 + hl, off + 2 + hl + dl));
          return cap;
        }
      }
      break;
    case CapabilityCode.SoftwareVersion:
      if (len >= 1 && 1 + b[off] <= len) {
        cap.text = utf8.decode(b.subarray(off + 1, off + 1 + b[off]));
        return cap;
      }
      break;
    case CapabilityCode.Role:
      if (len === 1) {
        cap.role = b[off];
        return cap;
      }
      break;
    case CapabilityCode.RouteRefresh:
    case CapabilityCode.EnhancedRouteRefresh:
    case CapabilityCode.ExtendedMessage:
    case CapabilityCode.CiscoRouteRefresh:
      if (len === 0) return cap;
      break;
  }
  if (len > 0) cap.value = hex(b.subarray(off, end));
  return cap;
}

/**
 * Decodes an OPEN body (after the 19-byte BGP header) in `bytes[start, end)`.
 *
 * @throws {DecodeError} for a body shorter than 10 bytes or parameters that overrun it.
 */
export function decodeOpen(bytes: Uint8Array, start: number, end: number): BgpOpen {
  const r = new WireReader(bytes, start, end);
  const version = r.u8();
  const myAs = r.u16();
  const holdTime = r.u16();
  const bgpId = ipv4(bytes, r.pos);
  r.skip(4);
  let optLen = r.u8();
  let extended = false;
  // RFC 9072: Non-Ext OP Len 255 and Non-Ext OP Type 255 signal 2-byte lengths.
  if (optLen === 255 && r.remaining >= 3 && bytes[r.pos] === 255) {
    r.skip(1);
    optLen = r.u16();
    extended = true;
  }
  const outer = r.enter(optLen);
  const capabilities: Capability[] = [];
  while (r.pos < r.end) {
    const type = r.u8();
    const len = extended ? r.u16() : r.u8();
    const param = r.enter(len);
    if (type === 2) {
      while (r.pos < r.end) {
        const code = r.u8();
        const clen = r.u8();
        r.need(clen);
        capabilities.push(decodeCapability(bytes, code, r.pos, r.pos + clen));
        r.pos += clen;
      }
    }
    r.leave(param);
  }
  r.leave(outer);
  if (version !== 4) {
    throw new DecodeError("bad-value", start, `Cannot decode OPEN: version ${version}`);
  }
  const four = capabilities.find((c) =>
    c.code === CapabilityCode.FourOctetAs && c.asn !== undefined
  );
  return { version, myAs, holdTime, bgpId, capabilities, asn: four?.asn ?? myAs };
}
