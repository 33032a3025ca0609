/**
 * Capture file reader: classic pcap and pcapng, decoded down to TCP and reassembled into
 * one contiguous byte stream per direction of each connection.
 *
 * Pure TypeScript over one `Uint8Array`: segment payloads stay `subarray`s of the input
 * and each stream is concatenated once, at the end.
 *
 * @module
 */

import { ipv4, ipv6 } from "../wire/ip.ts";
import { TcpStream } from "./_tcp_stream.ts";
import { etherFamily, skipMpls } from "./link_layer.ts";

/** One direction of one TCP connection, reassembled in sequence-number order. */
export interface TcpFlow {
  /** Source address as text (IPv4 dotted quad or RFC 5952 IPv6). */
  src: string;
  /** Source TCP port. */
  srcPort: number;
  /** Destination address as text. */
  dst: string;
  /** Destination TCP port. */
  dstPort: number;
  /** The reassembled byte stream; bytes in `gaps` are absent, not zero-filled. */
  data: Uint8Array;
  /** Holes in the stream: `offset` in `data` where `missing` bytes were never captured. */
  gaps: { offset: number; missing: number }[];
  /** TCP packets seen in this direction (including SYN and pure ACKs). */
  packets: number;
  /** Capture time of the first packet, seconds since the epoch. */
  firstTimestamp: number;
}

/** What {@linkcode readPcap} found in a capture file. */
export interface PcapReadResult {
  /** Flows with payload, in order of their first packet. */
  flows: TcpFlow[];
  /** Packet records in the file, including skipped ones. */
  packets: number;
  /** Packets not used for reassembly, by reason. */
  skipped: { nonTcp: number; fragments: number; unsupportedLinkType: number; truncated: number };
}

const PCAP_US = 0xa1b2c3d4;
const PCAP_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
/** libpcap's largest snaplen (256 KiB): a longer record means a corrupt record header. */
const MAX_RECORD = 0x40000;
const TCP_SYN = 0x02;

/**
 * Tells whether `bytes` starts with a classic pcap (either byte order, micro- or
 * nanosecond) or a pcapng Section Header Block.
 *
 * @param bytes the start of a file (at least 12 bytes for pcapng)
 * @returns true for pcap or pcapng magic
 *
 * @example
 * ```ts
 * import { isPcap } from "./pcap.ts";
 * if (!isPcap(new Uint8Array([0xd4, 0xc3, 0xb2, 0xa1]))) throw new Error("unexpected");
 * if (isPcap(new Uint8Array([3, 0, 0, 0, 6, 4]))) throw new Error("unexpected");
 * ```
 */
export function isPcap(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const be = v.getUint32(0);
  const le = v.getUint32(0, true);
  if (be === PCAP_US || be === PCAP_NS || le === PCAP_US || le === PCAP_NS) return true;
  if (be !== PCAPNG_SHB || bytes.length < 12) return false;
  const bom = v.getUint32(8, true);
  return bom === PCAPNG_BOM || v.getUint32(8) === PCAPNG_BOM;
}

/**
 * Reads a pcap or pcapng capture and reassembles every TCP connection, each direction
 * separately (keyed by source address and port, destination address and port).
 *
 * Link types: Ethernet (1, with 802.1Q/802.1ad tags and MPLS), raw IP (101, 228, 229),
 * Linux SLL (113) and SLL2 (276), BSD NULL (0) and LOOP (108). Retransmitted and
 * overlapping bytes keep their first captured copy; a capture that starts mid-stream
 * begins at the lowest sequence number seen (wrap-aware); missing bytes become `gaps`.
 * A new SYN with another ISN on the same 4-tuple starts a new flow (port reuse).
 *
 * @param bytes the whole capture file
 * @returns flows with payload, in order of first packet, and packet counters
 * @throws Error if the file is not pcap/pcapng or its record structure is corrupt; a
 * truncated final record is counted in `skipped.truncated` instead
 *
 * @example
 * ```ts
 * import { readPcap } from "./pcap.ts";
 * import { writePcap } from "./pcap_write.ts";
 * const payload = new Uint8Array([3, 0, 0, 0, 6, 4]);
 * const pcap = writePcap([
 *   { src: "192.0.2.1", srcPort: 40000, dst: "192.0.2.2", dstPort: 1790, payload },
 * ]);
 * const { flows } = readPcap(pcap);
 * if (flows.length !== 1 || flows[0].data.length !== 6) throw new Error("unexpected");
 * ```
 */
