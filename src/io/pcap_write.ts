/**
 * Minimal pcap writer: TCP payloads as raw IPv4/IPv6 packets (link type 101), one segment
 * per payload, so that a dissector such as tshark sees one BMP message per packet.
 *
 * @module
 */

/** One payload to send as a TCP segment from `src:srcPort` to `dst:dstPort`. */
export interface PcapPacket {
  /** Source address, IPv4 or IPv6 text (same family as `dst`). */
  src: string;
  /** Destination address. */
  dst: string;
  /** Source TCP port. */
  srcPort: number;
  /** Destination TCP port. */
  dstPort: number;
  /** TCP payload; split into several segments when longer than {@linkcode MAX_SEGMENT}. */
  payload: Uint8Array;
  /** Capture time in seconds since the epoch; default: 1 µs after the previous packet. */
  timestamp?: number;
}

/** Largest payload per segment: an IPv4 total length (20 + 20 + payload) must fit 16 bits. */
export const MAX_SEGMENT = 65495;

const LINKTYPE_RAW = 101;
const SYN = 0x02;
const PSH_ACK = 0x18;
const ACK = 0x10;

interface Segment {
  src: Uint8Array;
  dst: Uint8Array;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  payload: Uint8Array;
  ts: number;
}

/**
 * Writes TCP payloads as a classic little-endian pcap with link type raw IP (101).
 *
 * Each new connection (a 4-tuple seen in neither direction) opens with a SYN, SYN-ACK, ACK
 * handshake, and sequence and acknowledgement numbers advance per direction, so
 * dissectors reassemble the streams. IPv4 header checksums are set, TCP checksums too.
 *
 * @param packets payloads in capture order
 * @returns the pcap file bytes
 * @throws Error for an unparsable address or mixed IPv4/IPv6 endpoints
 *
 * @example
 * ```ts
 * import { writePcap } from "./pcap_write.ts";
 * const pcap = writePcap([
 *   { src: "2001:db8::1", srcPort: 40000, dst: "2001:db8::2", dstPort: 1790, payload: new Uint8Array(10) },
 * ]);
 * // file header + 3 handshake packets + 1 data packet, each 16 + 40 + 20 bytes + payload
 * if (pcap.length !== 24 + 4 * 76 + 10) throw new Error("unexpected");
 * ```
 */
export function writePcap(packets: PcapPacket[]): Uint8Array<ArrayBuffer> {
  const segments: Segment[] = [];
  const next = new Map<string, number>(); // next sequence number per direction
  let clock = 0;
  let conns = 0;
  for (const p of packets) {
    const src = parseAddress(p.src);
    const dst = parseAddress(p.dst);
    if (src.length !== dst.length) {
      throw new Error(`Cannot write pcap: ${p.src} and ${p.dst} are not the same family`);
    }
    const fwd = `${p.src} ${p.srcPort} ${p.dst} ${p.dstPort}`;
    const rev = `${p.dst} ${p.dstPort} ${p.src} ${p.srcPort}`;
    for (const port of [p.srcPort, p.dstPort]) {
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new Error(`Cannot write pcap: bad TCP port ${port}`);
      }
    }
    if (p.timestamp !== undefined) clock = p.timestamp;
    const out = { src, dst, srcPort: p.srcPort, dstPort: p.dstPort };
    const back = { src: dst, dst: src, srcPort: p.dstPort, dstPort: p.srcPort };
    const send = (ends: typeof out, seq: number, ack: number, flags: number, payload: Uint8Array) =>
      segments.push({ ...ends, seq, ack, flags, payload, ts: p.timestamp ?? (clock += 1e-6) });
    if (!next.has(fwd)) {
      // Fixed, distinct ISNs keep the output deterministic.
      const isnA = (0x10000000 + conns * 0x01000193) >>> 0;
      const isnB = (0x80000000 + conns * 0x01000193) >>> 0;
      conns++;
      send(out, isnA, 0, SYN, EMPTY);
      send(back, isnB, (isnA + 1) >>> 0, SYN | ACK, EMPTY);
      send(out, (isnA + 1) >>> 0, (isnB + 1) >>> 0, ACK, EMPTY);
      next.set(fwd, (isnA + 1) >>> 0);
      next.set(rev, (isnB + 1) >>> 0);
    }
    for (let off = 0; off < p.payload.length; off += MAX_SEGMENT) {
      const chunk = p.payload.subarray(off, off + MAX_SEGMENT);
      const seq = next.get(fwd)!;
      send(out, seq, next.get(rev)!, PSH_ACK, chunk);
      next.set(fwd, (seq + chunk.length) >>> 0);
    }
  }
  return encode(segments);
}

