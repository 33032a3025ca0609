/**
 * The BGP message header (RFC 4271 §4.1) and dispatch by type.
 *
 * ```text
 * Marker (16, all ones) | Length (2) | Type (1) | body
 * ```
 *
 * @module
 */

import { DecodeError } from "../wire/errors.ts";
import { hex } from "../wire/ip.ts";
import { BgpMessageType } from "./constants.ts";
import { type BgpNotification, decodeNotification } from "./notification.ts";
import { type BgpOpen, decodeOpen } from "./open.ts";
import { type BgpUpdate, decodeUpdate, type UpdateContext } from "./update.ts";

/** Length of the BGP header. */
export const BGP_HEADER_LENGTH = 19;

/** Largest BGP message with the extended message capability (RFC 8654). */
export const BGP_MAX_LENGTH = 65535;

/** A decoded BGP message of any type. */
export type BgpMessage =
  | { type: 1; open: BgpOpen }
  | { type: 2; update: BgpUpdate }
  | { type: 3; notification: BgpNotification }
  | { type: 4 }
  | { type: number; raw: string };

/**
 * Checks the header at `off` and returns the message length.
 *
 * @throws {DecodeError} for a marker that is not all ones or a length below 19 or beyond
 *   `limit`.
 */
export function bgpMessageLength(bytes: Uint8Array, off: number, limit: number): number {
  if (limit - off < BGP_HEADER_LENGTH) {
    throw new DecodeError(
      "short-input",
      off,
      `Cannot decode BGP header: ${limit - off} bytes left`,
    );
  }
  for (let i = 0; i < 16; i++) {
    if (bytes[off + i] !== 0xff) {
      throw new DecodeError("bad-marker", off + i, "Cannot decode BGP header: marker not all ones");
    }
  }
  const len = (bytes[off + 16] << 8) | bytes[off + 17];
  if (len < BGP_HEADER_LENGTH || off + len > limit) {
    throw new DecodeError(
      "bad-length",
      off + 16,
      `Cannot decode BGP message: length ${len} (${limit - off} available)`,
    );
  }
  return len;
}

/** Decodes the BGP message at `off` that must end by `limit`; returns it and its length. */
export function decodeBgpMessage(
  bytes: Uint8Array,
  off: number,
  limit: number,
  ctx: UpdateContext,
): { message: BgpMessage; length: number } {
  const length = bgpMessageLength(bytes, off, limit);
  const type = bytes[off + 18];
  const start = off + BGP_HEADER_LENGTH;
  const end = off + length;
  let message: BgpMessage;
  switch (type) {
    case BgpMessageType.Open:
      message = { type, open: decodeOpen(bytes, start, end) };
      break;
    case BgpMessageType.Update:
      message = { type, update: decodeUpdate(bytes, start, end, ctx) };
      break;
    case BgpMessageType.Notification:
      message = { type, notification: decodeNotification(bytes, start, end) };
      break;
    case BgpMessageType.Keepalive:
      message = { type };
      break;
    default:
      message = { type, raw: hex(bytes.subarray(start, end)) };
  }
  return { message, length };
}
