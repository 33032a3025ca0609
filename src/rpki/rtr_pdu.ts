/**
 * RTR PDUs (RFC 8210 §5, version 1; RFC 6810 §5, version 0): decoder, encoder and a
 * framer for the TCP byte stream.
 *
 * Every PDU starts with the same 8-byte header:
 *
 * ```text
 *  0          8          16         24        31
 * .-------------------------------------------.
 * | Protocol |   PDU    |                     |
 * | Version  |   Type   |  Session ID / Zero  |
 * |          |          |   / Error Code      |
 * +-------------------------------------------+
 * |                  Length                   |
 * `-------------------------------------------'
 * ```
 *
 * IPv4 Prefix (type 4, length 20) and IPv6 Prefix (type 6, length 32) then carry
 * Flags (bit 0: 1 announce, 0 withdraw), Prefix Length, Max Length, Zero, the prefix
 * (4 or 16 bytes) and the ASN. End of Data (type 7) carries the serial, and in version
 * 1 also the Refresh, Retry and Expire intervals (length 24; 12 in version 0). Error
 * Report (type 10) carries the erroneous PDU and a UTF-8 text, each after a 32-bit
 * length. Router Key (type 9, version 1 only) is decoded far enough to be skipped.
 *
 * @module
 */

import { DecodeError } from "../wire/errors.ts";
import { WireReader } from "../wire/reader.ts";
import { prefixOf } from "./vrp.ts";

/** The RTR PDU types (IANA "rpki-rtr-pdu" registry). */
export const RTR_PDU_TYPES = {
  SERIAL_NOTIFY: 0,
  SERIAL_QUERY: 1,
  RESET_QUERY: 2,
  CACHE_RESPONSE: 3,
  IPV4_PREFIX: 4,
  IPV6_PREFIX: 6,
  END_OF_DATA: 7,
  CACHE_RESET: 8,
  ROUTER_KEY: 9,
  ERROR_REPORT: 10,
} as const;

/** Error Report codes (RFC 8210 §12, IANA "rpki-rtr-error"). */
export const RTR_ERROR_CODES = {
  CORRUPT_DATA: 0,
  INTERNAL_ERROR: 1,
  NO_DATA_AVAILABLE: 2,
  INVALID_REQUEST: 3,
  UNSUPPORTED_PROTOCOL_VERSION: 4,
  UNSUPPORTED_PDU_TYPE: 5,
  WITHDRAWAL_OF_UNKNOWN_RECORD: 6,
  DUPLICATE_ANNOUNCEMENT_RECEIVED: 7,
  UNEXPECTED_PROTOCOL_VERSION: 8,
} as const;

/** The header's size, and the smallest PDU. */
export const RTR_HEADER_LENGTH = 8;

/**
 * The largest PDU the framer buffers. The largest well-formed one is an Error Report
 * carrying another PDU and a text, or a Router Key with its SPKI (about 100 bytes), so
 * 64 KiB bounds a hostile length field without refusing anything a cache sends.
 */
export const RTR_MAX_PDU_LENGTH = 65_536;

/** The protocol versions this client speaks. */
export type RtrVersion = 0 | 1;

/** A decoded RTR PDU. `version` is as received. */
export type RtrPdu =
  | { type: 0 | 1; version: number; sessionId: number; serial: number }
  | { type: 2 | 8; version: number }
  | { type: 3; version: number; sessionId: number }
  | {
    type: 4 | 6;
    version: number;
    announce: boolean;
    prefix: string;
    prefixLength: number;
    maxLength: number;
    asn: number;
  }
  | {
    type: 7;
    version: number;
    sessionId: number;
    serial: number;
    /** Version 1 only; seconds. */
    refresh?: number;
    retry?: number;
    expire?: number;
  }
  | { type: 9; version: number; announce: boolean; asn: number }
  | { type: 10; version: number; errorCode: number; pdu: Uint8Array; text: string };

const FIXED_LENGTH: Record<number, number> = { 0: 12, 1: 12, 2: 8, 3: 8, 4: 20, 6: 32, 8: 8 };

