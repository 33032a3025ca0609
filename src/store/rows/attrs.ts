/**
 * Path attribute set rows (table `path_attrs`): one per UPDATE and next hop, keyed by a
 * content hash, and their column values.
 *
 * @module
 */

import { asPathText, flattenAsPath, originAs, pathLength } from "../../bgp/attributes/as_path.ts";
import { communityText, largeCommunityText } from "../../bgp/attributes/communities.ts";
import type { PathAttributes, UpdateProblem } from "../../bgp/update.ts";
import { Hash64 } from "./hash64.ts";

/**
 * One path attribute set (table `path_attrs`), shared by the routes of an UPDATE that
 * have the same next hop. Only the hash and the origin AS are computed up front; the
 * column values come from {@linkcode attrColumns} when the set is new to the store.
 */
export interface AttrRow {
  /** 64-bit content hash as signed decimal text (the `bigint` key). */
  id: string;
  /** The id's high and low 32 bits, unsigned: a key that costs no string hashing. */
  idHi: number;
  idLo: number;
  originAs: number | null;
  attributes: PathAttributes;
  nextHop: string | null;
  problems: UpdateProblem[] | null;
}

/** The column values of an attribute set. */
export interface AttrColumns {
  origin: number | null;
  /** ASNs in order, sets and confederation segments flattened. */
  asPath: number[] | null;
  /** AS path text with sets in braces, confederations in parentheses. */
  asPathText: string | null;
  originAs: number | null;
  asPathLength: number | null;
  nextHop: string | null;
  med: number | null;
  localPref: number | null;
  atomicAggregate: boolean;
  aggregatorAsn: number | null;
  aggregatorAddress: string | null;
  communities: string[] | null;
  extCommunities: string[] | null;
  largeCommunities: string[] | null;
  originatorId: string | null;
  clusterList: string[] | null;
  otc: number | null;
  aigp: string | null;
  pmsiTunnel: unknown;
  /** BGP Prefix-SID (RFC 8669, RFC 9252), as decoded. */
  prefixSid: unknown;
  /** TUNNEL_ENCAPSULATION (RFC 9012, SR Policy sub-TLVs of RFC 9830), as decoded. */
  tunnelEncap: unknown;
  /** BGP-LS attribute (type 29: RFC 9552, RFC 9085, RFC 9514), as decoded. */
  bgpLs: unknown;
  /** Attributes without a decoder (type, flags, value hex). */
  unknown: unknown;
  /** RFC 7606 problems of the UPDATE. */
  problems: UpdateProblem[] | null;
}

function optNum(h: Hash64, v: number | undefined): void {
  if (v === undefined) h.mark(2);
  else h.num(v);
}

function optStr(h: Hash64, v: string | undefined | null): void {
  if (v == null) h.mark(2);
  else h.str(v);
}

function optJson(h: Hash64, v: unknown): void {
  if (v == null) h.mark(2);
  else h.str(JSON.stringify(v, (_k, x) => typeof x === "bigint" ? `${x}` : x));
}

/**
 * The attribute set of an UPDATE for routes with next hop `nextHop`, with its content
 * hash. MP_REACH/MP_UNREACH are not part of the set (their routes are rows).
 *
 * @example
 * ```ts
 * import { attrColumns, attrRow } from "./attrs.ts";
 * const a = attrRow({ origin: 0, asPath: [{ type: 2, asns: [65001, 65002] }] }, "192.0.2.1", []);
 * if (a.originAs !== 65002) throw new Error("unexpected");
 * if (attrColumns(a).asPath?.join() !== "65001,65002") throw new Error("unexpected");
 * ```
 */
export function attrRow(
  a: PathAttributes,
  nextHop: string | undefined,
  problems: UpdateProblem[],
): AttrRow {
  const h = new Hash64();
  optNum(h, a.origin);
  if (a.asPath) {
    for (const s of a.asPath) {
      h.mark(10 + s.type);
      for (const asn of s.asns) h.num(asn);
    }
  }
  h.mark(3);
  optStr(h, nextHop || null);
  optNum(h, a.med);
  optNum(h, a.localPref);
  h.mark(a.atomicAggregate ? 4 : 5);
  optNum(h, a.aggregator?.asn);
  optStr(h, a.aggregator?.address);
  if (a.communities) { for (const c of a.communities) h.num(c); }
  h.mark(6);
  if (a.extendedCommunities) { for (const c of a.extendedCommunities) h.str(c); }
  h.mark(7);
  if (a.largeCommunities) {
    for (const c of a.largeCommunities) h.num(c[0]), h.num(c[1]), h.num(c[2]);
  }
  h.mark(8);
  optStr(h, a.originatorId);
  if (a.clusterList) { for (const c of a.clusterList) h.str(c); }
  h.mark(9);
  optNum(h, a.otc);
  optStr(h, a.aigp === undefined ? undefined : String(a.aigp));
  optJson(h, a.pmsiTunnel);
  optJson(h, a.unknown);
  optJson(h, problems.length ? problems : null);
  // Hashed only when present, so that sets without one keep the ids they had before.
  if (a.prefixSid) optJson(h, a.prefixSid);
  if (a.tunnelEncap) h.mark(11), optJson(h, a.tunnelEncap);
  if (a.bgpLs) h.mark(29), optJson(h, a.bgpLs);
  const id = h.digest();
  return {
    id,
    idHi: h.hi,
    idLo: h.lo,
    originAs: originAs(a.asPath) ?? null,
    attributes: a,
    nextHop: nextHop || null,
    problems: problems.length ? problems : null,
  };
}

/** The column values of an attribute set (text forms of communities and the AS path). */
export function attrColumns(r: AttrRow): AttrColumns {
  const a = r.attributes;
  return {
    origin: a.origin ?? null,
    asPath: a.asPath ? flattenAsPath(a.asPath) : null,
    asPathText: a.asPath ? asPathText(a.asPath) : null,
    originAs: r.originAs,
    asPathLength: a.asPath ? pathLength(a.asPath) : null,
    nextHop: r.nextHop,
    med: a.med ?? null,
    localPref: a.localPref ?? null,
    atomicAggregate: a.atomicAggregate === true,
    aggregatorAsn: a.aggregator?.asn ?? null,
    aggregatorAddress: a.aggregator?.address ?? null,
    communities: a.communities ? a.communities.map(communityText) : null,
    extCommunities: a.extendedCommunities ?? null,
    largeCommunities: a.largeCommunities ? a.largeCommunities.map(largeCommunityText) : null,
    originatorId: a.originatorId ?? null,
    clusterList: a.clusterList ?? null,
    otc: a.otc ?? null,
    aigp: a.aigp === undefined ? null : String(a.aigp),
    pmsiTunnel: a.pmsiTunnel ?? null,
    prefixSid: a.prefixSid ?? null,
    tunnelEncap: a.tunnelEncap ?? null,
    bgpLs: a.bgpLs ?? null,
    unknown: a.unknown ?? null,
    problems: r.problems,
  };
}
