/**
 * BGP4MP and BGP4MP_ET records (RFC 6396 §4.4, RFC 8050 §3).
 *
 * ```text
 * Peer AS (2, or 4 for _AS4) | Local AS (2 or 4) | Interface Index (2)
 * | Address Family (2) | Peer IP Address (4 or 16) | Local IP Address (4 or 16)
 * | STATE_CHANGE: Old State (2) | New State (2)
 * | MESSAGE:      BGP Message (var, with its 19-byte header)
 * ```
 *
 * The BGP message is decoded by `decodeBgpMessage()`; the subtype says whether AS_PATH
 * holds 4-byte ASNs (_AS4) and whether NLRI carry path IDs (_ADDPATH; without it they
 * are looked for only when the NLRI cannot be read without them).
 *
 * @module
 */

import { decodeBgpMessage } from "../bgp/message.ts";
import { DecodeError } from "../wire/errors.ts";
import { ipAddress } from "../wire/ip.ts";
import type { WireReader } from "../wire/reader.ts";
import { Bgp4mpSubtype as St } from "./constants.ts";
import type { Bgp4mpMessage, Bgp4mpPeering, Bgp4mpStateChange } from "./types.ts";

/** ASN size, _LOCAL and _ADDPATH of the MESSAGE subtypes. */
const MESSAGE_SUBTYPES: Record<number, [asn4: boolean, local: boolean, addPath: boolean]> = {
  [St.Message]: [false, false, false],
  [St.MessageAs4]: [true, false, false],
  [St.MessageLocal]: [false, true, false],
  [St.MessageAs4Local]: [true, true, false],
  [St.MessageAddpath]: [false, false, true],
  [St.MessageAs4Addpath]: [true, false, true],
  [St.MessageLocalAddpath]: [false, true, true],
  [St.MessageAs4LocalAddpath]: [true, true, true],
};

function peering(r: WireReader, asn4: boolean): Bgp4mpPeering {
  const peerAs = asn4 ? r.u32() : r.u16();
  const localAs = asn4 ? r.u32() : r.u16();
  const ifIndex = r.u16();
  const at = r.pos;
  const afi = r.u16();
  if (afi !== 1 && afi !== 2) {
    throw new DecodeError("bad-value", at, `Cannot decode BGP4MP: address family ${afi}`);
  }
  const alen = afi === 1 ? 4 : 16;
  r.need(2 * alen);
  const peerAddress = ipAddress(r.bytes, r.pos, alen);
  const localAddress = ipAddress(r.bytes, r.pos + alen, alen);
  r.pos += 2 * alen;
  return { peerAs, localAs, ifIndex, afi, peerAddress, localAddress };
}

/**
 * Decodes a BGP4MP (or BGP4MP_ET, after its microseconds) body from `r` up to `r.end`.
 *
 * @returns `undefined` for a subtype not defined for BGP4MP
 * @throws {DecodeError} for a field crossing the record end, an address family other
 *   than IPv4/IPv6, and what the BGP message decoder throws (a BGP header that is not
 *   right). Faults inside an UPDATE are in its `problems`, as for BMP.
 */
export function decodeBgp4mp(
  r: WireReader,
  subtype: number,
): Bgp4mpMessage | Bgp4mpStateChange | undefined {
  if (subtype === St.StateChange || subtype === St.StateChangeAs4) {
    const p = peering(r, subtype === St.StateChangeAs4);
    const oldState = r.u16();
    const newState = r.u16();
    return { kind: "state_change", ...p, oldState, newState };
  }
  const flags = MESSAGE_SUBTYPES[subtype];
  if (!flags) return undefined;
  const [asn4, local, addPath] = flags;
  const p = peering(r, asn4);
  // Without _ADDPATH, path IDs are guessed only when the NLRI do not parse without
  // them: BIRD 1.6 wrote Add-Path sessions' UPDATEs as plain MESSAGE_AS4.
  const guess = addPath ? true : undefined;
  const messageOffset = r.pos;
  const { message, length } = decodeBgpMessage(r.bytes, r.pos, r.end, {
    asn4,
    addPath: () => guess,
  });
  r.pos += length;
  return {
    kind: "message",
    ...p,
    asn4,
    local,
    addPath,
    message,
    messageOffset,
    messageLength: length,
  };
}
