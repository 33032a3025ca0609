/**
 * EXTENDED_COMMUNITIES (RFC 4360) with the common types named: route target and route
 * origin (RFC 4360 §4, RFC 5668), EVPN (RFC 7432 §7.5-7.7, RFC 9135), encapsulation
 * (RFC 9012), link bandwidth, OSPF domain / route type (RFC 4577), flowspec actions
 * (RFC 8955 §7: traffic-rate, traffic-rate-packets, traffic-action, redirect to an AS2,
 * IPv4 or AS4 route target, traffic-marking). Others keep their type, sub-type and value
 * in hex.
 *
 * ```text
 * Type high (1) | Sub-type (1) | Value (6)      (I bit 0x80, T bit 0x40 in Type high)
 * ```
 *
 * @module
 */

import { hex, ipv4 } from "../../wire/ip.ts";

const HEX2 = Array.from({ length: 256 }, (_, i) => (i < 16 ? "0" : "") + i.toString(16));

/**
 * Decodes the 8-byte extended community at `off` into its text form, e.g. `rt:65000:100`,
 * `soo:192.0.2.1:7`, `mac-mobility:seq=3`, `router-mac:00:11:22:33:44:55`, `encap:vxlan`,
 * or `0x0102:030405060708` for an unknown type.
 */
