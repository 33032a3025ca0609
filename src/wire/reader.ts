/**
 * A bounded cursor over one `DataView`, the base of every wire decoder.
 *
 * Sub-fields are bounded with {@linkcode WireReader.enter} / {@linkcode WireReader.leave}
 * so that a length field can never make a decoder read past its enclosing field, only
 * past the end of the whole buffer (which the `DataView` itself would catch).
 *
 * @module
 */

import { DecodeError } from "./errors.ts";

/** Cursor over a byte buffer with an adjustable end limit. */
export class WireReader {
  /** The whole buffer. */
  readonly bytes: Uint8Array;
  /** A view over {@linkcode WireReader.bytes}. */
  readonly view: DataView;
  /** Current read position, relative to `bytes`. */
  pos: number;
  /** Exclusive end of the field being read. */
  end: number;

  /**
   * Creates a reader over `bytes[start, end)`.
   *
   * @example
   * ```ts
   * import { WireReader } from "./reader.ts";
   * const r = new WireReader(new Uint8Array([0, 1, 2]));
   * if (r.u16() !== 1) throw new Error("unexpected");
   * ```
   */
  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
    this.end = end;
  }

  /** Bytes left in the current field. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws a `short-input` {@linkcode DecodeError} unless `n` more bytes are in the field. */
  need(n: number): void {
    if (this.pos + n > this.end) {
      throw new DecodeError(
        "short-input",
        this.pos,
        `Cannot read ${n} bytes: ${this.remaining} left`,
      );
    }
  }

  /** Reads one octet. */
  u8(): number {
    if (this.pos >= this.end) this.need(1);
    return this.bytes[this.pos++];
  }

  /** Reads a big-endian 16-bit unsigned integer. */
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  /** Reads a big-endian 32-bit unsigned integer. */
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  /**
   * Reads a big-endian 64-bit unsigned integer as a `number` when it is exactly
   * representable, else as a `bigint` (two 32-bit reads: no BigInt on the common path).
   */
  u64(): number | bigint {
    this.need(8);
    const hi = this.view.getUint32(this.pos);
    const lo = this.view.getUint32(this.pos + 4);
    this.pos += 8;
    if (hi < 0x200000) return hi * 0x100000000 + lo;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Returns the next `n` bytes as a view (no copy) and advances. */
  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Returns the rest of the current field (no copy) and advances to its end. */
  rest(): Uint8Array {
    const out = this.bytes.subarray(this.pos, this.end);
    this.pos = this.end;
    return out;
  }

  /** Advances by `n` bytes. */
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /**
   * Limits reading to the next `len` bytes; returns the outer end to pass to
   * {@linkcode WireReader.leave}.
   */
  enter(len: number): number {
    this.need(len);
    const outer = this.end;
    this.end = this.pos + len;
    return outer;
  }

  /** Ends a field opened by {@linkcode WireReader.enter}, skipping unread bytes. */
  leave(outer: number): void {
    this.pos = this.end;
    this.end = outer;
  }
}