export function readPcap(bytes: Uint8Array): PcapReadResult {
  if (!isPcap(bytes)) throw new Error("Cannot read capture: not a pcap or pcapng file");
  const cap = new Decoder(bytes);
  if (cap.view.getUint32(0) === PCAPNG_SHB) readPcapng(cap);
  else readClassic(cap);
  const flows: TcpFlow[] = [];
  for (const s of cap.streams) {
    const f = s.finish();
    if (f.data.length > 0) flows.push(f);
  }
  return { flows, packets: cap.packets, skipped: cap.skipped };
}

/** Classic libpcap: 24-byte file header, then 16-byte record headers. */
function readClassic(cap: Decoder): void {
  const { bytes, view } = cap;
  const magic = view.getUint32(0);
  const le = magic !== PCAP_US && magic !== PCAP_NS;
  const div = view.getUint32(0, le) === PCAP_NS ? 1e9 : 1e6;
  if (bytes.length < 24) throw new Error("Cannot read pcap: file header truncated");
  const snaplen = view.getUint32(16, le);
  // The upper bits of the link-type field carry FCS information (pcap spec §4).
  const link = view.getUint32(20, le) & 0xffff;
  const maxRecord = Math.max(snaplen, MAX_RECORD);
  let off = 24;
  while (off < bytes.length) {
    if (bytes.length - off < 16) {
      cap.packets++;
      cap.skipped.truncated++;
      break;
    }
    const ts = view.getUint32(off, le) + view.getUint32(off + 4, le) / div;
    const incl = view.getUint32(off + 8, le);
    if (incl > maxRecord) {
      throw new Error(`Cannot read pcap: record at offset ${off} has length ${incl}`);
    }
    const start = off + 16;
    if (start + incl > bytes.length) {
      cap.packets++;
      cap.skipped.truncated++;
      break;
    }
    cap.packet(link, start, start + incl, ts);
    off = start + incl;
  }
}

interface Interface {
  link: number;
  /** Timestamp units per second (if_tsresol). */
  div: number;
  /** Seconds added to every timestamp (if_tsoffset). */
  offset: number;
}

