/**
 * The JSON form of decoded messages (`bmpmon decode --format jsonl`): the decoded objects
 * with communities as text, timestamps as ISO 8601, 64-bit values as numbers when exact
 * and strings otherwise. Field names are listed in README.md.
 *
 * @module
 */

import { communityText, largeCommunityText } from "../bgp/attributes/communities.ts";
import { familyName } from "../bgp/constants.ts";
import type { BmpMessage } from "../bmp/message.ts";
import type { PerPeerHeader } from "../bmp/per_peer_header.ts";
import { PEER_TYPE_NAMES } from "../bmp/constants.ts";
import type { PathAttributes } from "../bgp/update.ts";

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

/** `JSON.stringify` replacer: bigint as a string. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
