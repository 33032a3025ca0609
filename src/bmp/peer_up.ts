/**
 * Peer Up Notification (RFC 7854 §4.10, RFC 9069 §5.2).
 *
 * ```text
 * Per-Peer Header | Local Address (16) | Local Port (2) | Remote Port (2)
 * | Sent OPEN Message | Received OPEN Message | Information TLVs
 * ```
 *
 * @module
 */

import { decodeBgpMessage } from "../bgp/message.ts";
import type { BgpOpen } from "../bgp/open.ts";
import { DecodeError } from "../wire/errors.ts";
import { ipv4, ipv6 } from "../wire/ip.ts";
import type { WireReader } from "../wire/reader.ts";
import { INFO_TLV_NAMES } from "./constants.ts";
import type { PerPeerHeader } from "./per_peer_header.ts";
import { decodeInfoTlvs, type InfoTlv } from "./tlv.ts";

/** A decoded Peer Up body. */
export interface PeerUp {
  localAddress: string;
  localPort: number;
  remotePort: number;
  /** OPEN sent by the monitored router. */
  sentOpen: BgpOpen;
  /** OPEN received from the peer. */
  receivedOpen: BgpOpen;
  information: InfoTlv[];
}

const NO_CONTEXT = { asn4: true, addPath: () => false };

function readOpen(r: WireReader): BgpOpen {
  const at = r.pos;
  const { message, length } = decodeBgpMessage(r.bytes, r.pos, r.end, NO_CONTEXT);
  if (!("open" in message)) {
    throw new DecodeError("bad-type", at + 18, "Cannot decode Peer Up: BGP message is not OPEN");
  }
  r.pos += length;
  return message.open;
}

/** Decodes a Peer Up body from `r.pos` to `r.end`. */
export function decodePeerUp(r: WireReader, peer: PerPeerHeader): PeerUp {
  r.need(20);
  const b = r.bytes;
  const v4 = b[r.pos] === 0 && b[r.pos + 1] === 0 && b[r.pos + 2] === 0 && b[r.pos + 3] === 0 &&
    b[r.pos + 4] === 0 && b[r.pos + 5] === 0 && b[r.pos + 6] === 0 && b[r.pos + 7] === 0 &&
    b[r.pos + 8] === 0 && b[r.pos + 9] === 0 && b[r.pos + 10] === 0 && b[r.pos + 11] === 0;
  // The V flag says IPv6; some senders leave it clear and still fill 16 bytes.
  const localAddress = (peer.flags & 0x80) && peer.peerType !== 3 && !v4
    ? ipv6(b, r.pos)
    : v4
    ? ipv4(b, r.pos + 12)
    : ipv6(b, r.pos);
  r.pos += 16;
  const localPort = r.u16();
  const remotePort = r.u16();
  const sentOpen = readOpen(r);
  const receivedOpen = readOpen(r);
  const information = decodeInfoTlvs(r, INFO_TLV_NAMES);
  return { localAddress, localPort, remotePort, sentOpen, receivedOpen, information };
}
