/**
 * Peer Down Notification (RFC 7854 §4.9, RFC 9069 §5.4).
 *
 * ```text
 * Per-Peer Header | Reason (1) | Data
 * 1, 3: BGP NOTIFICATION PDU   2: FSM Event Code (2)   4, 5: none
 * 6: Information TLVs (Loc-RIB VRF/table name)
 * ```
 *
 * @module
 */

import { decodeBgpMessage } from "../bgp/message.ts";
import type { BgpNotification } from "../bgp/notification.ts";
import { hex } from "../wire/ip.ts";
import type { WireReader } from "../wire/reader.ts";
import { INFO_TLV_NAMES, PEER_DOWN_REASONS } from "./constants.ts";
import { decodeInfoTlvs, type InfoTlv } from "./tlv.ts";

/** A decoded Peer Down body. */
export interface PeerDown {
  reason: number;
  reasonName: string;
  notification?: BgpNotification;
  fsmEvent?: number;
  information?: InfoTlv[];
  /** Hex of data that follows and has no decoder. */
  data?: string;
}

const NO_CONTEXT = { asn4: true, addPath: () => false };

/** Decodes a Peer Down body from `r.pos` to `r.end`. */
export function decodePeerDown(r: WireReader): PeerDown {
  const reason = r.u8();
  const out: PeerDown = { reason, reasonName: PEER_DOWN_REASONS[reason] ?? `reason_${reason}` };
  if ((reason === 1 || reason === 3) && r.remaining > 0) {
    const { message, length } = decodeBgpMessage(r.bytes, r.pos, r.end, NO_CONTEXT);
    r.pos += length;
    if ("notification" in message) out.notification = message.notification;
  } else if (reason === 2 && r.remaining >= 2) {
    out.fsmEvent = r.u16();
  }
  if (r.remaining > 0) {
    if (reason === 6 || reason >= 4) {
      const save = r.pos;
      try {
        out.information = decodeInfoTlvs(r, INFO_TLV_NAMES);
      } catch {
        r.pos = save; // keep all of the data, not what the failed TLV parse left
        out.data = hex(r.rest());
      }
    } else out.data = hex(r.rest());
  }
  return out;
}
