/**
 * BMP information TLVs (RFC 7854 §4.4): Initiation, Termination, Peer Up, Peer Down
 * (RFC 9069) and Route Mirroring use the same Type (2) | Length (2) | Value layout.
 *
 * @module
 */

import { hex } from "../wire/ip.ts";
import type { WireReader } from "../wire/reader.ts";

/** One TLV: its type, a name from the registry in use, and its value. */
export interface InfoTlv {
  type: number;
  name: string;
  /** UTF-8 text for string TLVs, hex otherwise. */
  value: string;
}

// ignoreBOM: a leading U+FEFF is part of the value, not a marker to strip.
const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** Reads TLVs to `r.end`; `names` gives the string TLV names of the registry in use. */
export function decodeInfoTlvs(
  r: WireReader,
  names: Record<number, string>,
  isText: (type: number) => boolean = () => true,
): InfoTlv[] {
  const out: InfoTlv[] = [];
  while (r.pos < r.end) {
    const type = r.u16();
    const len = r.u16();
    const v = r.take(len);
    out.push({
      type,
      name: names[type] ?? `tlv_${type}`,
      value: isText(type) ? utf8.decode(v) : hex(v),
    });
  }
  return out;
}
