/**
 * Route Mirroring (RFC 7854 §4.7).
 *
 * ```text
 * Per-Peer Header | (Type (2) | Length (2) | Value)*
 * type 0: BGP Message (a whole PDU)   type 1: Information code (2): 0 errored PDU, 1 messages lost
 * ```
 *
 * @module
 */

import { type BgpMessage, decodeBgpMessage } from "../bgp/message.ts";
import { hex } from "../wire/ip.ts";
import type { WireReader } from "../wire/reader.ts";
import { toDecodeError } from "../wire/errors.ts";
import { ROUTE_MIRRORING_INFO_CODES } from "./constants.ts";
import { type PeerContext, updateContextFor } from "./peer_context.ts";
import type { PerPeerHeader } from "./per_peer_header.ts";

/** One Route Mirroring TLV. */
export interface MirroredEntry {
  type: number;
  /** Type 0: the BGP message decoded (or `error` with the raw bytes when it is not valid). */
  message?: BgpMessage;
  error?: string;
  raw?: string;
  /** Type 1: the information code. */
  code?: number;
  codeName?: string;
}

/** A decoded Route Mirroring body. */
export interface RouteMirroring {
  entries: MirroredEntry[];
}

/** Decodes a Route Mirroring body from `r.pos` to `r.end`. */
export function decodeRouteMirroring(
  r: WireReader,
  peer: PerPeerHeader,
  ctx: PeerContext | undefined,
): RouteMirroring {
  const entries: MirroredEntry[] = [];
  while (r.pos < r.end) {
    const type = r.u16();
    const len = r.u16();
    const outer = r.enter(len);
    if (type === 0) {
      // An errored PDU is the reason mirroring exists: keep it raw rather than fail.
      try {
        entries.push({
          type,
          message: decodeBgpMessage(r.bytes, r.pos, r.end, updateContextFor(peer, ctx)).message,
          raw: hex(r.bytes.subarray(r.pos, r.end)),
        });
      } catch (e) {
        entries.push({
          type,
          error: toDecodeError(e, r.pos).message,
          raw: hex(r.bytes.subarray(r.pos, r.end)),
        });
      }
    } else if (type === 1 && len === 2) {
      const code = r.u16();
      entries.push({ type, code, codeName: ROUTE_MIRRORING_INFO_CODES[code] ?? `code_${code}` });
    } else {
      entries.push({ type, raw: hex(r.rest()) });
    }
    r.leave(outer);
  }
  return { entries };
}