/**
 * Decodes one whole PDU (`bytes` is exactly its length, as the framer hands it out).
 *
 * @throws {DecodeError} `bad-length` for a length its type cannot have, `bad-type` for an
 *   unknown type or one the version does not have, `bad-value` for a prefix whose lengths
 *   cannot be right, `short-input` when the PDU is cut
 *
 * @example
 * ```ts
 * import { decodeRtrPdu } from "./rtr_pdu.ts";
 * const p = decodeRtrPdu(new Uint8Array([1, 3, 0, 7, 0, 0, 0, 8]));
 * if (p.type !== 3 || p.sessionId !== 7) throw new Error("unexpected");
 * ```
 */
export function decodeRtrPdu(bytes: Uint8Array): RtrPdu {
  const r = new WireReader(bytes);
  const version = r.u8();
  const type = r.u8();
  const field = r.u16();
  const length = r.u32();
  if (length !== bytes.length) {
    throw new DecodeError(
      "bad-length",
      4,
      `Cannot decode RTR PDU: length ${length} is not ${bytes.length}`,
    );
  }
  const fixed = type === 7 ? (version === 0 ? 12 : 24) : FIXED_LENGTH[type];
  if (fixed !== undefined && length !== fixed) {
    throw new DecodeError(
      "bad-length",
      4,
      `Cannot decode RTR PDU type ${type}: length ${length} is not ${fixed}`,
    );
  }
  switch (type) {
    case 0:
    case 1:
      return { type, version, sessionId: field, serial: r.u32() };
    case 2:
    case 8:
      return { type, version };
    case 3:
      return { type, version, sessionId: field };
    case 4:
    case 6: {
      const flags = r.u8();
      const prefixLength = r.u8();
      const maxLength = r.u8();
      r.skip(1);
      const size = type === 4 ? 4 : 16;
      const addr = r.take(size);
      const asn = r.u32();
      if (prefixLength > size * 8 || maxLength < prefixLength || maxLength > size * 8) {
        throw new DecodeError(
          "bad-value",
          9,
          `Cannot decode RTR prefix: lengths ${prefixLength}-${maxLength} over ${size * 8} bits`,
        );
      }
      // Bits past the length are masked off, as the cidr type needs.
      const prefix = prefixOf({ afi: type === 4 ? 1 : 2, bytes: addr, length: prefixLength });
      return { type, version, announce: (flags & 1) === 1, prefix, prefixLength, maxLength, asn };
    }
    case 7: {
      const serial = r.u32();
      if (version === 0) return { type, version, sessionId: field, serial };
      return {
        type,
        version,
        sessionId: field,
        serial,
        refresh: r.u32(),
        retry: r.u32(),
        expire: r.u32(),
      };
    }
    case 9: {
      if (version === 0) {
        throw new DecodeError("bad-type", 1, "Cannot decode RTR PDU: Router Key in version 0");
      }
      // Flags in the first octet of the header field; SKI (20 bytes), ASN, SPKI.
      r.skip(20);
      const asn = r.u32();
      return { type, version, announce: (field >> 8 & 1) === 1, asn };
    }
    case 10: {
      const pduLength = r.u32();
      const outer = r.enter(pduLength);
      const pdu = r.rest();
      r.leave(outer);
      const textLength = r.u32();
      const text = new TextDecoder("utf-8", { fatal: false }).decode(r.take(textLength));
      if (r.remaining !== 0) {
        throw new DecodeError(
          "bad-length",
          r.pos,
          "Cannot decode RTR Error Report: bytes after its text",
        );
      }
      return { type, version, errorCode: field, pdu, text };
    }
    default:
      throw new DecodeError("bad-type", 1, `Cannot decode RTR PDU: unknown type ${type}`);
  }
}

function header(version: number, type: number, field: number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  const v = new DataView(b.buffer);
  b[0] = version;
  b[1] = type;
  v.setUint16(2, field);
  v.setUint32(4, length);
  return b;
}

/**
 * Encodes a PDU (the router's queries and error reports; every type, for tests).
 *
 * @example
 * ```ts
 * import { decodeRtrPdu, encodeRtrPdu } from "./rtr_pdu.ts";
 * const b = encodeRtrPdu({ type: 1, version: 1, sessionId: 9, serial: 42 });
 * const p = decodeRtrPdu(b);
 * if (b.length !== 12 || p.type !== 1 || p.serial !== 42) throw new Error("unexpected");
 * ```
 */
