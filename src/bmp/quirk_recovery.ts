/**
 * Recovery from sender quirks in monitored UPDATEs: routers that send path IDs where the
 * Peer Up's OPENs negotiated none (or none where they did), or 2-byte ASNs in AS_PATH or
 * AGGREGATOR of a 4-byte AS session (6WIND/FRR Loc-RIB), or the reverse.
 *
 * The rule: when a part of an UPDATE fails under the setting the session gives it, and
 * parses cleanly under the other one (every NLRI of the field, to its exact length), the
 * other one is used and an `UpdateProblem` with `action: "recovered"` and its `cause` is
 * added. A part that parses under neither keeps its RFC 7606 fault, as without recovery.
 *
 * ```text
 * part                          setting flipped        fault that triggers a retry
 * IPv4 Withdrawn/NLRI fields    Add-Path of 1/1        DecodeError thrown
 * MP_REACH/MP_UNREACH of AFI/SAFI Add-Path of AFI/SAFI  session-reset with afi/safi
 * AS_PATH                       2- or 4-byte ASNs      attribute discarded (treat-as-withdraw)
 * AGGREGATOR                    2- or 4-byte ASN       attribute discarded
 * ```
 *
 * A clean message costs nothing: the retry happens only after a fault. Families whose
 * Add-Path setting is unknown (no Peer Up, no stateless parsing TLV) are guessed by the
 * NLRI decoder already and are never retried here.
 *
 * @module
 */

import { AttrType, familyKey } from "../bgp/constants.ts";
import {
  type BgpUpdate,
  decodeUpdate,
  type RecoveryCause,
  type UpdateContext,
  type UpdateProblem,
} from "../bgp/update.ts";
import { DecodeError } from "../wire/errors.ts";

/** One setting to flip, and what to say when flipping it worked. */
interface Candidate {
  cause: RecoveryCause;
  attribute?: number;
  afi?: number;
  safi?: number;
  offset: number;
}

const ATTR_NAMES: Record<number, string> = {
  [AttrType.MpReachNlri]: "MP_REACH_NLRI",
  [AttrType.MpUnreachNlri]: "MP_UNREACH_NLRI",
};

function discarded(u: BgpUpdate, type: number): boolean {
  return u.attributes.unknown?.some((x) => x.type === type) ?? false;
}

/** The faults of `u` that flipping a setting could cure, by key. */
function faults(u: BgpUpdate, ctx: UpdateContext): Map<string, Candidate> {
  const out = new Map<string, Candidate>();
  for (const p of u.problems) {
    const at = p.attribute;
    if (
      p.action === "session-reset" && p.afi !== undefined && p.safi !== undefined &&
      (at === AttrType.MpReachNlri || at === AttrType.MpUnreachNlri) &&
      ctx.addPath(p.afi, p.safi) !== undefined
    ) {
      out.set(`add-path ${p.afi}/${p.safi}`, {
        cause: "add-path",
        attribute: at,
        afi: p.afi,
        safi: p.safi,
        offset: p.offset,
      });
    } else if (at === AttrType.AsPath && p.offset !== 0 && discarded(u, at)) {
      // offset 0 is "AS_PATH missing", which follows from the discard, not a second fault.
      out.set("as-path-size", { cause: "as-path-size", attribute: at, offset: p.offset });
    } else if (at === AttrType.Aggregator && discarded(u, at)) {
      out.set("aggregator-size", { cause: "aggregator-size", attribute: at, offset: p.offset });
    }
  }
  return out;
}

/** `ctx` with the settings of `flip` reversed. */
function flipped(ctx: UpdateContext, flip: Map<string, Candidate>): UpdateContext {
  const families = new Set<number>();
  for (const c of flip.values()) {
    if (c.cause === "add-path") families.add(familyKey(c.afi!, c.safi!));
  }
  const addPath = families.size === 0 ? ctx.addPath : (afi: number, safi: number) => {
    const v = ctx.addPath(afi, safi);
    return v !== undefined && families.has(familyKey(afi, safi)) ? !v : v;
  };
  return {
    asn4: ctx.asn4,
    addPath,
    asPathAsn4: flip.has("as-path-size") ? !(ctx.asPathAsn4 ?? ctx.asn4) : ctx.asPathAsn4,
    aggregatorAsn4: flip.has("aggregator-size")
      ? !(ctx.aggregatorAsn4 ?? ctx.asn4)
      : ctx.aggregatorAsn4,
  };
}