export function extendedCommunityText(b: Uint8Array, off: number): string {
  const dv = new DataView(b.buffer, b.byteOffset);
  const type = b[off] & 0xbf; // the T bit does not change the meaning of the value
  const sub = b[off + 1];
  switch (type) {
    case 0x00: // two-octet AS specific
      if (sub === 0x02) return `rt:${dv.getUint16(off + 2)}:${dv.getUint32(off + 4)}`;
      if (sub === 0x03) return `soo:${dv.getUint16(off + 2)}:${dv.getUint32(off + 4)}`;
      if (sub === 0x05) return `ospf-domain:${dv.getUint16(off + 2)}:${dv.getUint32(off + 4)}`;
      if (sub === 0x08) {
        return `bgp-data-collection:${dv.getUint16(off + 2)}:${dv.getUint32(off + 4)}`;
      }
      if (sub === 0x09) return `source-as:${dv.getUint16(off + 2)}:${dv.getUint32(off + 4)}`;
      if (sub === 0x0a) return `l2vpn-id:${dv.getUint16(off + 2)}:${dv.getUint32(off + 4)}`;
      if (sub === 0x04) return `link-bandwidth:${dv.getUint16(off + 2)}:${dv.getFloat32(off + 4)}`;
      break;
    case 0x01: // IPv4 address specific
      if (sub === 0x02) return `rt:${ipv4(b, off + 2)}:${dv.getUint16(off + 6)}`;
      if (sub === 0x03) return `soo:${ipv4(b, off + 2)}:${dv.getUint16(off + 6)}`;
      if (sub === 0x05) return `ospf-domain:${ipv4(b, off + 2)}:${dv.getUint16(off + 6)}`;
      if (sub === 0x07) return `ospf-router-id:${ipv4(b, off + 2)}:${dv.getUint16(off + 6)}`;
      if (sub === 0x0b) return `vrf-import:${ipv4(b, off + 2)}:${dv.getUint16(off + 6)}`;
      break;
    case 0x02: // four-octet AS specific
      if (sub === 0x02) return `rt:${dv.getUint32(off + 2)}:${dv.getUint16(off + 6)}`;
      if (sub === 0x03) return `soo:${dv.getUint32(off + 2)}:${dv.getUint16(off + 6)}`;
      if (sub === 0x05) return `ospf-domain:${dv.getUint32(off + 2)}:${dv.getUint16(off + 6)}`;
      break;
    case 0x03: // opaque
      if (sub === 0x0c) {
        return `encap:${ENCAP_NAMES[dv.getUint16(off + 6)] ?? dv.getUint16(off + 6)}`;
      }
      if (sub === 0x0b) return `color:${dv.getUint32(off + 4)}`;
      if (sub === 0x0d) return `default-gateway`;
      break;
    case 0x06: // EVPN
      if (sub === 0x00) {
        const sticky = (b[off + 2] & 1) === 1;
        return `mac-mobility:seq=${dv.getUint32(off + 4)}${sticky ? ",sticky" : ""}`;
      }
      if (sub === 0x01) {
        const label = ((b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7]) >>> 4;
        return `esi-label:${
          (b[off + 2] & 1) === 1 ? "single-active" : "all-active"
        },label=${label}`;
      }
      if (sub === 0x02) return `es-import-rt:${macText(b, off + 2)}`;
      if (sub === 0x03) return `router-mac:${macText(b, off + 2)}`;
      if (sub === 0x04) {
        return `l2-attr:flags=${dv.getUint16(off + 2)},mtu=${dv.getUint16(off + 4)}`;
      }
      if (sub === 0x06) return `df-election:alg=${b[off + 2]}`;
      break;
    case 0x0c: // MUP (draft-mpmz-bess-mup-safi §3.2): Direct Segment Identifier
      if (sub === 0x00) return `mup:${dv.getUint16(off + 2)}:${dv.getUint32(off + 4)}`;
      break;
    case 0x80: // flowspec actions (RFC 8955 §7): rates in bytes (0x06) or packets (0x0c) per s
      if (sub === 0x06) return `traffic-rate:${dv.getUint16(off + 2)}:${dv.getFloat32(off + 4)}`;
      if (sub === 0x0c) {
        return `traffic-rate-packets:${dv.getUint16(off + 2)}:${dv.getFloat32(off + 4)}`;
      }
      if (sub === 0x07) return `traffic-action:${trafficActionText(b[off + 7])}`;
      if (sub === 0x08) return `redirect:${dv.getUint16(off + 2)}:${dv.getUint32(off + 4)}`;
      if (sub === 0x09) return `traffic-marking:${b[off + 7] & 0x3f}`;
      break;
    case 0x81: // flowspec redirect, IPv4 address specific (RFC 8955 §7.4)
      if (sub === 0x08) return `redirect:${ipv4(b, off + 2)}:${dv.getUint16(off + 6)}`;
      break;
    case 0x82: // flowspec redirect, four-octet AS specific (RFC 8955 §7.4)
      if (sub === 0x08) return `redirect:${dv.getUint32(off + 2)}:${dv.getUint16(off + 6)}`;
      break;
  }
  return `0x${HEX2[b[off]]}${HEX2[sub]}:${hex(b.subarray(off + 2, off + 8))}`;
}

/** Traffic-action flags (RFC 8955 §7.3): S (sample, 0x02) and T (terminal, 0x01). */
function trafficActionText(v: number): string {
  const s = (v & 2 ? ["sample"] : []).concat(v & 1 ? ["terminal"] : []).join(",");
  return s || "none";
}

function macText(b: Uint8Array, off: number): string {
  let s = HEX2[b[off]];
  for (let i = 1; i < 6; i++) s += ":" + HEX2[b[off + i]];
  return s;
}

/** Tunnel types of the encapsulation extended community (IANA "BGP Tunnel Encapsulation Attribute Tunnel Types"). */
const ENCAP_NAMES: Record<number, string> = {
  1: "l2tpv3",
  2: "gre",
  7: "ip-in-ip",
  8: "vxlan",
  9: "nvgre",
  10: "mpls",
  11: "mpls-in-gre",
  12: "vxlan-gpe",
  13: "mpls-in-udp",
  19: "geneve",
};

/** Decodes every 8-byte community in `b[off, end)`. */
export function decodeExtendedCommunities(b: Uint8Array, off: number, end: number): string[] {
  const out: string[] = [];
  for (let p = off; p + 8 <= end; p += 8) out.push(extendedCommunityText(b, p));
  return out;
}
