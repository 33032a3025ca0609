/**
 * BGP UPDATE message body (RFC 4271 §4.3) with RFC 7606 error handling.
 *
 * ```text
 * Withdrawn Routes Length (2) | Withdrawn Routes | Total Path Attribute Length (2)
 * | Path Attributes | NLRI
 * attribute: Flags (1) | Type (1) | Length (1, or 2 with Extended Length) | Value
 * ```
 *
 * One bad attribute does not lose the message: it is recorded in `problems` with its
 * RFC 7606 action, and decoding goes on.
 *
 * @module
 */

import { DecodeError, toDecodeError } from "../wire/errors.ts";
import { hex, ipv4 } from "../wire/ip.ts";
import { WireReader } from "../wire/reader.ts";
import { Afi, AttrFlag, AttrType } from "./constants.ts";
import { decodeBgpLsAttribute } from "./attributes/bgp_ls_attr.ts";
import { AS_TRANS, decodeAsPath, reconcileAs4Path } from "./attributes/as_path.ts";
import { decodeCommunities, decodeLargeCommunities } from "./attributes/communities.ts";
import { decodeExtendedCommunities } from "./attributes/extended_communities.ts";
import { decodeMpReach, decodeMpUnreach } from "./attributes/mp_reach.ts";
import { decodePrefixSid } from "./attributes/prefix_sid.ts";
import { decodeTunnelEncap } from "./attributes/tunnel_encap.ts";
import { decodeNlri } from "./nlri/decode.ts";
import type { Nlri } from "./nlri/types.ts";

export type {
  Aggregator,
  BgpUpdate,
  PathAttributes,
  PmsiTunnel,
  RawAttribute,
  RecoveryCause,
  Rfc7606Action,
  UpdateContext,
  UpdateProblem,
} from "./update_types.ts";
import type { BgpUpdate, Rfc7606Action, UpdateContext } from "./update_types.ts";

const RANK: Record<Rfc7606Action, number> = {
  "recovered": -1,
  "attribute-discard": 0,
  "treat-as-withdraw": 1,
  "session-reset": 2,
};

/**
 * Decodes the body of an UPDATE (after the 19-byte BGP header) in `bytes[start, end)`.
 *
 * @throws {DecodeError} when the Withdrawn Routes or Path Attribute lengths overrun the
 *   message or the IPv4 NLRI field cannot be parsed (RFC 7606 §5.3: no way to know which
 *   routes the message meant).
 */
export function decodeUpdate(
  bytes: Uint8Array,
  start: number,
  end: number,
  ctx: UpdateContext,
): BgpUpdate {
  const r = new WireReader(bytes, start, end);
  const withdrawnLen = r.u16();
  const update: BgpUpdate = { withdrawn: [], nlri: [], attributes: {}, problems: [] };
  let outer = r.enter(withdrawnLen);
  decodeNlri(r, 1, 1, ctx.addPath(1, 1), true, update.withdrawn);
  r.leave(outer);
  const attrLen = r.u16();
  if (attrLen > r.remaining) {
    throw new DecodeError(
      "bad-length",
      r.pos - 2,
      `Cannot decode UPDATE: attribute length ${attrLen} > ${r.remaining}`,
    );
  }
  outer = r.enter(attrLen);
  decodeAttributes(r, ctx, update);
  r.leave(outer);
  decodeNlri(r, 1, 1, ctx.addPath(1, 1), false, update.nlri);
  finish(update, ctx, withdrawnLen, attrLen);
  return update;
}

function problem(
  u: BgpUpdate,
  action: Rfc7606Action,
  offset: number,
  reason: string,
  attribute?: number,
) {
  u.problems.push({ action, attribute, offset, reason });
  if (RANK[action] >= 1) u.treatAsWithdraw = true;
}

