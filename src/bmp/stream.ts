/**
 * Walks a complete BMP byte stream (a file or a reassembled TCP flow) message by message.
 *
 * A message that fails to decode is reported and skipped by its length. A common header
 * whose length cannot be right breaks framing: the walker reports it and resynchronises
 * on the next offset where two consecutive plausible headers start.
 *
 * @module
 */

import { DecodeError, toDecodeError } from "../wire/errors.ts";
import {
  COMMON_HEADER_LENGTH,
  DEFAULT_MAX_MESSAGE_LENGTH,
  readCommonHeader,
} from "./common_header.ts";
import type { BmpMessage } from "./message.ts";
import { BmpSession } from "./session.ts";

/** One item of a stream: a decoded message or an error. */
export type StreamItem =
  | { message: BmpMessage; error?: undefined }
  | { message?: undefined; error: DecodeError; framing: boolean };

function plausibleAt(b: Uint8Array, off: number, maxLength: number): number {
  if (off + COMMON_HEADER_LENGTH > b.length) return -1;
  const v = b[off];
  if (v !== 3 && v !== 4) return -1;
  if (b[off + 5] > 6) return -1;
  const len = ((b[off + 1] << 24) >>> 0) + ((b[off + 2] << 16) | (b[off + 3] << 8) | b[off + 4]);
  if (len < COMMON_HEADER_LENGTH || len > maxLength || off + len > b.length) return -1;
  return len;
}

/** The next offset after `from` where a plausible message is followed by another (or
 * ends the stream); -1 if none. */
export function resync(
  b: Uint8Array,
  from: number,
  maxLength = DEFAULT_MAX_MESSAGE_LENGTH,
): number {
  for (let off = from; off + COMMON_HEADER_LENGTH <= b.length; off++) {
    const len = plausibleAt(b, off, maxLength);
    if (len < 0) continue;
    if (off + len === b.length || plausibleAt(b, off + len, maxLength) >= 0) return off;
  }
  return -1;
}

/** Decodes every message of `bytes` in order. */
export function* readBmpStream(
  bytes: Uint8Array,
  session: BmpSession = new BmpSession(),
  maxLength = DEFAULT_MAX_MESSAGE_LENGTH,
): Generator<StreamItem> {
  let off = 0;
  while (off < bytes.length) {
    if (bytes.length - off < COMMON_HEADER_LENGTH) {
      yield {
        error: new DecodeError(
          "short-input",
          off,
          `Cannot frame BMP message: ${bytes.length - off} trailing bytes`,
        ),
        framing: true,
      };
      return;
    }
    let length: number;
    try {
      length = readCommonHeader(bytes, off, maxLength).length;
      if (off + length > bytes.length) {
        throw new DecodeError(
          "short-input",
          off,
          `Cannot frame BMP message: length ${length} beyond the stream end`,
        );
      }
    } catch (e) {
      yield { error: toDecodeError(e, off), framing: true };
      const next = resync(bytes, off + 1, maxLength);
      if (next < 0) return;
      off = next;
      continue;
    }
    try {
      yield { message: session.decode(bytes, off) };
    } catch (e) {
      yield { error: toDecodeError(e, off), framing: false };
    }
    off += length;
  }
}
