/**
 * The BMP common header (RFC 7854 §4.1).
 *
 * ```text
 * Version (1) | Message Length (4, whole message) | Message Type (1)
 * ```
 *
 * @module
 */

import { DecodeError } from "../wire/errors.ts";

/** Length of the common header. */
export const COMMON_HEADER_LENGTH = 6;

/** Default largest message accepted (1 MiB): BGP messages are at most 64 KiB, and a
 * Route Monitoring or Route Mirroring message carries few. */
export const DEFAULT_MAX_MESSAGE_LENGTH = 1 << 20;

/** A decoded common header. */
export interface CommonHeader {
  version: number;
  length: number;
  type: number;
}

/**
 * Reads the common header at `off`. Only a length that cannot be right throws: a wrong
 * version or unknown type can still be skipped by its length.
 *
 * @throws {DecodeError} `bad-length` for a length below 6 or above `maxLength`.
 */
export function readCommonHeader(
  b: Uint8Array,
  off: number,
  maxLength = DEFAULT_MAX_MESSAGE_LENGTH,
): CommonHeader {
  const version = b[off];
  const length = ((b[off + 1] << 24) >>> 0) + ((b[off + 2] << 16) | (b[off + 3] << 8) | b[off + 4]);
  const type = b[off + 5];
  if (length < COMMON_HEADER_LENGTH) {
    throw new DecodeError("bad-length", off + 1, `Cannot frame BMP message: length ${length} < 6`);
  }
  if (length > maxLength) {
    throw new DecodeError(
      "too-large",
      off + 1,
      `Cannot frame BMP message: length ${length} > ${maxLength}`,
    );
  }
  return { version, length, type };
}
