/**
 * NLRI dispatch by address family. Families without a decoder are kept as raw bytes and
 * never fail the message.
 *
 * @module
 */

import type { WireReader } from "../../wire/reader.ts";
import { Afi, Safi } from "../constants.ts";
import { decodeBgpLsNlri } from "./bgp_ls.ts";
import { decodeEvpnNlri } from "./evpn.ts";
import { decodeFlowspecNlri } from "./flowspec.ts";
import { decodeMupNlri } from "./mup.ts";
import { decodePrefixes, decodePrefixesGuessAddPath } from "./prefix.ts";
import { decodeRtcNlri } from "./rtc.ts";
import { decodeSrPolicyNlri } from "./sr_policy.ts";
import type { Nlri } from "./types.ts";

/** True for the families whose NLRI this module decodes. */
export function isDecodedFamily(afi: number, safi: number): boolean {
  if (afi === Afi.Ipv4 || afi === Afi.Ipv6) {
    return safi === Safi.Unicast || safi === Safi.Multicast || safi === Safi.LabeledUnicast ||
      safi === Safi.MplsVpn || safi === Safi.MulticastMplsVpn || isTypedFamily(afi, safi);
  }
  if (afi === Afi.BgpLs) return safi === Safi.BgpLs || safi === Safi.BgpLsVpn;
  return afi === Afi.L2vpn && safi === Safi.Evpn;
}

/** True for the IP families whose NLRI is not a prefix: Flowspec, RTC, SR Policy, MUP. */
function isTypedFamily(afi: number, safi: number): boolean {
  return safi === Safi.FlowSpec || safi === Safi.FlowSpecVpn || safi === Safi.SrTePolicy ||
    safi === Safi.Mup || (safi === Safi.RouteTargetConstraint && afi === Afi.Ipv4);
}

/**
 * Decodes the NLRI of one family from `r` up to `r.end` into `out`.
 *
 * @param addPath whether path identifiers are present; `undefined` when unknown, so that
 *   it is guessed from the bytes.
 * @returns whether path identifiers were read.
 */
export function decodeNlri(
  r: WireReader,
  afi: number,
  safi: number,
  addPath: boolean | undefined,
  withdraw: boolean,
  out: Nlri[],
): boolean {
  if (afi === Afi.L2vpn && safi === Safi.Evpn) {
    if (addPath === undefined) {
      // An EVPN route type is 1-11; a path ID's first byte is almost always 0.
      addPath = r.remaining >= 6 && r.bytes[r.pos] === 0;
    }
    decodeEvpnNlri(r, addPath, out);
    return addPath;
  }
  if (afi === Afi.BgpLs) {
    // Like the typed families: path IDs only when negotiated, never guessed.
    decodeBgpLsNlri(r, safi === Safi.BgpLsVpn, addPath === true, out);
    return addPath === true;
  }
  if (isTypedFamily(afi, safi)) {
    // Typed families (isTypedFamily): path IDs only when negotiated, never guessed.
    decodeTypedNlri(r, afi, safi, addPath === true, out);
    return addPath === true;
  }
  if (addPath === undefined) return decodePrefixesGuessAddPath(r, afi, safi, withdraw, out);
  decodePrefixes(r, afi, safi, addPath, withdraw, out);
  return addPath;
}

function decodeTypedNlri(r: WireReader, afi: number, safi: number, addPath: boolean, out: Nlri[]) {
  switch (safi) {
    case Safi.FlowSpec:
    case Safi.FlowSpecVpn:
      return decodeFlowspecNlri(r, afi, safi === Safi.FlowSpecVpn, addPath, out);
    case Safi.RouteTargetConstraint:
      return decodeRtcNlri(r, addPath, out);
    case Safi.SrTePolicy:
      return decodeSrPolicyNlri(r, afi, addPath, out);
    case Safi.Mup:
      return decodeMupNlri(r, afi, addPath, out);
  }
}