function decodeAttributes(r: WireReader, ctx: UpdateContext, u: BgpUpdate): void {
  const a = u.attributes;
  const seen = new Set<number>();
  const b = r.bytes;
  while (r.pos < r.end) {
    const at = r.pos;
    if (r.remaining < 3) {
      problem(u, "treat-as-withdraw", at, "attribute header crosses the attribute list end");
      return;
    }
    const flags = b[r.pos];
    const type = b[r.pos + 1];
    let len: number;
    if (flags & AttrFlag.ExtendedLength) {
      if (r.remaining < 4) {
        problem(u, "treat-as-withdraw", at, "attribute header crosses the attribute list end");
        return;
      }
      len = (b[r.pos + 2] << 8) | b[r.pos + 3];
      r.pos += 4;
    } else {
      len = b[r.pos + 2];
      r.pos += 3;
    }
    if (len > r.remaining) {
      problem(
        u,
        "treat-as-withdraw",
        at,
        `attribute ${type} length ${len} crosses the attribute list end`,
        type,
      );
      r.pos = r.end;
      return;
    }
    const vStart = r.pos;
    const vEnd = r.pos + len;
    if (seen.has(type)) {
      // RFC 7606 §3.g: a repeated MP attribute is fatal for the session, others are discarded.
      const mp = type === AttrType.MpReachNlri || type === AttrType.MpUnreachNlri;
      problem(
        u,
        mp ? "session-reset" : "attribute-discard",
        at,
        `attribute ${type} repeated`,
        type,
      );
      r.pos = vEnd;
      continue;
    }
    seen.add(type);
    const sub = r.enter(len);
    try {
      decodeAttribute(r, type, flags, vStart, vEnd, ctx, u);
    } catch (e) {
      const err = toDecodeError(e, vStart);
      const action: Rfc7606Action = type === AttrType.MpReachNlri || type === AttrType.MpUnreachNlri
        ? "session-reset"
        : type === AttrType.As4Path || type === AttrType.As4Aggregator ||
            type === AttrType.Aggregator ||
            type === AttrType.AtomicAggregate ||
            type === AttrType.PrefixSid || // RFC 8669 §6, RFC 9252 §6
            type === AttrType.BgpLs // RFC 9552 §8.2.2
        ? "attribute-discard"
        : "treat-as-withdraw";
      problem(u, action, err.offset, `attribute ${type}: ${err.message}`, type);
      if (action === "session-reset" && len >= 3) {
        // The family, so that a quirk recovery knows which Add-Path setting to retry.
        const p = u.problems[u.problems.length - 1];
        p.afi = (b[vStart] << 8) | b[vStart + 1];
        p.safi = b[vStart + 2];
      }
      (a.unknown ??= []).push({ type, flags, value: hex(b.subarray(vStart, vEnd)) });
    }
    r.leave(sub);
  }
}

function fixedLength(len: number, want: number, type: number, at: number): void {
  if (len !== want) {
    throw new DecodeError(
      "bad-length",
      at,
      `Cannot decode attribute ${type}: length ${len} != ${want}`,
    );
  }
}

function multipleOf(len: number, unit: number, type: number, at: number): void {
  if (len % unit !== 0) {
    throw new DecodeError(
      "bad-length",
      at,
      `Cannot decode attribute ${type}: length ${len} not a multiple of ${unit}`,
    );
  }
}

function decodeAttribute(
  r: WireReader,
  type: number,
  flags: number,
  vStart: number,
  vEnd: number,
  ctx: UpdateContext,
  u: BgpUpdate,
): void {
  const a = u.attributes;
  const b = r.bytes;
  const len = vEnd - vStart;
  switch (type) {
    case AttrType.Origin:
      fixedLength(len, 1, type, vStart);
      if (b[vStart] > 2) {
        throw new DecodeError("bad-value", vStart, `Cannot decode ORIGIN: value ${b[vStart]}`);
      }
      a.origin = b[vStart];
      return;
    case AttrType.AsPath:
      a.asPath = decodeAsPath(r, ctx.asPathAsn4 ?? ctx.asn4);
      return;
    case AttrType.NextHop:
      fixedLength(len, 4, type, vStart);
      a.nextHop = ipv4(b, vStart);
      return;
    case AttrType.MultiExitDisc:
      fixedLength(len, 4, type, vStart);
      a.med = r.u32();
      return;
    case AttrType.LocalPref:
      fixedLength(len, 4, type, vStart);
      a.localPref = r.u32();
      return;
    case AttrType.AtomicAggregate:
      fixedLength(len, 0, type, vStart);
      a.atomicAggregate = true;
      return;
    case AttrType.Aggregator: {
      const asn4 = ctx.aggregatorAsn4 ?? ctx.asn4;
      fixedLength(len, asn4 ? 8 : 6, type, vStart);
      a.aggregator = { asn: asn4 ? r.u32() : r.u16(), address: ipv4(b, r.pos) };
      return;
    }
    case AttrType.Communities:
      multipleOf(len, 4, type, vStart);
      a.communities = decodeCommunities(b, vStart, vEnd);
      return;
    case AttrType.OriginatorId:
      fixedLength(len, 4, type, vStart);
      a.originatorId = ipv4(b, vStart);
      return;
    case AttrType.ClusterList: {
      multipleOf(len, 4, type, vStart);
      const ids: string[] = [];
      for (let p = vStart; p < vEnd; p += 4) ids.push(ipv4(b, p));
      a.clusterList = ids;
      return;
    }
    case AttrType.MpReachNlri:
      a.mpReach = decodeMpReach(r, ctx.addPath);
      if (a.mpReach.afi === Afi.BgpLs) malformedLsNlri(u, a.mpReach.nlri, a.mpReach.safi);
      return;
    case AttrType.MpUnreachNlri:
      a.mpUnreach = decodeMpUnreach(r, ctx.addPath);
      return;
    case AttrType.ExtendedCommunities:
      multipleOf(len, 8, type, vStart);
      a.extendedCommunities = decodeExtendedCommunities(b, vStart, vEnd);
      return;
    case AttrType.As4Path:
      a.as4Path = decodeAsPath(r, true);
      return;
    case AttrType.As4Aggregator:
      fixedLength(len, 8, type, vStart);
      a.as4Aggregator = { asn: r.u32(), address: ipv4(b, r.pos) };
      return;
    case AttrType.PmsiTunnel: {
      if (len < 5) {
        throw new DecodeError("bad-length", vStart, `Cannot decode PMSI_TUNNEL: length ${len}`);
      }
      const label = ((b[vStart + 2] << 16) | (b[vStart + 3] << 8) | b[vStart + 4]) >>> 4;
      a.pmsiTunnel = {
        flags: b[vStart],
        tunnelType: b[vStart + 1],
        label,
        tunnelId: len === 9 ? ipv4(b, vStart + 5) : hex(b.subarray(vStart + 5, vEnd)),
      };
      return;
    }
    case AttrType.Aigp: {
      // One TLV: type 1, length 11, 8-byte metric (RFC 7311 §3).
      if (len >= 11 && b[vStart] === 1) {
        r.skip(3);
        a.aigp = r.u64();
        return;
      }
      break;
    }
    case AttrType.LargeCommunity:
      multipleOf(len, 12, type, vStart);
      a.largeCommunities = decodeLargeCommunities(b, vStart, vEnd);
      return;
    case AttrType.Otc:
      fixedLength(len, 4, type, vStart);
      a.otc = r.u32();
      return;
    case AttrType.PrefixSid:
      a.prefixSid = decodePrefixSid(r);
      return;
    case AttrType.TunnelEncap: // malformed: treat-as-withdraw (RFC 9012 §13), the default
      a.tunnelEncap = decodeTunnelEncap(r);
      return;
    case AttrType.BgpLs: // malformed: attribute-discard (RFC 9552 §8.2.2)
      a.bgpLs = decodeBgpLsAttribute(r);
      return;
  }
  (a.unknown ??= []).push({ type, flags, value: hex(b.subarray(vStart, vEnd)) });
}