/** pcapng: a sequence of sections, each an SHB followed by IDBs and packet blocks. */
function readPcapng(cap: Decoder): void {
  const { bytes, view } = cap;
  let le = true;
  let ifaces: Interface[] = [];
  let lastTs = 0;
  let off = 0;
  while (off < bytes.length) {
    if (bytes.length - off < 12) {
      cap.packets++;
      cap.skipped.truncated++;
      break;
    }
    // The SHB type reads the same in both byte orders.
    const type = view.getUint32(off, le);
    if (type === PCAPNG_SHB) {
      // Each section declares its own byte order and interface list.
      if (view.getUint32(off + 8, true) === PCAPNG_BOM) le = true;
      else if (view.getUint32(off + 8) === PCAPNG_BOM) le = false;
      else throw new Error(`Cannot read pcapng: bad byte-order magic at offset ${off}`);
      ifaces = [];
    }
    const len = view.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0) {
      throw new Error(`Cannot read pcapng: block at offset ${off} has length ${len}`);
    }
    if (off + len > bytes.length) {
      cap.packets++;
      cap.skipped.truncated++;
      break;
    }
    if (view.getUint32(off + len - 4, le) !== len) {
      throw new Error(`Cannot read pcapng: block at offset ${off} has a mismatched trailer`);
    }
    const body = off + 8;
    const bodyEnd = off + len - 4;
    if (type === 1) {
      ifaces.push(readIdb(view, body, bodyEnd, le));
    } else if (type === 6 || type === 2) {
      // Enhanced Packet Block, or the obsolete Packet Block (16-bit interface id).
      if (bodyEnd - body < 20) throw new Error(`Cannot read pcapng: short packet block at ${off}`);
      const id = type === 6 ? view.getUint32(body, le) : view.getUint16(body, le);
      const iface = ifaces[id];
      if (!iface) throw new Error(`Cannot read pcapng: packet at ${off} names interface ${id}`);
      const incl = view.getUint32(body + 12, le);
      if (body + 20 + incl > bodyEnd) {
        throw new Error(`Cannot read pcapng: packet at offset ${off} overruns its block`);
      }
      const units = view.getUint32(body + 4, le) * 4294967296 + view.getUint32(body + 8, le);
      lastTs = units / iface.div + iface.offset;
      cap.packet(iface.link, body + 20, body + 20 + incl, lastTs);
    } else if (type === 3) {
      // Simple Packet Block: interface 0, no timestamp (keep the previous one).
      if (!ifaces[0]) throw new Error(`Cannot read pcapng: packet at ${off} before any interface`);
      const incl = Math.min(view.getUint32(body, le), bodyEnd - body - 4);
      cap.packet(ifaces[0].link, body + 4, body + 4 + incl, lastTs);
    }
    off += len;
  }
}

/** Interface Description Block: link type plus the timestamp options. */
function readIdb(view: DataView, body: number, end: number, le: boolean): Interface {
  const iface: Interface = { link: view.getUint16(body, le), div: 1e6, offset: 0 };
  let p = body + 8;
  while (p + 4 <= end) {
    const code = view.getUint16(p, le);
    const len = view.getUint16(p + 2, le);
    if (code === 0 || p + 4 + len > end) break;
    if (code === 9 && len >= 1) {
      const r = view.getUint8(p + 4);
      iface.div = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
    } else if (code === 14 && len >= 8) {
      iface.offset = Number(view.getBigInt64(p + 4, le));
    }
    p += 4 + ((len + 3) & ~3);
  }
  return iface;
}

/** Per-file state: link, IP and TCP decoding into per-direction streams. */
class Decoder {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Streams in order of first packet, including finished ones (port reuse). */
  readonly streams: TcpStream[] = [];
  /** The current stream of each 4-tuple. */
  readonly #byKey = new Map<string, TcpStream>();
  packets = 0;
  readonly skipped = { nonTcp: 0, fragments: 0, unsupportedLinkType: 0, truncated: 0 };

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Decodes one captured frame at `bytes[off, end)`. */
  packet(link: number, off: number, end: number, ts: number): void {
    this.packets++;
    const { bytes, view, skipped } = this;
    let p: number;
    let family = 0; // 0: decide by the IP version nibble
    switch (link) {
      case 1: {
        p = off + 14;
        if (p > end) return void skipped.truncated++;
        let type = view.getUint16(off + 12);
        // 802.1Q, 802.1ad and the pre-standard QinQ tag all carry the real type after 4 bytes.
        while (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
          if (p + 4 > end) return void skipped.truncated++;
          type = view.getUint16(p + 2);
          p += 4;
        }
        family = etherFamily(type);
        break;
      }
      case 101:
        p = off;
        break;
      case 228:
      case 229:
        p = off;
        family = link === 228 ? 4 : 6;
        break;
      case 113:
        p = off + 16;
        if (p > end) return void skipped.truncated++;
        family = etherFamily(view.getUint16(off + 14));
        break;
      case 276:
        p = off + 20;
        if (p > end) return void skipped.truncated++;
        family = etherFamily(view.getUint16(off));
        break;
      case 0:
      case 108:
        // The 4-byte address family is in host or network order and its IPv6 value
        // differs per OS, so the IP version nibble decides.
        p = off + 4;
        if (p > end) return void skipped.truncated++;
        break;
      default:
        skipped.unsupportedLinkType++;
        return;
    }
    if (family < 0) return void skipped.nonTcp++;
    if (family === 0x8847) {
      // MPLS carries no payload type: the IP version nibble after the stack decides.
      p = skipMpls(bytes, p, end);
      family = 0;
    }
    if (p < 0 || p >= end) return void skipped.truncated++;
    const version = bytes[p] >> 4;
    if (family === 0) family = version;
    if (family !== version) return void skipped.nonTcp++;
    if (version === 4) this.#ipv4(p, end, ts);
    else if (version === 6) this.#ipv6(p, end, ts);
    else skipped.nonTcp++;
  }