const EMPTY = new Uint8Array(0);

/** Lays out the file once all sizes are known. */
function encode(segments: Segment[]): Uint8Array<ArrayBuffer> {
  let size = 24;
  for (const s of segments) size += 16 + (s.src.length === 4 ? 20 : 40) + 20 + s.payload.length;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, 262144, true);
  v.setUint32(20, LINKTYPE_RAW, true);
  let off = 24;
  let ipId = 0;
  for (const s of segments) {
    const v4 = s.src.length === 4;
    const tcpLen = 20 + s.payload.length;
    const ipLen = (v4 ? 20 : 40) + tcpLen;
    const sec = Math.floor(s.ts);
    v.setUint32(off, sec, true);
    v.setUint32(off + 4, Math.min(999999, Math.round((s.ts - sec) * 1e6)), true);
    v.setUint32(off + 8, ipLen, true);
    v.setUint32(off + 12, ipLen, true);
    const ip = off + 16;
    if (v4) {
      v.setUint8(ip, 0x45);
      v.setUint16(ip + 2, ipLen);
      v.setUint16(ip + 4, ipId++ & 0xffff);
      v.setUint16(ip + 6, 0x4000); // don't fragment
      v.setUint8(ip + 8, 64);
      v.setUint8(ip + 9, 6);
      out.set(s.src, ip + 12);
      out.set(s.dst, ip + 16);
      v.setUint16(ip + 10, ~sum16(out, ip, ip + 20, 0) & 0xffff);
    } else {
      v.setUint32(ip, 0x60000000);
      v.setUint16(ip + 4, tcpLen);
      v.setUint8(ip + 6, 6);
      v.setUint8(ip + 7, 64);
      out.set(s.src, ip + 8);
      out.set(s.dst, ip + 24);
    }
    const t = ip + (v4 ? 20 : 40);
    v.setUint16(t, s.srcPort);
    v.setUint16(t + 2, s.dstPort);
    v.setUint32(t + 4, s.seq);
    v.setUint32(t + 8, s.ack);
    v.setUint8(t + 12, 5 << 4);
    v.setUint8(t + 13, s.flags);
    v.setUint16(t + 14, 65535);
    out.set(s.payload, t + 20);
    // RFC 793 pseudo-header: addresses, protocol, TCP length.
    let pseudo = 6 + tcpLen;
    pseudo = sum16(s.src, 0, s.src.length, pseudo);
    pseudo = sum16(s.dst, 0, s.dst.length, pseudo);
    v.setUint16(t + 16, ~sum16(out, t, t + tcpLen, pseudo) & 0xffff);
    off = t + tcpLen;
  }
  return out;
}

/** One's-complement sum of big-endian 16-bit words, folded to 16 bits. */
function sum16(b: Uint8Array, start: number, end: number, init: number): number {
  let sum = init;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (i < end) sum += b[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum;
}

/** Parses IPv4 dotted-quad or IPv6 text (with `::` and a trailing IPv4) into bytes. */
function parseAddress(text: string): Uint8Array {
  const bad = () => new Error(`Cannot write pcap: bad address ${JSON.stringify(text)}`);
  if (!text.includes(":")) {
    const parts = text.split(".");
    if (parts.length !== 4) throw bad();
    return new Uint8Array(parts.map((x) => {
      if (!/^\d{1,3}$/.test(x) || Number(x) > 255) throw bad();
      return Number(x);
    }));
  }
  const halves = text.split("::");
  if (halves.length > 2) throw bad();
  const groups = (s: string): number[] => {
    if (s === "") return [];
    const out: number[] = [];
    for (const g of s.split(":")) {
      if (g.includes(".")) {
        const v4 = parseAddress(g);
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
        out.push(parseInt(g, 16));
      } else {
        throw bad();
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) throw bad();
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 255;
  });
  return out;
}