/** RFC 9552 §8.2.2: a BGP-LS NLRI whose body is malformed while its length is sound is
 * treated as withdrawn, that NLRI only (`BgpLsNlri.malformed`; the rest of the UPDATE
 * stands, so `treatAsWithdraw` is not set). */
function malformedLsNlri(u: BgpUpdate, nlri: Nlri[], safi: number): void {
  for (const n of nlri) {
    const m = n.bgpLs?.malformed;
    if (!m) continue;
    u.problems.push({
      action: "treat-as-withdraw",
      attribute: AttrType.MpReachNlri,
      offset: m.offset,
      reason: `attribute ${AttrType.MpReachNlri}: ${m.reason} (BGP-LS NLRI type ${
        n.bgpLs!.nlriType
      }, that NLRI only)`,
      afi: Afi.BgpLs,
      safi,
    });
  }
}

function finish(u: BgpUpdate, ctx: UpdateContext, withdrawnLen: number, attrLen: number): void {
  const a = u.attributes;
  if (!ctx.asn4) {
    // RFC 6793 §4.2.3: AS4 attributes apply only when AGGREGATOR (if any) says AS_TRANS.
    const aggTrans = !a.aggregator || a.aggregator.asn === AS_TRANS;
    if (a.as4Aggregator && a.aggregator?.asn === AS_TRANS) a.aggregator = a.as4Aggregator;
    // An AS_PATH that came with 4-byte ASNs anyway needs no AS4_PATH.
    if (a.as4Path && a.asPath && aggTrans && !ctx.asPathAsn4) {
      a.asPath = reconcileAs4Path(a.asPath, a.as4Path);
    }
  }
  if (withdrawnLen === 0 && attrLen === 0 && u.nlri.length === 0) {
    u.endOfRib = { afi: 1, safi: 1 };
  } else if (
    withdrawnLen === 0 && u.nlri.length === 0 && a.mpUnreach && a.mpUnreach.nlri.length === 0 &&
    !a.mpUnreach.raw && !a.mpReach && a.origin === undefined && a.asPath === undefined
  ) {
    u.endOfRib = { afi: a.mpUnreach.afi, safi: a.mpUnreach.safi };
  }
  // RFC 7606 §3.d: mandatory attributes missing while routes are announced.
  if (u.nlri.length > 0 || (a.mpReach && a.mpReach.nlri.length > 0)) {
    if (a.origin === undefined) {
      problem(u, "treat-as-withdraw", 0, "ORIGIN missing", AttrType.Origin);
    }
    if (a.asPath === undefined) {
      problem(u, "treat-as-withdraw", 0, "AS_PATH missing", AttrType.AsPath);
    }
    if (u.nlri.length > 0 && a.nextHop === undefined) {
      problem(u, "treat-as-withdraw", 0, "NEXT_HOP missing", AttrType.NextHop);
    }
  }
}
