/**
 * `bgpdump -m` lines (RIPE NCC bgpdump's one-line-per-route format) for MRT records.
 *
 * ```text
 * TABLE_DUMP|ts|B|peer_ip|peer_as|prefix|as_path|origin|next_hop|local_pref|med|communities|AG/NAG|aggregator|
 * TABLE_DUMP2|…   (TABLE_DUMP2_AP|…|prefix|path_id|… for RFC 8050 records)
 * BGP4MP|ts|A|peer_ip|peer_as|prefix|as_path|…|aggregator|
 * BGP4MP|ts|W|peer_ip|peer_as|prefix
 * BGP4MP|ts|STATE|peer_ip|peer_as|old_state|new_state
 * BGP4MP_AP|…|prefix|path_id|…  (the _ADDPATH subtypes)
 * ```
 *
 * Communities are RFC 1997 ones only (bgpdump -m has no field for large or extended
 * communities), three well-known ones by bgpdump's names. BGP4MP_ET records print
 * `BGP4MP_ET` and `seconds.microseconds`. Messages other than
 * UPDATE, and PEER_INDEX_TABLE records, print nothing.
 *
 * @module
 */

import { asPathText } from "../bgp/attributes/as_path.ts";
import type { Nlri } from "../bgp/nlri/types.ts";
import type { PathAttributes } from "../bgp/update_types.ts";
import type { BgpUpdate } from "../bgp/update.ts";
import { MrtType } from "./constants.ts";
import type { MrtHeader, MrtRecord } from "./types.ts";

const ORIGIN = ["IGP", "EGP", "INCOMPLETE"];

/** bgpdump's names for the RFC 1997 well-known communities it knows. */
const COMMUNITY_NAMES: Record<number, string> = {
  0xffffff01: "no-export",
  0xffffff02: "no-advertise",
  0xffffff03: "local-AS",
};

function communitiesText(a: PathAttributes): string {
  const parts: string[] = [];
  for (const c of a.communities ?? []) {
    parts.push(COMMUNITY_NAMES[c] ?? `${c >>> 16}:${c & 0xffff}`);
  }
  return parts.join(" ");
}

/** The fields from AS path to aggregator, with the trailing `|`. */
function attributeFields(a: PathAttributes, nextHop: string | undefined): string {
  const origin = a.origin === undefined ? "" : ORIGIN[a.origin];
  const agg = a.aggregator ? `${a.aggregator.asn} ${a.aggregator.address}` : "";
  return `${asPathText(a.asPath)}|${origin}|${nextHop ?? ""}|${a.localPref ?? 0}|${a.med ?? 0}|${
    communitiesText(a)
  }|${a.atomicAggregate ? "AG" : "NAG"}|${agg}|`;
}

function time(h: MrtHeader): string {
  if (h.type !== MrtType.Bgp4mpEt) return String(h.timestamp);
  return `${h.timestamp}.${String(h.microseconds ?? 0).padStart(6, "0")}`;
}

function prefixField(n: Nlri, addPath: boolean): string {
  return addPath ? `${n.prefix}|${n.pathId ?? 0}` : n.prefix;
}

/**
 * The `bgpdump -m` lines of one record.
 *
 * @param rec a record from `readMrt()`
 * @returns one line per route (none for records bgpdump does not print in this format)
 *
 * @example
 * ```ts
 * import { bgpdumpLines, readMrt } from "./mod.ts";
 * const rec = new Uint8Array([
 *   0x5e, 0, 0, 0, 0, 16, 0, 5, 0, 0, 0, 24,
 *   0, 0, 0xfd, 0xe9, 0, 0, 0xfd, 0xea, 0, 0, 0, 1, 10, 0, 0, 1, 10, 0, 0, 2, 0, 3, 0, 2,
 * ]);
 * const [item] = readMrt(rec);
 * const line = bgpdumpLines(item.record!)[0];
 * if (line !== "BGP4MP|1577058304|STATE|10.0.0.1|65001|3|2") throw new Error(line);
 * ```
 */
export function bgpdumpLines(rec: MrtRecord): string[] {
  const b = rec.body;
  const h = rec.header;
  switch (b.kind) {
    case "table_dump":
      return [
        `TABLE_DUMP|${h.timestamp}|B|${b.peerAddress}|${b.peerAs}|${b.prefix}|${
          attributeFields(b.attributes, ribNextHop(b.attributes, b.afi))
        }`,
      ];
    case "rib": {
      if (!isPrinted(b.afi, b.safi)) return [];
      const tag = b.addPath ? "TABLE_DUMP2_AP" : "TABLE_DUMP2";
      return b.entries.map((e) =>
        `${tag}|${h.timestamp}|B|${e.peer?.address ?? ""}|${e.peer?.asn ?? 0}|${
          b.addPath ? `${b.nlri.prefix}|${e.pathId ?? 0}` : b.nlri.prefix
        }|${attributeFields(e.attributes, ribNextHop(e.attributes, b.afi))}`
      );
    }
    case "state_change":
      return [
        `${mpTag(h)}|${time(h)}|STATE|${b.peerAddress}|${b.peerAs}|${b.oldState}|${b.newState}`,
      ];
    case "message":
      if (!("update" in b.message)) return [];
      return updateLines(
        `${mpTag(h, b.addPath)}|${time(h)}|`,
        `|${b.peerAddress}|${b.peerAs}|`,
        b.message.update,
        b.addPath,
      );
  }
  return [];
}

function mpTag(h: MrtHeader, addPath = false): string {
  return (h.type === MrtType.Bgp4mpEt ? "BGP4MP_ET" : "BGP4MP") + (addPath ? "_AP" : "");
}

/** bgpdump prints IPv4 and IPv6 unicast and multicast routes only (no field for an RD). */
function isPrinted(afi: number, safi: number): boolean {
  return (afi === 1 || afi === 2) && (safi === 1 || safi === 2);
}

/** The next hop of a RIB entry: MP_REACH_NLRI's for IPv6, NEXT_HOP's for IPv4. */
function ribNextHop(a: PathAttributes, afi: number): string | undefined {
  if (afi === 2 || !a.nextHop) return a.mpReach?.nextHop ?? a.nextHop;
  return a.nextHop;
}

function updateLines(head: string, peer: string, u: BgpUpdate, addPath: boolean): string[] {
  const out: string[] = [];
  const a = u.attributes;
  for (const n of u.withdrawn) out.push(`${head}W${peer}${prefixField(n, addPath)}`);
  if (a.mpUnreach && isPrinted(a.mpUnreach.afi, a.mpUnreach.safi)) {
    for (const n of a.mpUnreach.nlri) out.push(`${head}W${peer}${prefixField(n, addPath)}`);
  }
  const v4 = attributeFields(a, a.nextHop);
  for (const n of u.nlri) out.push(`${head}A${peer}${prefixField(n, addPath)}|${v4}`);
  if (a.mpReach && isPrinted(a.mpReach.afi, a.mpReach.safi)) {
    const mp = attributeFields(a, a.mpReach.nextHop);
    for (const n of a.mpReach.nlri) out.push(`${head}A${peer}${prefixField(n, addPath)}|${mp}`);
  }
  return out;
}
