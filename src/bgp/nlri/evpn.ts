/**
 * EVPN NLRI (AFI 25 / SAFI 70), RFC 7432 §7 and RFC 9136 §3.
 *
 * ```text
 * [Path Identifier (4)] Route Type (1) | Length (1) | Route Type specific (variable)
 * 1 Ethernet A-D:    RD(8) ESI(10) Ethernet Tag(4) MPLS Label(3)
 * 2 MAC/IP:          RD(8) ESI(10) Ethernet Tag(4) MAC Len(1) MAC(6) IP Len(1) IP(0/4/16)
 *                    MPLS Label1(3) [MPLS Label2(3)]
 * 3 Inclusive Mcast: RD(8) Ethernet Tag(4) IP Len(1) Originating Router's IP(4/16)
 * 4 Ethernet Seg.:   RD(8) ESI(10) IP Len(1) Originating Router's IP(4/16)
 * 5 IP Prefix:       RD(8) ESI(10) Ethernet Tag(4) IP Prefix Len(1) IP Prefix(4/16)
 *                    GW IP(4/16) MPLS Label(3)
 * ```
 *
 * @module
 */

import { DecodeError } from "../../wire/errors.ts";
import { hex, ipAddress, prefixText } from "../../wire/ip.ts";
import type { WireReader } from "../../wire/reader.ts";
import { routeDistinguisher } from "../rd.ts";
import type { EvpnRoute, Nlri } from "./types.ts";

const HEX2 = Array.from({ length: 256 }, (_, i) => (i < 16 ? "0" : "") + i.toString(16));

function colonHex(b: Uint8Array, off: number, n: number): string {
  let s = HEX2[b[off]];
  for (let i = 1; i < n; i++) s += ":" + HEX2[b[off + i]];
  return s;
}

function labelsFrom(b: Uint8Array, off: number, end: number): number[] {
  const out: number[] = [];
  for (let p = off; p + 3 <= end; p += 3) {
    out.push(((b[p] << 16) | (b[p + 1] << 8) | b[p + 2]) >>> 4);
  }
  return out;
}

/** Reads an IP address of `bits` length (0, 32 or 128) at `off`; "" for 0. */
function ipOfBits(b: Uint8Array, off: number, bits: number, at: number): string {
  if (bits === 0) return "";
  if (bits !== 32 && bits !== 128) {
    throw new DecodeError("bad-length", at, `Cannot decode EVPN IP: length ${bits} bits`);
  }
  return ipAddress(b, off, bits >> 3);
}

/** Decodes one EVPN route body `b[off, end)` of the given route type. */
export function decodeEvpnRoute(
  b: Uint8Array,
  off: number,
  end: number,
  routeType: number,
): EvpnRoute {
  const len = end - off;
  const need = (n: number) => {
    if (len < n) {
      throw new DecodeError(
        "short-input",
        off,
        `Cannot decode EVPN route type ${routeType}: ${len} bytes`,
      );
    }
  };
  const dv = new DataView(b.buffer, b.byteOffset);
  switch (routeType) {
    case 1: {
      need(25);
      return {
        routeType,
        rd: routeDistinguisher(b, off),
        esi: colonHex(b, off + 8, 10),
        ethernetTag: dv.getUint32(off + 18),
        labels: labelsFrom(b, off + 22, end),
      };
    }
    case 2: {
      need(30);
      const macBits = b[off + 22];
      if (macBits !== 48) {
        throw new DecodeError("bad-length", off + 22, `Cannot decode EVPN MAC: length ${macBits}`);
      }
      const ipBits = b[off + 29];
      const ipLen = ipBits >> 3;
      need(30 + ipLen + 3);
      return {
        routeType,
        rd: routeDistinguisher(b, off),
        esi: colonHex(b, off + 8, 10),
        ethernetTag: dv.getUint32(off + 18),
        mac: colonHex(b, off + 23, 6),
        ip: ipOfBits(b, off + 30, ipBits, off + 29) || undefined,
        labels: labelsFrom(b, off + 30 + ipLen, end),
      };
    }
    case 3: {
      need(13);
      const ipBits = b[off + 12];
      need(13 + (ipBits >> 3));
      return {
        routeType,
        rd: routeDistinguisher(b, off),
        ethernetTag: dv.getUint32(off + 8),
        ip: ipOfBits(b, off + 13, ipBits, off + 12),
      };
    }
    case 4: {
      need(19);
      const ipBits = b[off + 18];
      need(19 + (ipBits >> 3));
      return {
        routeType,
        rd: routeDistinguisher(b, off),
        esi: colonHex(b, off + 8, 10),
        ip: ipOfBits(b, off + 19, ipBits, off + 18),
      };
    }
    case 5: {
      // The address family is implied by the total length: 34 (IPv4) or 58 (IPv6).
      if (len !== 34 && len !== 58) {
        throw new DecodeError(
          "bad-length",
          off,
          `Cannot decode EVPN IP prefix route: length ${len}`,
        );
      }
      const v6 = len === 58;
      const alen = v6 ? 16 : 4;
      const bits = b[off + 22];
      if (bits > alen * 8) {
        throw new DecodeError("bad-length", off + 22, `Cannot decode EVPN prefix length ${bits}`);
      }
      return {
        routeType,
        rd: routeDistinguisher(b, off),
        esi: colonHex(b, off + 8, 10),
        ethernetTag: dv.getUint32(off + 18),
        prefix: prefixText(v6 ? 2 : 1, b, off + 23, bits),
        gateway: ipAddress(b, off + 23 + alen, alen),
        labels: labelsFrom(b, off + 23 + 2 * alen, end),
      };
    }
    default:
      return { routeType, raw: hex(b.subarray(off, end)) };
  }
}

/** Reads EVPN NLRI from `r` up to `r.end` into `out`. */
export function decodeEvpnNlri(r: WireReader, addPath: boolean, out: Nlri[]): void {
  const b = r.bytes;
  while (r.pos < r.end) {
    const pathId = addPath ? r.u32() : undefined;
    const routeType = r.u8();
    const len = r.u8();
    r.need(len);
    const evpn = decodeEvpnRoute(b, r.pos, r.pos + len, routeType);
    r.pos += len;
    let prefix = "";
    if (evpn.prefix) prefix = evpn.prefix;
    else if (routeType === 2 && evpn.ip) {
      prefix = evpn.ip + (evpn.ip.includes(":") ? "/128" : "/32");
    }
    const nlri: Nlri = { prefix, rd: evpn.rd, evpn };
    if (pathId !== undefined) nlri.pathId = pathId;
    out.push(nlri);
  }
}

/** A string that identifies an EVPN route (RFC 7432 §7: the fields that make the key). */
export function evpnRouteKey(e: EvpnRoute): string {
  switch (e.routeType) {
    case 1:
      return `1|${e.rd}|${e.esi}|${e.ethernetTag}`;
    case 2:
      return `2|${e.rd}|${e.ethernetTag}|${e.mac}|${e.ip ?? ""}`;
    case 3:
      return `3|${e.rd}|${e.ethernetTag}|${e.ip}`;
    case 4:
      return `4|${e.rd}|${e.esi}|${e.ip}`;
    case 5:
      return `5|${e.rd}|${e.ethernetTag}|${e.prefix}`;
    default:
      return `${e.routeType}|${e.raw}`;
  }
}
