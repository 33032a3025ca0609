/**
 * Initiation (RFC 7854 §4.3) and Termination (RFC 7854 §4.5) messages: TLVs only.
 *
 * @module
 */

import type { WireReader } from "../wire/reader.ts";
import { INFO_TLV_NAMES, TERMINATION_REASONS, TERMINATION_TLV_NAMES } from "./constants.ts";
import { decodeInfoTlvs, type InfoTlv } from "./tlv.ts";

/** A decoded Initiation message. */
export interface Initiation {
  information: InfoTlv[];
  sysName?: string;
  sysDescr?: string;
}

/** A decoded Termination message. */
export interface Termination {
  information: InfoTlv[];
  reason?: number;
  reasonName?: string;
}

/** Decodes an Initiation body from `r.pos` to `r.end`. */
export function decodeInitiation(r: WireReader): Initiation {
  const information = decodeInfoTlvs(r, INFO_TLV_NAMES);
  const out: Initiation = { information };
  for (const t of information) {
    if (t.type === 2) out.sysName = t.value;
    if (t.type === 1) out.sysDescr = t.value;
  }
  return out;
}

/** Decodes a Termination body from `r.pos` to `r.end`. */
export function decodeTermination(r: WireReader): Termination {
  const information = decodeInfoTlvs(r, TERMINATION_TLV_NAMES, (t) => t !== 1);
  const out: Termination = { information };
  const reason = information.find((t) => t.type === 1);
  if (reason && reason.value.length === 4) {
    out.reason = parseInt(reason.value, 16);
    out.reasonName = TERMINATION_REASONS[out.reason] ?? `reason_${out.reason}`;
  }
  return out;
}