  #ipv4(p: number, end: number, ts: number): void {
    const { bytes, view, skipped } = this;
    if (end - p < 20) return void skipped.truncated++;
    const ihl = (bytes[p] & 15) * 4;
    // A zero total length is what TCP segmentation offload leaves in captured packets.
    const total = view.getUint16(p + 2) || end - p;
    if (ihl < 20 || total < ihl) return void skipped.nonTcp++;
    if (p + total > end) return void skipped.truncated++;
    if ((view.getUint16(p + 6) & 0x1fff) !== 0) return void skipped.fragments++;
    if (bytes[p + 9] !== 6) return void skipped.nonTcp++;
    this.#tcp(ipv4(bytes, p + 12), ipv4(bytes, p + 16), p + ihl, p + total, ts);
  }

  #ipv6(p: number, end: number, ts: number): void {
    const { bytes, view, skipped } = this;
    if (end - p < 40) return void skipped.truncated++;
    const plen = view.getUint16(p + 4);
    // Zero means a jumbogram or an offloaded segment: the capture length is all we have.
    const ipEnd = plen === 0 ? end : p + 40 + plen;
    if (ipEnd > end) return void skipped.truncated++;
    let next = bytes[p + 6];
    let q = p + 40;
    while (next !== 6) {
      if (q + 8 > ipEnd) return void skipped.truncated++;
      if (next === 0 || next === 43 || next === 60) {
        next = bytes[q];
        q += (bytes[q + 1] + 1) * 8;
      } else if (next === 44) {
        if ((view.getUint16(q + 2) & 0xfff8) !== 0) return void skipped.fragments++;
        next = bytes[q];
        q += 8;
      } else if (next === 51) {
        next = bytes[q];
        q += (bytes[q + 1] + 2) * 4;
      } else {
        return void skipped.nonTcp++;
      }
    }
    if (q > ipEnd) return void skipped.truncated++;
    this.#tcp(ipv6(bytes, p + 8), ipv6(bytes, p + 24), q, ipEnd, ts);
  }

  #tcp(src: string, dst: string, t: number, end: number, ts: number): void {
    const { bytes, view } = this;
    if (end - t < 20) return void this.skipped.truncated++;
    const doff = (bytes[t + 12] >> 4) * 4;
    if (doff < 20 || t + doff > end) return void this.skipped.truncated++;
    const srcPort = view.getUint16(t);
    const dstPort = view.getUint16(t + 2);
    const seq = view.getUint32(t + 4);
    const key = src + " " + srcPort + " " + dst + " " + dstPort;
    let s = this.#byKey.get(key);
    if (!s) s = this.#open(key, new TcpStream(src, srcPort, dst, dstPort, ts));
    const payload = bytes.subarray(t + doff, end);
    if (bytes[t + 13] & TCP_SYN) {
      if (!s.syn(seq, payload)) {
        s = this.#open(key, new TcpStream(src, srcPort, dst, dstPort, ts));
        s.syn(seq, payload);
      }
    } else if (payload.length > 0) {
      s.add(s.unwrap(seq), payload);
    }
    s.packets++;
  }

  #open(key: string, s: TcpStream): TcpStream {
    this.#byKey.set(key, s);
    this.streams.push(s);
    return s;
  }
}
