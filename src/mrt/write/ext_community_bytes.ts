/**
 * The 8 bytes of an extended community (RFC 4360) from the text form the decoder gives it
 * (src/bgp/attributes/extended_communities.ts), so that a stored set can be written back
 * as BGP attributes.
 *
 * The text form drops the T (non-transitive) bit, and `rt:A:N` with A < 65536 and N <
 * 65536 reads the same from a two-octet and a four-octet AS specific community. Such a
 * community is written as the two-octet type: decoding it again gives the same text,
 * which is what the export promises.
 *
 * @module
 */

const ENCAP_TYPES: Record<string, number> = {
  "l2tpv3": 1,
  "gre": 2,
  "ip-in-ip": 7,
  "vxlan": 8,
  "nvgre": 9,
  "mpls": 10,
  "mpls-in-gre": 11,
  "vxlan-gpe": 12,
  "mpls-in-udp": 13,
  "geneve": 19,
};

/** Named forms `name:A:N` whose first part is an AS or an IPv4 address. */
const AS_OR_IP: Record<string, number> = {
  "rt": 0x02,
  "soo": 0x03,
  "ospf-domain": 0x05,
};
/** Named two-octet AS specific forms. */
const AS2_ONLY: Record<string, number> = {
  "bgp-data-collection": 0x08,
  "source-as": 0x09,
  "l2vpn-id": 0x0a,
};
/** Named IPv4 address specific forms. */
const IP_ONLY: Record<string, number> = { "ospf-router-id": 0x07, "vrf-import": 0x0b };

/**
 * Returns the 8 bytes of extended community `text`, or undefined for a form this module
 * does not know (the export then says so).
 */
export function extendedCommunityBytes(text: string): Uint8Array | undefined {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  const hexForm = /^0x([0-9a-f]{2})([0-9a-f]{2}):([0-9a-f]{12})$/.exec(text);
  if (hexForm) {
    b[0] = parseInt(hexForm[1], 16);
    b[1] = parseInt(hexForm[2], 16);
    for (let i = 0; i < 6; i++) b[2 + i] = parseInt(hexForm[3].slice(2 * i, 2 * i + 2), 16);
    return b;
  }
  const colon = text.indexOf(":");
  const name = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? "" : text.slice(colon + 1);
  if (name in AS_OR_IP || name in AS2_ONLY || name in IP_ONLY) {
    const last = rest.lastIndexOf(":");
    const [g, l] = [rest.slice(0, last), Number(rest.slice(last + 1))];
    b[1] = AS_OR_IP[name] ?? AS2_ONLY[name] ?? IP_ONLY[name];
    if (g.includes(".")) {
      if (name in AS2_ONLY || !ipv4Into(b, 2, g)) return undefined;
      b[0] = 0x01;
      dv.setUint16(6, l);
    } else if (name in IP_ONLY) {
      return undefined;
    } else if (Number(g) < 65536) {
      dv.setUint16(2, Number(g)); // (also a four-octet AS below 65536: the same text)
      dv.setUint32(4, l);
    } else if (name in AS2_ONLY) {
      return undefined;
    } else {
      b[0] = 0x02;
      dv.setUint32(2, Number(g));
      dv.setUint16(6, l);
    }
    return b;
  }
  const nums = rest.split(":");
  switch (name) {
    case "link-bandwidth":
      b[1] = 0x04;
      dv.setUint16(2, Number(nums[0]));
      dv.setFloat32(4, Number(nums[1]));
      return b;
    case "encap":
      b[0] = 0x03, b[1] = 0x0c;
      dv.setUint16(6, ENCAP_TYPES[rest] ?? Number(rest));
      return b;
    case "color":
      b[0] = 0x03, b[1] = 0x0b;
      dv.setUint32(4, Number(rest));
      return b;
    case "default-gateway":
      b[0] = 0x03, b[1] = 0x0d;
      return b;
    case "mup":
      b[0] = 0x0c;
      dv.setUint16(2, Number(nums[0]));
      dv.setUint32(4, Number(nums[1]));
      return b;
    case "traffic-rate":
    case "traffic-rate-packets":
      b[0] = 0x80, b[1] = name === "traffic-rate" ? 0x06 : 0x0c;
      dv.setUint16(2, Number(nums[0]));
      dv.setFloat32(4, Number(nums[1]));
      return b;
    case "traffic-action":
      b[0] = 0x80, b[1] = 0x07;
      b[7] = (rest.includes("sample") ? 2 : 0) | (rest.includes("terminal") ? 1 : 0);
      return b;
    case "traffic-marking":
      b[0] = 0x80, b[1] = 0x09;
      b[7] = Number(rest);
      return b;
    case "redirect": {
      b[1] = 0x08;
      const last = rest.lastIndexOf(":");
      const [g, l] = [rest.slice(0, last), Number(rest.slice(last + 1))];
      if (g.includes(".")) {
        if (!ipv4Into(b, 2, g)) return undefined;
        b[0] = 0x81;
        dv.setUint16(6, l);
      } else if (Number(g) < 65536) {
        b[0] = 0x80;
        dv.setUint16(2, Number(g));
        dv.setUint32(4, l);
      } else {
        b[0] = 0x82;
        dv.setUint32(2, Number(g));
        dv.setUint16(6, l);
      }
      return b;
    }
    case "mac-mobility": {
      b[0] = 0x06;
      const seq = /seq=(\d+)/.exec(rest);
      if (!seq) return undefined;
      b[2] = rest.endsWith(",sticky") ? 1 : 0;
      dv.setUint32(4, Number(seq[1]));
      return b;
    }
    case "esi-label": {
      b[0] = 0x06, b[1] = 0x01;
      const label = /label=(\d+)/.exec(rest);
      if (!label) return undefined;
      b[2] = rest.startsWith("single-active") ? 1 : 0;
      const v = Number(label[1]) << 4;
      b[5] = (v >>> 16) & 0xff, b[6] = (v >>> 8) & 0xff, b[7] = v & 0xff;
      return b;
    }
    case "es-import-rt":
    case "router-mac": {
      b[0] = 0x06, b[1] = name === "es-import-rt" ? 0x02 : 0x03;
      const mac = rest.split(":");
      if (mac.length !== 6) return undefined;
      for (let i = 0; i < 6; i++) b[2 + i] = parseInt(mac[i], 16);
      return b;
    }
    case "l2-attr": {
      b[0] = 0x06, b[1] = 0x04;
      const m = /flags=(\d+),mtu=(\d+)/.exec(rest);
      if (!m) return undefined;
      dv.setUint16(2, Number(m[1]));
      dv.setUint16(4, Number(m[2]));
      return b;
    }
    case "df-election": {
      const alg = /alg=(\d+)/.exec(rest);
      if (!alg) return undefined;
      b[0] = 0x06, b[1] = 0x06, b[2] = Number(alg[1]);
      return b;
    }
  }
  return undefined;
}

function ipv4Into(b: Uint8Array, off: number, text: string): boolean {
  const parts = text.split(".");
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) b[off + i] = Number(parts[i]);
  return true;
}
