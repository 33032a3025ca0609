/**
 * The typed error an MRT record can yield instead of a record.
 *
 * @module
 */

import type { DecodeErrorCode } from "../wire/errors.ts";

/** Why one MRT record could not be decoded; reading goes on with the next record. */
export interface MrtError {
  /** Machine-readable reason (the codes of `DecodeError`, plus `truncated` for a record
   * whose length runs past the end of the file). */
  code: DecodeErrorCode | "truncated";
  /** Byte offset in the (decompressed) file where the fault was found. */
  offset: number;
  /** Offset of the record's MRT header. */
  recordOffset: number;
  /** MRT Type and Subtype of the record, when its header was read. */
  type?: number;
  subtype?: number;
  reason: string;
}
