/**
 * Splits a TCP byte stream into BMP messages.
 *
 * Reads go into one growable buffer; complete messages are handed out as views into it
 * (valid until the next {@linkcode Framer.push}), so a message split across reads is
 * copied once. The common header is checked before a message is buffered: a length that
 * cannot be right, or one over the limit, breaks framing and the connection must be
 * closed (nothing after it can be trusted).
 *
 * @module
 */

import { COMMON_HEADER_LENGTH, DEFAULT_MAX_MESSAGE_LENGTH } from "../bmp/common_header.ts";
import { DecodeError } from "../wire/errors.ts";

/** Incremental BMP framer for one connection. */
export class Framer {
  #buf: Uint8Array;
  #start = 0;
  #end = 0;
  readonly maxLength: number;
  /** Bytes consumed so far (offset of the next message in the stream). */
  consumed = 0;

  constructor(maxLength = DEFAULT_MAX_MESSAGE_LENGTH, initialSize = 256 * 1024) {
    this.maxLength = maxLength;
    this.#buf = new Uint8Array(initialSize);
  }

  /** The most the read buffer grows to: the largest message plus one 64 KiB read. */
  get maxBufferLength(): number {
    return this.maxLength + 64 * 1024;
  }

  /** Bytes buffered and not yet returned as messages. */
  get pending(): number {
    return this.#end - this.#start;
  }

  /** True when a whole message with a header that frames is buffered. */
  get hasMessage(): boolean {
    const b = this.#buf, off = this.#start;
    if (this.#end - off < COMMON_HEADER_LENGTH || (b[off] !== 3 && b[off] !== 4)) return false;
    const len = ((b[off + 1] << 24) >>> 0) + ((b[off + 2] << 16) | (b[off + 3] << 8) | b[off + 4]);
    return len >= COMMON_HEADER_LENGTH && len <= this.maxLength && this.#end - off >= len;
  }

  /** A writable region of at least `min` bytes for the next read. */
  space(min = 64 * 1024): Uint8Array {
    if (this.#buf.length - this.#end < min) this.#compact(min);
    return this.#buf.subarray(this.#end);
  }

  /** Records that `n` bytes were read into {@linkcode Framer.space}. */
  commit(n: number): void {
    this.#end += n;
  }

  /** Copies `chunk` into the buffer (for callers that do not read into `space()`). */
  push(chunk: Uint8Array): void {
    this.space(chunk.length).set(chunk);
    this.#end += chunk.length;
  }

  /**
   * Calls `onMessage(bytes, off, len)` for each complete message buffered; `bytes` is the
   * internal buffer, valid until the next `space()`/`push()`.
   *
   * @throws {DecodeError} `bad-length` / `too-large` / `bad-version` when framing breaks.
   */
  drain(onMessage: (bytes: Uint8Array, off: number, len: number) => void): void {
    const b = this.#buf;
    while (this.#end - this.#start >= COMMON_HEADER_LENGTH) {
      const off = this.#start;
      const version = b[off];
      if (version !== 3 && version !== 4) {
        throw new DecodeError(
          "bad-version",
          this.consumed,
          `Cannot frame BMP message: version ${version}`,
        );
      }
      const len = ((b[off + 1] << 24) >>> 0) +
        ((b[off + 2] << 16) | (b[off + 3] << 8) | b[off + 4]);
      if (len < COMMON_HEADER_LENGTH) {
        throw new DecodeError(
          "bad-length",
          this.consumed,
          `Cannot frame BMP message: length ${len} < 6`,
        );
      }
      if (len > this.maxLength) {
        throw new DecodeError(
          "too-large",
          this.consumed,
          `Cannot frame BMP message: length ${len} > ${this.maxLength}`,
        );
      }
      if (this.#end - off < len) {
        if (this.#buf.length - off < len) this.#compact(len - (this.#end - off));
        return;
      }
      this.#start += len;
      this.consumed += len;
      onMessage(b, off, len);
    }
  }

  #compact(min: number): void {
    const pending = this.#end - this.#start;
    let buf = this.#buf;
    if (buf.length < pending + min) {
      let size = buf.length * 2;
      while (size < pending + min) size *= 2;
      // Doubling stops at one whole message plus one read: the per-connection bound.
      buf = new Uint8Array(Math.max(pending + min, Math.min(size, this.maxBufferLength)));
    }
    buf.set(this.#buf.subarray(this.#start, this.#end), 0);
    this.#buf = buf;
    this.#start = 0;
    this.#end = pending;
  }
}
