/**
 * AS_PATH and AS4_PATH (RFC 4271 §4.3, RFC 5065, RFC 6793).
 *
 * ```text
 * segment: Type (1) | Count (1, ASNs) | ASN (2 or 4 each) ...
 * types: 1 AS_SET, 2 AS_SEQUENCE, 3 AS_CONFED_SEQUENCE, 4 AS_CONFED_SET
 * ```
 *
 * @module
 */

import { DecodeError } from "../../wire/errors.ts";
import type { WireReader } from "../../wire/reader.ts";

/** AS path segment types. */
export const AsPathSegmentType = { AsSet: 1, AsSequence: 2, ConfedSequence: 3, ConfedSet: 4 };

/** One AS path segment. */
export interface AsPathSegment {
  /** 1 AS_SET, 2 AS_SEQUENCE, 3 AS_CONFED_SEQUENCE, 4 AS_CONFED_SET. */
  type: number;
  asns: number[];
}

/** AS_TRANS (RFC 6793 §9). */
export const AS_TRANS = 23456;

/**
 * Decodes an AS path of 2- or 4-byte ASNs from `r` up to `r.end`.
 *
 * @throws {DecodeError} `bad-value` for an unknown segment type or an empty segment,
 *   `short-input` for a segment crossing the attribute's end.
 */
export function decodeAsPath(r: WireReader, asn4: boolean): AsPathSegment[] {
  const segments: AsPathSegment[] = [];
  const b = r.bytes;
  while (r.pos < r.end) {
    const at = r.pos;
    const type = r.u8();
    const count = r.u8();
    if (type < 1 || type > 4) {
      throw new DecodeError("bad-value", at, `Cannot decode AS path: segment type ${type}`);
    }
    if (count === 0) throw new DecodeError("bad-value", at, "Cannot decode AS path: empty segment");
    const asns = new Array<number>(count);
    if (asn4) {
      r.need(count * 4);
      for (let i = 0; i < count; i++) {
        const p = r.pos + i * 4;
        asns[i] = ((b[p] << 24) >>> 0) + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
      }
      r.pos += count * 4;
    } else {
      r.need(count * 2);
      for (let i = 0; i < count; i++) asns[i] = (b[r.pos + 2 * i] << 8) | b[r.pos + 2 * i + 1];
      r.pos += count * 2;
    }
    segments.push({ type, asns });
  }
  return segments;
}

/** Path length as RFC 4271 §9.1.2.2 counts it: a set counts 1, confederation segments 0. */
export function pathLength(path: AsPathSegment[]): number {
  let n = 0;
  for (const s of path) {
    if (s.type === 2) n += s.asns.length;
    else if (s.type === 1) n += 1;
  }
  return n;
}

/**
 * Merges AS_PATH and AS4_PATH as a NEW speaker does for a route from an OLD one
 * (RFC 6793 §4.2.3): keep the leading ASNs of AS_PATH that AS4_PATH lacks, then AS4_PATH.
 * If AS_PATH is shorter than AS4_PATH, AS4_PATH is ignored.
 *
 * @example
 * ```ts
 * import { reconcileAs4Path } from "./as_path.ts";
 * const merged = reconcileAs4Path(
 *   [{ type: 2, asns: [100, 23456, 23456] }],
 *   [{ type: 2, asns: [4200000001, 4200000002] }],
 * );
 * if (merged[0].asns.join() !== "100,4200000001,4200000002") throw new Error("unexpected");
 * ```
 */
export function reconcileAs4Path(
  asPath: AsPathSegment[],
  as4Path: AsPathSegment[],
): AsPathSegment[] {
  const n2 = pathLength(asPath);
  const n4 = pathLength(as4Path);
  if (n2 < n4) return asPath;
  let keep = n2 - n4;
  const out: AsPathSegment[] = [];
  for (const s of asPath) {
    if (keep <= 0) break;
    if (s.type === 2) {
      const take = Math.min(keep, s.asns.length);
      out.push({ type: 2, asns: s.asns.slice(0, take) });
      keep -= take;
    } else if (s.type === 1) {
      out.push(s);
      keep -= 1;
    } else {
      out.push(s);
    }
  }
  // Join a trailing AS_SEQUENCE with a leading one of AS4_PATH so the path reads as one.
  const first = as4Path[0];
  const last = out[out.length - 1];
  if (last && first && last.type === 2 && first.type === 2) {
    out[out.length - 1] = { type: 2, asns: last.asns.concat(first.asns) };
    return out.concat(as4Path.slice(1));
  }
  return out.concat(as4Path);
}

/** The origin AS: the last ASN of a path ending in an AS_SEQUENCE, else undefined. */
export function originAs(path: AsPathSegment[] | undefined): number | undefined {
  if (!path) return undefined;
  for (let i = path.length - 1; i >= 0; i--) {
    const s = path[i];
    if (s.type === 2) return s.asns[s.asns.length - 1];
    if (s.type === 1) return s.asns.length === 1 ? s.asns[0] : undefined;
  }
  return undefined;
}

/** Flattens a path to its ASNs in order (sets and confederations included). */
export function flattenAsPath(path: AsPathSegment[] | undefined): number[] {
  if (!path) return [];
  const out: number[] = [];
  for (const s of path) for (const a of s.asns) out.push(a);
  return out;
}

/** Text form: sequences space-separated, sets in braces, confederations in parentheses. */
export function asPathText(path: AsPathSegment[] | undefined): string {
  if (!path) return "";
  return path.map((s) => {
    const body = s.asns.join(s.type === 1 || s.type === 4 ? "," : " ");
    if (s.type === 1) return `{${body}}`;
    if (s.type === 3) return `(${body})`;
    if (s.type === 4) return `[${body}]`;
    return body;
  }).join(" ");
}
