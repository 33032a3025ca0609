/**
 * Test helper: the cache side of RTR as bytes, built with the encoder (whose layout
 * `rtr_pdu_test.ts` checks against bytes written from the RFC diagrams).
 *
 * @module
 */

import { encodeRtrPdu } from "../../src/rpki/rtr_pdu.ts";
import { parsePrefix, type Vrp } from "../../src/rpki/vrp.ts";
import { concat as concatAll } from "../_bytes.ts";

/** An IPv4 or IPv6 Prefix PDU announcing (or withdrawing) `v`. */
export function prefixPdu(v: Vrp, announce = true, version = 1): Uint8Array {
  const p = parsePrefix(v.prefix);
  if (!p) throw new Error(`bad prefix ${v.prefix}`);
  return encodeRtrPdu({
    type: p.afi === 1 ? 4 : 6,
    version,
    announce,
    prefix: v.prefix,
    prefixLength: p.length,
    maxLength: v.maxLength,
    asn: v.asn,
  }, p.bytes);
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatAll(parts);
}

/** Timers carried in a version 1 End of Data. */
export interface Timers {
  refresh: number;
  retry: number;
  expire: number;
}

/** A whole response: Cache Response, the prefixes, End of Data. */
export function response(
  sessionId: number,
  serial: number,
  changes: { vrp: Vrp; announce?: boolean }[],
  opts: { version?: number; timers?: Timers } = {},
): Uint8Array {
  const version = opts.version ?? 1;
  const t = opts.timers ?? { refresh: 3600, retry: 600, expire: 7200 };
  return concat(
    encodeRtrPdu({ type: 3, version, sessionId }),
    ...changes.map((c) => prefixPdu(c.vrp, c.announce ?? true, version)),
    encodeRtrPdu({ type: 7, version, sessionId, serial, ...t }),
  );
}

/** The PDU type and version of each PDU in `list` (what the router sent). */
export function kinds(list: Uint8Array[]): string[] {
  return list.map((b) => `v${b[0]} type ${b[1]}`);
}