export function encodeRtrPdu(p: RtrPdu, prefixBytes?: Uint8Array): Uint8Array {
  switch (p.type) {
    case 0:
    case 1: {
      const b = header(p.version, p.type, p.sessionId, 12);
      new DataView(b.buffer).setUint32(8, p.serial);
      return b;
    }
    case 2:
    case 8:
      return header(p.version, p.type, 0, 8);
    case 3:
      return header(p.version, p.type, p.sessionId, 8);
    case 4:
    case 6: {
      const size = p.type === 4 ? 4 : 16;
      const b = header(p.version, p.type, 0, p.type === 4 ? 20 : 32);
      b[8] = p.announce ? 1 : 0;
      b[9] = p.prefixLength;
      b[10] = p.maxLength;
      if (!prefixBytes || prefixBytes.length !== size) {
        throw new RangeError(`Cannot encode RTR prefix: ${size} address bytes needed`);
      }
      b.set(prefixBytes, 12);
      new DataView(b.buffer).setUint32(12 + size, p.asn);
      return b;
    }
    case 7: {
      const b = header(p.version, 7, p.sessionId, p.version === 0 ? 12 : 24);
      const v = new DataView(b.buffer);
      v.setUint32(8, p.serial);
      if (p.version !== 0) {
        v.setUint32(12, p.refresh ?? 3600);
        v.setUint32(16, p.retry ?? 600);
        v.setUint32(20, p.expire ?? 7200);
      }
      return b;
    }
    case 9: {
      const b = header(p.version, 9, p.announce ? 0x100 : 0, 32);
      new DataView(b.buffer).setUint32(28, p.asn);
      return b;
    }
    case 10: {
      const text = new TextEncoder().encode(p.text);
      const b = header(p.version, 10, p.errorCode, 16 + p.pdu.length + text.length);
      const v = new DataView(b.buffer);
      v.setUint32(8, p.pdu.length);
      b.set(p.pdu, 12);
      v.setUint32(12 + p.pdu.length, text.length);
      b.set(text, 16 + p.pdu.length);
      return b;
    }
  }
}

/**
 * Splits an RTR byte stream into PDUs. The length field is checked before a PDU is
 * buffered, so a hostile length cannot grow memory past {@linkcode RTR_MAX_PDU_LENGTH};
 * after a framing error nothing more can be trusted and the connection must close.
 */
export class RtrFramer {
  #buf = new Uint8Array(0);
  readonly maxLength: number;

  constructor(maxLength = RTR_MAX_PDU_LENGTH) {
    this.maxLength = maxLength;
  }

  /** Bytes buffered that are not yet a whole PDU. */
  get pending(): number {
    return this.#buf.length;
  }

  /**
   * Adds `chunk` and returns the whole PDUs now buffered (copies, so they outlive the
   * next push).
   *
   * @throws {DecodeError} `bad-length` for a length under 8, `too-large` over the limit
   */
  push(chunk: Uint8Array): Uint8Array[] {
    let buf = chunk;
    if (this.#buf.length) {
      buf = new Uint8Array(this.#buf.length + chunk.length);
      buf.set(this.#buf);
      buf.set(chunk, this.#buf.length);
    }
    const out: Uint8Array[] = [];
    let off = 0;
    while (buf.length - off >= RTR_HEADER_LENGTH) {
      const len = new DataView(buf.buffer, buf.byteOffset + off + 4, 4).getUint32(0);
      if (len < RTR_HEADER_LENGTH) {
        throw new DecodeError("bad-length", off + 4, `Cannot frame RTR PDU: length ${len} < 8`);
      }
      if (len > this.maxLength) {
        throw new DecodeError(
          "too-large",
          off + 4,
          `Cannot frame RTR PDU: length ${len} > ${this.maxLength}`,
        );
      }
      if (buf.length - off < len) break;
      out.push(buf.slice(off, off + len));
      off += len;
    }
    this.#buf = buf.slice(off);
    return out;
  }

  /** Drops what is buffered (a new connection). */
  reset(): void {
    this.#buf = new Uint8Array(0);
  }
}
