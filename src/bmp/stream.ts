/**
 * Walks a complete BMP byte stream (a file or a reassembled TCP flow) message by message.
 *
 * A message that fails to decode is reported and skipped by its length, as long as a
 * plausible common header follows it. Otherwise framing is broken there (a lost segment,
 * a sequence number reused for other bytes, a corrupt header): the walker reports the
 * break and resynchronises on the next offset where two consecutive plausible headers
 * start, saying how many bytes it skipped.
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

/**
 * One item of a stream: a decoded message, a message that failed to decode (`framing:
 * false`, skipped by its length), or a framing break (`framing: true`) with the bytes
 * skipped from the broken frame to `resumeAt`, the offset where reading resumed (-1: no
 * plausible header followed, the rest of the stream is skipped).
 */
export type StreamItem =
  | { message: BmpMessage; error?: undefined }
  | {
    message?: undefined;
    error: DecodeError;
    framing: false;
    skipped?: undefined;
    resumeAt?: undefined;
  }
  | { message?: undefined; error: DecodeError; framing: true; skipped: number; resumeAt: number };

/** How a stream is framed. */
export interface StreamOptions {
  /** Largest message length accepted (default 1 MiB). */
  maxLength?: number;
  /**
   * Offsets in the stream where captured bytes are missing, ascending (`TcpFlow.gaps`):
   * a message across one is broken whatever its header says.
   */
  gaps?: readonly { offset: number; missing: number }[];
}

const NO_GAPS: readonly { offset: number; missing: number }[] = [];

function options(opts: number | StreamOptions) {
  const o = typeof opts === "number" ? { maxLength: opts } : opts;
  return { maxLength: o.maxLength ?? DEFAULT_MAX_MESSAGE_LENGTH, gaps: o.gaps ?? NO_GAPS };
}

/** Length of a plausible message that fits the stream at `off`, or -1. */
function plausibleAt(b: Uint8Array, off: number, maxLength: number): number {
  if (off + COMMON_HEADER_LENGTH > b.length) return -1;
  const v = b[off];
  if (v !== 3 && v !== 4) return -1;
  if (b[off + 5] > 6) return -1;
  const len = ((b[off + 1] << 24) >>> 0) + ((b[off + 2] << 16) | (b[off + 3] << 8) | b[off + 4]);
  if (len < COMMON_HEADER_LENGTH || len > maxLength || off + len > b.length) return -1;
  return len;
}

/**
 * Tells whether what follows a message at `off` can be the next one: the stream end, or
 * a plausible header as far as its bytes were captured (the message it announces may be
 * cut by the end of the capture).
 */
function followsPlausibly(b: Uint8Array, off: number, maxLength: number): boolean {
  const left = b.length - off;
  if (left === 0) return true;
  const v = b[off];
  if (v !== 3 && v !== 4) return false;
  if (left < COMMON_HEADER_LENGTH) return true;
  const len = ((b[off + 1] << 24) >>> 0) + ((b[off + 2] << 16) | (b[off + 3] << 8) | b[off + 4]);
  return b[off + 5] <= 6 && len >= COMMON_HEADER_LENGTH && len <= maxLength;
}

/** Why the header at `off`, which {@linkcode followsPlausibly} rejected, cannot start a
 * message. */
function headerError(b: Uint8Array, off: number, maxLength: number): DecodeError {
  const len = ((b[off + 1] << 24) >>> 0) + ((b[off + 2] << 16) | (b[off + 3] << 8) | b[off + 4]);
  const why = b[off] !== 3 && b[off] !== 4
    ? ["bad-version", `version ${b[off]}`] as const
    : b[off + 5] > 6
    ? ["bad-type", `type ${b[off + 5]}`] as const
    : len > maxLength
    ? ["too-large", `length ${len} > ${maxLength}`] as const
    : ["bad-length", `length ${len} < 6`] as const;
  return new DecodeError(why[0], off, `Cannot frame BMP message: ${why[1]}`);
}

/**
 * Finds where to resume reading after a framing break. A candidate is an offset from
 * `from` where a plausible common header (RFC 7854 §4.1: version 3 or 4, type 0-6,
 * length 6 to `maxLength`) starts a message that fits the stream without crossing a gap,
 * followed by another plausible header or by the stream end. The first candidate whose
 * message holds no other candidate wins: bytes of a BMP stream are full of headers, so a
 * false candidate's length often lands on a real one, but its span then holds real
 * messages, which a real message's span does not.
 *
 * Each byte is looked at once: the scan only moves forward.
 *
 * @param bytes the stream
 * @param from first offset to try
 * @param opts the length limit (a number, for compatibility) or {@linkcode StreamOptions}
 * @returns the offset, or -1 if there is none
 *
 * @example
 * ```ts
 * import { resync } from "./stream.ts";
 * const term = [3, 0, 0, 0, 6, 5];
 * if (resync(new Uint8Array([0xff, 3, ...term, ...term]), 0) !== 2) throw new Error("unexpected");
 * ```
 */
