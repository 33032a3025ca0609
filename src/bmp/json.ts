/**
 * The JSON form of decoded messages: the objects `bmpmon decode --format jsonl` prints and
 * `bmp.parsed.*` carries on the bus (src/bus/parsed.ts), with communities as text,
 * timestamps as ISO 8601, 64-bit values as numbers when exact and strings otherwise.
 * Field names are listed in README.md ("JSON fields").
 *
 * @module
 */

import { communityText, largeCommunityText } from "../bgp/attributes/communities.ts";
import { familyName } from "../bgp/constants.ts";
import type { BmpMessage } from "./message.ts";
import type { PerPeerHeader } from "./per_peer_header.ts";
import { PEER_TYPE_NAMES } from "./constants.ts";
import type { PathAttributes } from "../bgp/update.ts";
import type { DecodeError } from "../wire/errors.ts";

/** ISO 8601 time with microseconds from BMP seconds and microseconds. */
export function isoTime(sec: number, usec: number): string {
  const base = new Date(sec * 1000).toISOString().slice(0, 19);
  return `${base}.${String(usec).padStart(6, "0")}Z`;
}

function peerJson(p: PerPeerHeader): Record<string, unknown> {
  return {
    type: p.peerType,
    type_name: PEER_TYPE_NAMES[p.peerType] ?? `type_${p.peerType}`,
    flags: p.flags,
    rd: p.rd ?? null,
    address: p.address,
    asn: p.asn,
    bgp_id: p.bgpId,
    timestamp: isoTime(p.tsSec, p.tsUsec),
    post_policy: p.postPolicy,
    adj_rib_out: p.adjRibOut,
    as2: p.asn2,
    filtered: p.filtered,
  };
}

/** The JSON form of path attributes: communities as text, MP families named. */
export function attributesJson(a: PathAttributes): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  if (a.communities) out.communities = a.communities.map(communityText);
  if (a.largeCommunities) out.largeCommunities = a.largeCommunities.map(largeCommunityText);
  if (a.mpReach) out.mpReach = { family: familyName(a.mpReach.afi, a.mpReach.safi), ...a.mpReach };
  if (a.mpUnreach) {
    out.mpUnreach = { family: familyName(a.mpUnreach.afi, a.mpUnreach.safi), ...a.mpUnreach };
  }
  return out;
}

/** Converts one decoded message into its JSON object. */
export function messageJson(m: BmpMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { ...m };
  if ("peer" in m) out.peer = peerJson(m.peer);
  if (m.kind === "route_monitoring") {
    out.update = { ...m.update, attributes: attributesJson(m.update.attributes) };
  }
  return out;
}

/** Where a stream broke, for the JSON of a framing error (`readBmpStream`'s items). */
export interface FramingBreak {
  /** Bytes skipped from the broken frame on. */
  skipped: number;
  /** Where reading resumed (-1: nowhere, the rest was skipped). */
  resumeAt: number;
}

/**
 * The JSON object of a message that could not be decoded (`kind: "error"`), or of a
 * framing break when `framing` is given. The caller adds where it was (`file`, `flow`).
 *
 * @example
 * ```ts
 * import { errorJson } from "./json.ts";
 * import { DecodeError } from "../wire/errors.ts";
 * const o = errorJson(new DecodeError("bad-length", 40, "Cannot decode X"));
 * if (o.framing !== false || o.offset !== 40 || o.message_type !== null) throw new Error();
 * ```
 */
export function errorJson(e: DecodeError, framing?: FramingBreak): Record<string, unknown> {
  return {
    kind: "error",
    framing: framing !== undefined,
    code: e.code,
    offset: e.offset,
    message_type: e.messageType ?? null,
    reason: e.message,
    ...(framing ? { skipped: framing.skipped, resume_offset: framing.resumeAt } : {}),
  };
}

/** `JSON.stringify` replacer: bigint as a string. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
