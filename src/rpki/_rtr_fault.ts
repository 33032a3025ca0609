/**
 * Protocol errors of an RTR session (private to `rtr_session.ts`): the fault a PDU raises,
 * the Error Report the router owes for it (RFC 8210 §10, §5.11), and what a cache's own
 * Error Report says.
 *
 * @module
 */

import { decodeRtrPdu, encodeRtrPdu, RTR_ERROR_CODES, type RtrVersion } from "./rtr_pdu.ts";

/** Error Report codes by number, as the log names them. */
export const ERROR_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(RTR_ERROR_CODES).map(([k, v]) => [v, k.toLowerCase().replaceAll("_", " ")]),
);

/** A PDU that breaks the protocol: the Error Report code (-1: send none) and the PDU. */
export class ProtocolFault extends Error {
  constructor(readonly code: number, readonly pdu: Uint8Array, message: string) {
    super(message);
  }
}

/** A PDU the session's state does not allow now: Corrupt Data. */
export function unexpected(bytes: Uint8Array, what: string): ProtocolFault {
  return new ProtocolFault(RTR_ERROR_CODES.CORRUPT_DATA, bytes, `unexpected ${what}`);
}

/** The Error Report answering `f`, carrying at most 64 bytes of the erroneous PDU. */
export function errorReportFor(version: RtrVersion, f: ProtocolFault): Uint8Array {
  return encodeRtrPdu({
    type: 10,
    version,
    errorCode: f.code,
    pdu: f.pdu.subarray(0, Math.min(f.pdu.length, 64)),
    text: f.message,
  });
}

/** The code (-1 when unreadable), its name and the text of a cache's Error Report. */
export function readErrorReport(bytes: Uint8Array): { code: number; name: string; text: string } {
  let code = -1, text = "";
  try {
    const r = decodeRtrPdu(bytes);
    if (r.type === 10) ({ errorCode: code, text } = r);
  } catch {
    // A broken Error Report: still the end of the session, and never answered.
  }
  return { code, name: ERROR_NAMES[code] ?? `code ${code}`, text };
}

/**
 * What a cache's Error Report asks of the router: RFC 8210 §7's retry with version 0 (a
 * version 1 session that has not agreed on a version yet, or a report sent as version 0),
 * §12's "No Data Available" (not fatal: reconnect after a backoff), else a fault.
 *
 * @param code the report's error code
 * @param reportVersion the version the report was sent as
 * @param version the session's version
 * @param negotiated whether the session has agreed on its version
 */
export function cacheErrorAction(
  code: number,
  reportVersion: number,
  version: RtrVersion,
  negotiated: boolean,
): "fallback" | "no-data" | "fault" {
  const E = RTR_ERROR_CODES;
  if (
    code === E.UNSUPPORTED_PROTOCOL_VERSION && version === 1 && (reportVersion === 0 || !negotiated)
  ) {
    return "fallback";
  }
  return code === E.NO_DATA_AVAILABLE ? "no-data" : "fault";
}
