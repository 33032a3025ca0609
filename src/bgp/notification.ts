/**
 * BGP NOTIFICATION (RFC 4271 §4.5), with the shutdown communication of RFC 9003.
 *
 * ```text
 * Error code (1) | Error subcode (1) | Data (variable)
 * ```
 *
 * @module
 */

import { DecodeError } from "../wire/errors.ts";
import { hex } from "../wire/ip.ts";
import { NOTIFICATION_CODES } from "./constants.ts";

// ignoreBOM: a leading U+FEFF is part of the text, not a marker to strip.
const UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** A decoded NOTIFICATION. */
export interface BgpNotification {
  code: number;
  subcode: number;
  codeName: string;
  subcodeName: string;
  /** Data in hex. */
  data: string;
  /** Shutdown communication (Cease / administrative shutdown or reset), RFC 9003. */
  shutdownCommunication?: string;
}

/** Decodes a NOTIFICATION body (after the BGP header) in `bytes[start, end)`. */
export function decodeNotification(bytes: Uint8Array, start: number, end: number): BgpNotification {
  if (end - start < 2) {
    throw new DecodeError("short-input", start, "Cannot decode NOTIFICATION: < 2 bytes");
  }
  const code = bytes[start];
  const subcode = bytes[start + 1];
  const info = NOTIFICATION_CODES[code];
  const out: BgpNotification = {
    code,
    subcode,
    codeName: info?.name ?? `code_${code}`,
    subcodeName: info?.subcodes[subcode] ?? (subcode === 0 ? "unspecific" : `subcode_${subcode}`),
    data: hex(bytes.subarray(start + 2, end)),
  };
  if (code === 6 && (subcode === 2 || subcode === 4) && end - start >= 3) {
    const n = bytes[start + 2];
    if (n > 0 && start + 3 + n <= end) {
      out.shutdownCommunication = UTF8.decode(
        bytes.subarray(start + 3, start + 3 + n),
      );
    }
  }
  return out;
}
