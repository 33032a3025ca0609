/**
 * Builders of the BMP (RFC 7854) and BGP (RFC 4271) messages `mrtToBmp()` sends: private
 * to `to_bmp.ts`.
 *
 * @module
 */

/** An MRT peer as the BMP session presents it. */
export interface Peer {
  address: string;
  afi: number;
  asn: number;
  bgpId: string;
  localAddress?: string;
  localAs?: number;
  asn4: boolean;
  families: Set<number>;
  addPath: Set<number>;
  up: boolean;
}

/** UTF-8 for the Initiation TLVs. */
export const enc = new TextEncoder();

/** The 4 or 16 bytes of an IPv4/IPv6 address in text (RFC 5952 or `::ffff:a.b.c.d`). */
export function addressBytes(text: string, afi: number): Uint8Array {
  const out = new Uint8Array(afi === 1 ? 4 : 16);
  if (afi === 1) {
    text.split(".").forEach((o, i) => out[i] = Number(o));
    return out;
  }
  let groups: string[];
  if (text.includes(".")) { // ::ffff:a.b.c.d
    const i = text.lastIndexOf(":");
    const v4 = addressBytes(text.slice(i + 1), 1);
    text = `${text.slice(0, i)}:${((v4[0] << 8) | v4[1]).toString(16)}:${
      ((v4[2] << 8) | v4[3]).toString(16)
    }`;
  }
  const [head, tail] = text.split("::");
  if (tail === undefined) groups = head.split(":");
  else {
    const h = head ? head.split(":") : [];
    const t = tail ? tail.split(":") : [];
    groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  }
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** An IP prefix NLRI (RFC 4271 §4.3) from CIDR text, with an Add-Path ID if given. */
export function prefixNlri(prefix: string, afi: number, pathId?: number): Uint8Array {
  const [addr, len] = prefix.split("/");
  const bits = Number(len);
  const a = addressBytes(addr, afi).subarray(0, (bits + 7) >> 3);
  const id = pathId === undefined ? 0 : 4;
  const out = new Uint8Array(id + 1 + a.length);
  if (pathId !== undefined) new DataView(out.buffer).setUint32(0, pathId);
  out[id] = bits;
  out.set(a, id + 1);
  return out;
}

/** Collects messages and joins them once at the end. */
export class Writer {
  readonly parts: Uint8Array[] = [];
  size = 0;
  push(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.length;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** The concatenation of byte arrays. */
export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A big-endian 16-bit field. */
export function u16(v: number): Uint8Array {
  return new Uint8Array([v >> 8, v & 0xff]);
}

/** A big-endian 32-bit field. */
export function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0);
  return b;
}

/** A BMP message: the v3 common header (RFC 7854 §4.1) and `body`. */
export function bmp(type: number, body: Uint8Array): Uint8Array {
  return cat(new Uint8Array([3]), u32(6 + body.length), new Uint8Array([type]), body);
}

/** A BGP message: marker, length and type (RFC 4271 §4.1), and `body`. */
export function bgp(type: number, body: Uint8Array): Uint8Array {
  const h = new Uint8Array(19).fill(0xff);
  h[16] = (19 + body.length) >> 8;
  h[17] = (19 + body.length) & 0xff;
  h[18] = type;
  return cat(h, body);
}

/** The per-peer header (RFC 7854 §4.2) of a global-instance peer, pre-policy. */
export function perPeer(p: Peer, sec: number, usec: number, asn4: boolean): Uint8Array {
  const b = new Uint8Array(42);
  b[1] = (p.afi === 2 ? 0x80 : 0) | (asn4 ? 0 : 0x20);
  b.set(addressBytes(p.address, p.afi), p.afi === 2 ? 10 : 22);
  const v = new DataView(b.buffer);
  v.setUint32(26, p.asn >>> 0);
  b.set(addressBytes(p.bgpId, 1), 30);
  v.setUint32(34, sec >>> 0);
  v.setUint32(38, usec >>> 0);
  return b;
}

/** An OPEN (RFC 4271 §4.2) with the capabilities the peer's records need. */
export function open(asn: number, bgpId: string, p: Peer): Uint8Array {
  const caps: number[] = [];
  const afiSafi = (k: number) => [(k >>> 24) & 0xff, (k >>> 16) & 0xff, k & 0xff];
  for (const k of p.families) {
    const [hi, lo, safi] = afiSafi(k);
    caps.push(1, 4, hi, lo, 0, safi);
  }
  if (p.asn4) caps.push(65, 4, ...u32(asn));
  caps.push(6, 0); // extended message (RFC 8654): RIB entries can exceed 4096 bytes
  if (p.addPath.size) {
    caps.push(69, 4 * p.addPath.size);
    for (const k of p.addPath) caps.push(...afiSafi(k), 3); // send/receive
  }
  const params = [2, caps.length, ...caps];
  return bgp(
    1,
    cat(
      new Uint8Array([4]),
      u16(asn > 0xffff ? 23456 : asn),
      u16(180),
      addressBytes(bgpId, 1),
      new Uint8Array([params.length, ...params]),
    ),
  );
}

/** A family key: AFI in the upper 16 bits, SAFI in the lower 8 (the OPENs are written
 * from it). */
export const fam = (afi: number, safi: number) => afi * 65536 + safi;

/** An UPDATE without withdrawals: `attrs` and the IPv4 `nlri` field. */
export function update(attrs: Uint8Array, nlri: Uint8Array): Uint8Array {
  return bgp(2, cat(u16(0), u16(attrs.length), attrs, nlri));
}
