/**
 * IP prefix NLRI: unicast and multicast (RFC 4271 §4.3, RFC 4760), labeled unicast
 * (RFC 8277) and MPLS VPN (RFC 4364 §4.3.4), with optional Add-Path identifiers
 * (RFC 7911 §3).
 *
 * ```text
 * [Path Identifier (4), with Add-Path] Length (1, bits) [Label (3)...] [RD (8)] Prefix
 * ```
 *
 * @module
 */

import { DecodeError } from "../../wire/errors.ts";
import { maxPrefixBits, prefixText } from "../../wire/ip.ts";
import type { WireReader } from "../../wire/reader.ts";
import { Safi } from "../constants.ts";
import { routeDistinguisher } from "../rd.ts";
import type { Nlri } from "./types.ts";

/** True for the SAFIs whose NLRI carry a label stack. */
export function hasLabels(safi: number): boolean {
  return safi === Safi.LabeledUnicast || safi === Safi.MplsVpn || safi === Safi.MulticastMplsVpn;
}

/** True for the SAFIs whose NLRI carry a Route Distinguisher. */
export function hasRd(safi: number): boolean {
  return safi === Safi.MplsVpn || safi === Safi.MulticastMplsVpn;
}

/**
 * Reads IP-prefix NLRI from `r` up to `r.end` into `out`.
 *
 * @param withdraw labels of withdrawn routes may be the RFC 8277 compatibility value
 *   0x800000 without the bottom-of-stack bit; one label is read then.
 * @throws {DecodeError} `bad-length` for a length beyond the family's maximum, `short-input`
 *   for a prefix crossing the end of the field.
 */
export function decodePrefixes(
  r: WireReader,
  afi: number,
  safi: number,
  addPath: boolean,
  withdraw: boolean,
  out: Nlri[],
): void {
  const maxBits = maxPrefixBits(afi);
  const labeled = hasLabels(safi);
  const rd = hasRd(safi);
  const b = r.bytes;
  while (r.pos < r.end) {
    const start = r.pos;
    const pathId = addPath ? r.u32() : undefined;
    let bits = r.u8();
    let labels: number[] | undefined;
    let rdText: string | undefined;
    if (labeled) {
      labels = [];
      while (true) {
        if (bits < 24) {
          throw new DecodeError(
            "bad-length",
            start,
            "Cannot decode labeled NLRI: no room for label",
          );
        }
        r.need(3);
        const v = (b[r.pos] << 16) | (b[r.pos + 1] << 8) | b[r.pos + 2];
        r.pos += 3;
        bits -= 24;
        labels.push(v >>> 4);
        if ((v & 1) === 1 || (withdraw && (v === 0x800000 || v === 0))) break;
      }
    }
    if (rd) {
      if (bits < 64) {
        throw new DecodeError("bad-length", start, "Cannot decode VPN NLRI: no room for RD");
      }
      r.need(8);
      rdText = routeDistinguisher(b, r.pos);
      r.pos += 8;
      bits -= 64;
    }
    if (bits > maxBits) {
      throw new DecodeError(
        "bad-length",
        start,
        `Cannot decode prefix: length ${bits} > ${maxBits}`,
      );
    }
    const n = (bits + 7) >> 3;
    r.need(n);
    const nlri: Nlri = { prefix: prefixText(afi, b, r.pos, bits) };
    r.pos += n;
    if (pathId !== undefined) nlri.pathId = pathId;
    if (rdText !== undefined) nlri.rd = rdText;
    if (labels !== undefined) nlri.labels = labels;
    out.push(nlri);
  }
}

/**
 * Decides whether an NLRI field carries Add-Path identifiers when no capability exchange
 * was seen: it parses without them first and accepts that unless it fails or yields a
 * default route among several entries (what path IDs 0x0000000N look like when misread
 * as prefixes); then it tries with path IDs. Returns the entries of the parse chosen.
 */
export function decodePrefixesGuessAddPath(
  r: WireReader,
  afi: number,
  safi: number,
  withdraw: boolean,
  out: Nlri[],
): boolean {
  const start = r.pos;
  const plain: Nlri[] = [];
  let plainOk = true;
  try {
    decodePrefixes(r, afi, safi, false, withdraw, plain);
  } catch {
    plainOk = false;
  }
  const suspicious = !plainOk || (plain.length > 1 && plain.some((n) => n.prefix.endsWith("/0")));
  if (suspicious) {
    r.pos = start;
    const withIds: Nlri[] = [];
    try {
      decodePrefixes(r, afi, safi, true, withdraw, withIds);
      for (const n of withIds) out.push(n);
      return true;
    } catch (e) {
      if (!plainOk) throw e;
    }
  }
  r.pos = r.end;
  for (const n of plain) out.push(n);
  return false;
}
