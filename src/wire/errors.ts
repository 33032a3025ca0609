/**
 * The one fatal error type of the decoders.
 *
 * A `DecodeError` ends the decoding of one BMP message; the caller counts it and moves on
 * by the BMP length. Recoverable faults inside a BGP UPDATE are not thrown: they are
 * listed in `BgpUpdate.problems` with their RFC 7606 action.
 *
 * @module
 */

/** Why a message could not be decoded. */
export type DecodeErrorCode =
  | "short-input" // a field runs past its enclosing length
  | "bad-version" // BMP version other than 1-4
  | "bad-length" // a length field that cannot be right
  | "bad-type" // a message or sub-type the message cannot carry
  | "bad-marker" // BGP marker not all ones
  | "bad-value" // a field value outside its allowed range
  | "too-large"; // exceeds a configured limit

/** A fatal decoding fault with the byte offset where it was found. */
export class DecodeError extends Error {
  /** Machine-readable reason. */
  readonly code: DecodeErrorCode;
  /** Byte offset in the decoded buffer. */
  offset: number;
  /** BMP message type, when known (set by the message decoder). */
  messageType?: number;

  /**
   * @example
   * ```ts
   * import { DecodeError } from "./errors.ts";
   * const e = new DecodeError("bad-length", 4, "Cannot decode BMP message: length 2 < 6");
   * if (e.code !== "bad-length") throw new Error("unexpected");
   * ```
   */
  constructor(code: DecodeErrorCode, offset: number, message?: string) {
    super(message ?? code);
    this.name = "DecodeError";
    this.code = code;
    this.offset = offset;
  }
}

/** Converts anything thrown by a decoder into a `DecodeError` (a `RangeError` from a
 * `DataView` read past the buffer is a short input). A converted error keeps the original
 * as `cause`: it was not thrown by a bounds check, which the fuzz tests treat as a bug. */
export function toDecodeError(e: unknown, offset: number): DecodeError {
  if (e instanceof DecodeError) return e;
  const err = e instanceof RangeError
    ? new DecodeError("short-input", offset, e.message)
    : new DecodeError("bad-value", offset, e instanceof Error ? e.message : String(e));
  // Non-enumerable, as `new Error(msg, { cause })` makes it: JSON output stays the same.
  Object.defineProperty(err, "cause", { value: e, configurable: true, writable: true });
  return err;
}
