/**
 * One router's BMP session: decodes its messages in order and keeps what later messages
 * need (each peer's negotiated capabilities, merged over its Peer Ups until a Peer Down).
 *
 * @module
 */

import { DecodeError, toDecodeError } from "../wire/errors.ts";
import { WireReader } from "../wire/reader.ts";
import { COMMON_HEADER_LENGTH, readCommonHeader } from "./common_header.ts";
import { BMP_MESSAGE_NAMES, BmpMessageType } from "./constants.ts";
import { decodeInitiation, decodeTermination } from "./initiation.ts";
import type { BmpMessage } from "./message.ts";
import { mergePeerContext, type PeerContext, peerContextFromOpens } from "./peer_context.ts";
import { decodePeerDown } from "./peer_down.ts";
import { decodePeerUp } from "./peer_up.ts";
import { decodePerPeerHeader } from "./per_peer_header.ts";
import { decodeRouteMirroring } from "./route_mirroring.ts";
import { decodeRouteMonitoring } from "./route_monitoring.ts";
import { decodeStatisticsReport } from "./statistics_report.ts";

/** Decoding state of one router connection. */
export class BmpSession {
  /** Peer contexts by per-peer header key, from the Peer Ups since the last Peer Down. */
  readonly peers: Map<string, PeerContext> = new Map();

  /**
   * Decodes the whole BMP message at `bytes[off]`, whose common header was checked by the
   * framer (its length fits in `bytes`).
   *
   * @throws {DecodeError} with `offset` (absolute) and `messageType` set, for a message
   *   that cannot be decoded; the caller skips it by its length.
   */
  decode(bytes: Uint8Array, off: number): BmpMessage {
    if (bytes.length - off < COMMON_HEADER_LENGTH) {
      throw new DecodeError("short-input", off, "Cannot decode BMP message: truncated header");
    }
    const h = readCommonHeader(bytes, off, Number.MAX_SAFE_INTEGER);
    const end = off + h.length;
    if (end > bytes.length) {
      throw new DecodeError("short-input", off, "Cannot decode BMP message: truncated");
    }
    try {
      if (h.version !== 3 && h.version !== 4) {
        throw new DecodeError(
          "bad-version",
          off,
          `Cannot decode BMP message: version ${h.version}`,
        );
      }
      if (h.type >= BMP_MESSAGE_NAMES.length) {
        throw new DecodeError("bad-type", off + 5, `Cannot decode BMP message: type ${h.type}`);
      }
      const r = new WireReader(bytes, off + COMMON_HEADER_LENGTH, end);
      return this.#body(r, h.version, h.length, h.type, off);
    } catch (e) {
      const err = toDecodeError(e, off);
      err.messageType = h.type;
      throw err;
    }
  }

  #body(r: WireReader, version: number, length: number, type: number, offset: number): BmpMessage {
    switch (type) {
      case BmpMessageType.Initiation:
        return { kind: "initiation", version, length, offset, ...decodeInitiation(r) };
      case BmpMessageType.Termination:
        return { kind: "termination", version, length, offset, ...decodeTermination(r) };
    }
    const peer = decodePerPeerHeader(r);
    switch (type) {
      case BmpMessageType.RouteMonitoring: {
        const rm = decodeRouteMonitoring(r, version, peer, this.peers.get(peer.key));
        return { kind: "route_monitoring", version, length, offset, peer, ...rm };
      }
      case BmpMessageType.StatisticsReport:
        return {
          kind: "statistics_report",
          version,
          length,
          offset,
          peer,
          ...decodeStatisticsReport(r),
        };
      case BmpMessageType.PeerDown: {
        const down = decodePeerDown(r);
        this.peers.delete(peer.key);
        return { kind: "peer_down", version, length, offset, peer, ...down };
      }
      case BmpMessageType.PeerUp: {
        const up = decodePeerUp(r, peer);
        const ctx = peerContextFromOpens(peer.peerType, up.sentOpen, up.receivedOpen);
        const prev = this.peers.get(peer.key);
        this.peers.set(peer.key, prev ? mergePeerContext(prev, ctx) : ctx);
        return { kind: "peer_up", version, length, offset, peer, ...up };
      }
      default:
        return {
          kind: "route_mirroring",
          version,
          length,
          offset,
          peer,
          ...decodeRouteMirroring(r, peer, this.peers.get(peer.key)),
        };
    }
  }
}