export function resync(bytes: Uint8Array, from: number, opts: number | StreamOptions = {}): number {
  const { maxLength, gaps } = options(opts);
  let g = 0;
  let found = -1;
  let foundEnd = 0;
  for (let off = from; off + COMMON_HEADER_LENGTH <= bytes.length; off++) {
    if (found >= 0 && off >= foundEnd) return found;
    const len = plausibleAt(bytes, off, maxLength);
    if (len < 0) continue;
    while (g < gaps.length && gaps[g].offset <= off) g++;
    if (g < gaps.length && gaps[g].offset < off + len) continue;
    if (followsPlausibly(bytes, off + len, maxLength)) {
      found = off;
      foundEnd = off + len;
    }
  }
  return found;
}

/**
 * Decodes every message of `bytes` in order, with one session (the router's Peer Up
 * state), reporting failed messages and framing breaks as items.
 *
 * @param bytes the whole stream
 * @param session the per-router state (a new one by default)
 * @param opts the length limit (a number, for compatibility) or {@linkcode StreamOptions}
 * @returns a generator of {@linkcode StreamItem}s, in stream order
 *
 * @example
 * ```ts
 * import { readBmpStream } from "./stream.ts";
 * const term = [3, 0, 0, 0, 6, 5];
 * const items = [...readBmpStream(new Uint8Array([...term, 0xee, 0xee, ...term, ...term]))];
 * const bad = items[1];
 * if (items.length !== 4 || !bad.error || !bad.framing || bad.skipped !== 2) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export function* readBmpStream(
  bytes: Uint8Array,
  session: BmpSession = new BmpSession(),
  opts: number | StreamOptions = {},
): Generator<StreamItem> {
  const { maxLength, gaps } = options(opts);
  const n = bytes.length;
  let g = 0;
  let off = 0;
  while (off < n) {
    if (n - off < COMMON_HEADER_LENGTH) {
      const error = new DecodeError(
        "short-input",
        off,
        `Cannot frame BMP message: ${n - off} trailing bytes`,
      );
      yield { error, framing: true, skipped: n - off, resumeAt: -1 };
      return;
    }
    let broken: DecodeError | undefined;
    let from = off + 1;
    let length = 0;
    try {
      length = readCommonHeader(bytes, off, maxLength).length;
      if (off + length > n) {
        throw new DecodeError(
          "short-input",
          off,
          `Cannot frame BMP message: length ${length} beyond the stream end`,
        );
      }
    } catch (e) {
      broken = toDecodeError(e, off);
    }
    if (!broken) {
      while (g < gaps.length && gaps[g].offset <= off) g++;
      const gap = gaps[g];
      if (gap && gap.offset < off + length) {
        // The bytes after a gap belong to some later message: look for it from there.
        broken = new DecodeError(
          "short-input",
          gap.offset,
          `Cannot frame BMP message: ${gap.missing} bytes missing from the capture`,
        );
        from = gap.offset;
      }
    }
    if (!broken) {
      let message: BmpMessage | undefined;
      let error: DecodeError | undefined;
      try {
        message = session.decode(bytes, off);
      } catch (e) {
        error = toDecodeError(e, off);
      }
      // A length is trusted when a plausible header (or the stream end) follows it; a
      // message that decoded with a trusted length is the common case, taken at once.
      const trusted = followsPlausibly(bytes, off + length, maxLength);
      if (message && trusted) {
        yield { message };
        off += length;
        continue;
      }
      // Otherwise the frame is broken if another message starts inside it: its bytes were
      // spliced from two places (a lost segment, a reused sequence number, a corrupt
      // length), and one that decoded did so by luck (RFC 7606 keeps most UPDATEs).
      const next = resync(bytes, off + 1, { maxLength, gaps });
      const end = off + length;
      if (next >= 0 && next < end) {
        broken = error ?? new DecodeError(
          "bad-length",
          off + 1,
          `Cannot frame BMP message: length ${length} runs into the message at ${next}`,
        );
      } else if (trusted) {
        yield { error: error!, framing: false };
        off = end;
        continue;
      } else if (message) {
        yield { message };
        const skipped = (next < 0 ? n : next) - end;
        yield { error: headerError(bytes, end, maxLength), framing: true, skipped, resumeAt: next };
        if (next < 0) return;
        off = next;
        continue;
      } else {
        broken = error!;
      }
    }
    const next = resync(bytes, from, { maxLength, gaps });
    yield { error: broken, framing: true, skipped: (next < 0 ? n : next) - off, resumeAt: next };
    if (next < 0) return;
    off = next;
  }
}
