/**
 * The MRT record loop (RFC 6396 §2): header, then a body of Length bytes.
 *
 * ```text
 * Timestamp (4) | Type (2) | Subtype (2) | Length (4) | Message (Length bytes)
 * _ET types:   the Message starts with Microsecond Timestamp (4), counted in Length
 * ```
 *
 * Nothing leaves the loop as an exception: a record that cannot be decoded yields an
 * {@linkcode MrtError} with its byte offset, and reading goes on at the next record (the
 * Length field frames records, so one bad body does not lose the rest). Only a header
 * whose Length runs past the end of the input ends the loop, with a `truncated` error.
 *
 * @module
 */

import { toDecodeError } from "../wire/errors.ts";
import { WireReader } from "../wire/reader.ts";
import { decodeBgp4mp } from "./bgp4mp.ts";
import { MrtType, TableDumpV2Subtype } from "./constants.ts";
import type { MrtError } from "./errors.ts";
import { decodeTableDump } from "./table_dump.ts";
import { decodePeerIndexTable, decodeRib, isRibSubtype } from "./table_dump_v2.ts";
import type { MrtBody, MrtHeader, MrtPeer, MrtRecord } from "./types.ts";

/** Length of the MRT common header. */
export const MRT_HEADER_LENGTH = 12;

/** One step of {@linkcode readMrt}: a record or the error of one. */
export type MrtItem = { record: MrtRecord; error?: undefined } | {
  record?: undefined;
  error: MrtError;
};

/**
 * Tells whether `data` starts with a plausible MRT header: a known Type with a Subtype
 * it defines and a Length that fits the data (or, for a short sample, is below 16 MiB).
 *
 * @example
 * ```ts
 * import { looksLikeMrt } from "./reader.ts";
 * const h = new Uint8Array([0x5e, 0, 0, 0, 0, 16, 0, 4, 0, 0, 0, 0]);
 * if (!looksLikeMrt(h)) throw new Error("unexpected");
 * if (looksLikeMrt(new Uint8Array([3, 0, 0, 0, 6, 4]))) throw new Error("unexpected");
 * ```
 */
export function looksLikeMrt(data: Uint8Array): boolean {
  if (data.length < MRT_HEADER_LENGTH) return false;
  const type = (data[4] << 8) | data[5];
  const subtype = (data[6] << 8) | data[7];
  const len = ((data[8] << 24) >>> 0) + ((data[9] << 16) | (data[10] << 8) | data[11]);
  if (len > 16 * 1024 * 1024) return false;
  switch (type) {
    case MrtType.TableDump:
      return subtype === 1 || subtype === 2;
    case MrtType.TableDumpV2:
      return subtype >= 1 && subtype <= 12 && subtype !== 7;
    case MrtType.Bgp4mp:
    case MrtType.Bgp4mpEt:
      return subtype <= 11; // 2 and 3: the deprecated BGP4MP_ENTRY and _SNAPSHOT
  }
  return false;
}

/**
 * Reads the MRT records of `bytes` in order.
 *
 * @param bytes a whole (decompressed) MRT file
 * @returns records, and typed errors for the records that could not be decoded
 *
 * @example
 * ```ts
 * import { readMrt } from "./reader.ts";
 * // BGP4MP STATE_CHANGE_AS4: AS 65001 -> 65002 over IPv4, Active (3) -> Connect (2).
 * const rec = new Uint8Array([
 *   0x5e, 0, 0, 0, 0, 16, 0, 5, 0, 0, 0, 24,
 *   0, 0, 0xfd, 0xe9, 0, 0, 0xfd, 0xea, 0, 0, 0, 1, 10, 0, 0, 1, 10, 0, 0, 2, 0, 3, 0, 2,
 * ]);
 * const [item] = readMrt(rec);
 * if (item.record?.body.kind !== "state_change") throw new Error("unexpected");
 * const [bad] = readMrt(rec.subarray(0, 30));
 * if (bad.error?.code !== "truncated") throw new Error("unexpected");
 * ```
 */
export function* readMrt(bytes: Uint8Array): Generator<MrtItem> {
  let peers: MrtPeer[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  while (off < bytes.length) {
    if (bytes.length - off < MRT_HEADER_LENGTH) {
      yield truncated(off, `Cannot decode MRT header: ${bytes.length - off} bytes left`);
      return;
    }
    const header: MrtHeader = {
      offset: off,
      timestamp: view.getUint32(off),
      type: view.getUint16(off + 4),
      subtype: view.getUint16(off + 6),
      length: view.getUint32(off + 8),
    };
    const start = off + MRT_HEADER_LENGTH;
    const end = start + header.length;
    if (end > bytes.length) {
      yield truncated(
        off,
        `Cannot decode MRT record: length ${header.length} > ${bytes.length - start} left`,
        header,
      );
      return;
    }
    off = end;
    try {
      const r = new WireReader(bytes, start, end);
      const body = decodeBody(r, header, peers);
      if (body.kind === "peer_index_table") peers = body.peers;
      yield { record: { header, body } };
    } catch (e) {
      const err = toDecodeError(e, start);
      const error: MrtError = {
        code: err.code,
        offset: err.offset,
        recordOffset: header.offset,
        type: header.type,
        subtype: header.subtype,
        reason: err.message,
      };
      if (err.cause !== undefined) Object.defineProperty(error, "cause", { value: err.cause });
      yield { error };
    }
  }
}

function truncated(offset: number, reason: string, h?: MrtHeader): MrtItem {
  return {
    error: {
      code: "truncated",
      offset,
      recordOffset: offset,
      type: h?.type,
      subtype: h?.subtype,
      reason,
    },
  };
}

function decodeBody(r: WireReader, h: MrtHeader, peers: MrtPeer[]): MrtBody {
  switch (h.type) {
    case MrtType.TableDump:
      return decodeTableDump(r, h.subtype);
    case MrtType.TableDumpV2:
      if (h.subtype === TableDumpV2Subtype.PeerIndexTable) return decodePeerIndexTable(r);
      if (isRibSubtype(h.subtype)) return decodeRib(r, h.subtype, peers);
      break;
    case MrtType.Bgp4mpEt:
      h.microseconds = r.u32();
      return decodeBgp4mp(r, h.subtype) ?? { kind: "unknown" };
    case MrtType.Bgp4mp:
      return decodeBgp4mp(r, h.subtype) ?? { kind: "unknown" };
  }
  return { kind: "unknown" };
}