function recoveredProblem(c: Candidate, ctx: UpdateContext): UpdateProblem {
  let reason: string;
  if (c.cause === "add-path") {
    const was = ctx.addPath(c.afi!, c.safi!);
    const field = c.attribute === undefined ? "IPv4 NLRI fields" : ATTR_NAMES[c.attribute];
    reason = `${field} ${c.afi}/${c.safi} decoded ${
      was ? "without" : "with"
    } path IDs, against the negotiated Add-Path`;
  } else {
    const four = c.cause === "as-path-size"
      ? (ctx.asPathAsn4 ?? ctx.asn4)
      : (ctx.aggregatorAsn4 ?? ctx.asn4);
    const name = c.cause === "as-path-size" ? "AS_PATH" : "AGGREGATOR";
    reason = `${name} decoded with ${four ? 2 : 4}-byte ASNs in a ${four ? 4 : 2}-byte AS session`;
  }
  const p: UpdateProblem = { action: "recovered", cause: c.cause, offset: c.offset, reason };
  if (c.attribute !== undefined) p.attribute = c.attribute;
  if (c.afi !== undefined) {
    p.afi = c.afi;
    p.safi = c.safi;
  }
  return p;
}

/**
 * Decodes the UPDATE body in `bytes[start, end)` like `decodeUpdate`, retrying the
 * faulty parts under the other Add-Path or ASN-size setting (see the module doc).
 *
 * @throws {DecodeError} what `decodeUpdate` throws, when the retry does not cure it
 *
 * @example
 * ```ts
 * import { decodeUpdateRecovering } from "./quirk_recovery.ts";
 * // ORIGIN, then AS_PATH 02 01 fd e8 (AS 65000 in 2 bytes) in a 4-byte session.
 * const body = new Uint8Array([0, 0, 0, 11, 0x40, 1, 1, 0, 0x40, 2, 4, 2, 1, 0xfd, 0xe8]);
 * const u = decodeUpdateRecovering(body, 0, body.length, {
 *   asn4: true,
 *   addPath: () => false,
 * });
 * if (u.attributes.asPath?.[0].asns[0] !== 65000) throw new Error("not recovered");
 * if (u.problems[0].cause !== "as-path-size") throw new Error("not flagged");
 * ```
 */
export function decodeUpdateRecovering(
  bytes: Uint8Array,
  start: number,
  end: number,
  ctx: UpdateContext,
): BgpUpdate {
  let first: BgpUpdate;
  let base = ctx;
  const done: UpdateProblem[] = [];
  try {
    first = decodeUpdate(bytes, start, end, ctx);
    if (first.problems.length === 0) return first;
  } catch (e) {
    // Only the IPv4 Withdrawn Routes and NLRI fields throw (RFC 7606 §5.3): without a
    // parse of them there are no other faults to look at yet.
    if (!(e instanceof DecodeError) || ctx.addPath(1, 1) === undefined) throw e;
    const c: Candidate = { cause: "add-path", afi: 1, safi: 1, offset: e.offset };
    base = flipped(ctx, new Map([["add-path 1/1", c]]));
    try {
      first = decodeUpdate(bytes, start, end, base);
    } catch (e2) {
      if (!(e2 instanceof DecodeError)) throw e2;
      throw e;
    }
    done.push(recoveredProblem(c, ctx));
  }
  const todo = faults(first, base);
  // Each round drops the flips that did not cure their part; parts decode independently,
  // so the rest stay cured.
  while (todo.size > 0) {
    let retry: BgpUpdate;
    try {
      retry = decodeUpdate(bytes, start, end, flipped(base, todo));
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      // Flipping 1/1 for MP_REACH made the IPv4 fields fail: 1/1 stays as it was.
      if (!todo.delete("add-path 1/1")) break;
      continue;
    }
    const still = faults(retry, base);
    let cured = true;
    for (const k of todo.keys()) {
      if (still.has(k)) {
        todo.delete(k);
        cured = false;
      }
    }
    if (!cured) continue;
    for (const c of todo.values()) done.push(recoveredProblem(c, base));
    first = retry;
    break;
  }
  for (const p of done) first.problems.push(p);
  return first;
}
