/**
 * Reassembly of one direction of a TCP connection (private to `pcap.ts`).
 *
 * Payloads are kept as `subarray`s of the capture in sorted, non-overlapping pieces and
 * copied once, by {@linkcode TcpStream.finish}.
 *
 * @module
 */

import type { TcpFlow } from "./pcap.ts";

/** A contiguous run of received bytes at an unwrapped sequence position. */
interface Piece {
  start: number;
  end: number;
  data: Uint8Array;
}

/**
 * One direction of a connection. Sequence numbers are unwrapped into a 53-bit space
 * relative to the last data seen, so wrap-around and streams over 4 GiB stay ordered.
 */
export class TcpStream {
  packets = 0;
  /** Unwrapped ISN, when the SYN was captured. */
  #isn?: number;
  /** Unwrapped position of the first stream byte, once known from the SYN. */
  #base?: number;
  /** SYN payload waiting for the next segment to tell where it starts. */
  #synData?: Uint8Array;
  /** Reference for unwrapping: the last data or SYN position. */
  #ref?: number;
  /** Sorted, non-overlapping runs of received bytes. */
  readonly #pieces: Piece[] = [];

  constructor(
    readonly src: string,
    readonly srcPort: number,
    readonly dst: string,
    readonly dstPort: number,
    readonly firstTimestamp: number,
  ) {}

  /** Maps a 32-bit sequence number to the unwrapped value nearest the reference. */
  unwrap(seq: number): number {
    const ref = this.#ref;
    return ref === undefined ? seq : ref + ((seq - ref) | 0);
  }

  /**
   * Records a SYN and its payload; returns false if it belongs to a new connection on the
   * same 4-tuple. A retransmitted SYN keeps the first payload.
   */
  syn(seq: number, data: Uint8Array): boolean {
    const ext = this.unwrap(seq);
    if (this.#isn !== undefined) return ext === this.#isn;
    const first = this.#pieces[0];
    // A SYN captured after some of its data still starts this stream if it precedes it.
    if (first && (first.start <= ext || first.start - ext > 0x40000000)) return false;
    this.#isn = ext;
    this.#ref = ext;
    this.#base = ext + 1; // the SYN occupies one sequence number
    if (data.length > 0) {
      this.#synData = data;
      if (first) this.#placeSyn(first.start);
    }
    return true;
  }

  /**
   * Places the SYN payload at ISN + 1, unless the segment after it starts at ISN + length:
   * some capture generators (pmacct's traffic-reproducer) put data on a SYN without
   * counting the SYN in the sequence space, and tshark then drops a byte of that stream.
   * With a 1-byte payload that segment could also be a retransmission: RFC 793 wins.
   */
  #placeSyn(next: number): void {
    const data = this.#synData!;
    this.#synData = undefined;
    if (data.length > 1 && next === this.#isn! + data.length) this.#base = this.#isn!;
    this.#insert(this.#base!, data);
  }

  /** Adds payload at unwrapped position `start`, keeping bytes already received. */
  add(start: number, data: Uint8Array): void {
    if (this.#synData) this.#placeSyn(start);
    this.#insert(start, data);
  }

  #insert(start: number, data: Uint8Array): void {
    const end = start + data.length;
    this.#ref = start;
    const p = this.#pieces;
    const n = p.length;
    if (n === 0 || start >= p[n - 1].end) {
      p.push({ start, end, data });
      return;
    }
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (p[m].end > start) hi = m;
      else lo = m + 1;
    }
    const merged: Piece[] = [];
    let cur = start;
    let j = lo;
    for (; j < n && p[j].start < end; j++) {
      const q = p[j];
      if (q.start > cur) {
        merged.push({
          start: cur,
          end: q.start,
          data: data.subarray(cur - start, q.start - start),
        });
      }
      merged.push(q);
      if (q.end > cur) cur = q.end;
    }
    if (cur < end) merged.push({ start: cur, end, data: data.subarray(cur - start) });
    if (merged.length !== j - lo) p.splice(lo, j - lo, ...merged);
  }

  /** Concatenates the pieces once and lists the holes between them. */
  finish(): TcpFlow {
    if (this.#synData) this.#placeSyn(NaN);
    const pieces = this.#pieces;
    const base = this.#base ?? (pieces.length ? pieces[0].start : 0);
    let total = 0;
    for (const q of pieces) if (q.end > base) total += q.end - Math.max(q.start, base);
    const data = new Uint8Array(total);
    const gaps: TcpFlow["gaps"] = [];
    let cur = base;
    let out = 0;
    for (const q of pieces) {
      if (q.end <= base) continue;
      if (q.start > cur) gaps.push({ offset: out, missing: q.start - cur });
      const from = Math.max(q.start, base);
      data.set(from === q.start ? q.data : q.data.subarray(from - q.start), out);
      out += q.end - from;
      cur = q.end;
    }
    const { src, srcPort, dst, dstPort, packets, firstTimestamp } = this;
    return { src, srcPort, dst, dstPort, data, gaps, packets, firstTimestamp };
  }
}
