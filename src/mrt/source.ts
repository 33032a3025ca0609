/**
 * What an MRT file says about where it came from, read from its record headers alone
 * (RFC 6396 §2): the collector of its PEER_INDEX_TABLE (§4.3.1), how many records it
 * holds and the time span they cover. `bmpmon import` names its router from this.
 *
 * ```text
 * MRT header: Timestamp (4) | Type (2) | Subtype (2) | Length (4)
 * PEER_INDEX_TABLE: Collector BGP ID (4) | View Name Length (2) | View Name | …
 * ```
 *
 * @module
 */

import { MRT_HEADER_LENGTH } from "./reader.ts";
import { MrtType, TableDumpV2Subtype } from "./constants.ts";

/** An MRT file's origin and extent. */
export interface MrtSource {
  /** Collector BGP ID of the first PEER_INDEX_TABLE, if the file has one. */
  collectorId?: string;
  /** Its view name ("" when the collector left it empty). */
  viewName?: string;
  /** Records whose header could be read (a last one cut short is not counted). */
  records: number;
  /** Timestamps of the first and last record, in seconds. */
  firstTime?: number;
  lastTime?: number;
}

/**
 * Walks the record headers of a decompressed MRT file.
 *
 * @example
 * ```ts
 * import { mrtSource } from "./source.ts";
 * const rec = new Uint8Array([0, 0, 0, 9, 0, 13, 0, 1, 0, 0, 0, 8, 192, 0, 2, 1, 0, 2, 0x76, 0x31]);
 * const s = mrtSource(rec);
 * if (s.collectorId !== "192.0.2.1" || s.viewName !== "v1" || s.records !== 1) {
 *   throw new Error(JSON.stringify(s));
 * }
 * ```
 */
export function mrtSource(bytes: Uint8Array): MrtSource {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const s: MrtSource = { records: 0 };
  for (let off = 0; off + MRT_HEADER_LENGTH <= bytes.length;) {
    const time = v.getUint32(off);
    const type = v.getUint16(off + 4);
    const subtype = v.getUint16(off + 6);
    const len = v.getUint32(off + 8);
    const body = off + MRT_HEADER_LENGTH;
    if (body + len > bytes.length) break;
    s.records++;
    s.firstTime ??= time;
    s.lastTime = time;
    if (
      s.collectorId === undefined && type === MrtType.TableDumpV2 &&
      subtype === TableDumpV2Subtype.PeerIndexTable && len >= 6
    ) {
      const nameLen = v.getUint16(body + 4);
      if (6 + nameLen <= len) {
        s.collectorId = Array.from(bytes.subarray(body, body + 4)).join(".");
        s.viewName = new TextDecoder().decode(bytes.subarray(body + 6, body + 6 + nameLen));
      }
    }
    off = body + len;
  }
  return s;
}

/**
 * The router name of an import: `--router`, else the view name, else the collector BGP ID
 * of the first file's PEER_INDEX_TABLE; undefined when none of the files has one.
 */
export function sourceName(sources: MrtSource[], router?: string): string | undefined {
  if (router) return router;
  const s = sources.find((x) => x.collectorId !== undefined);
  if (!s) return undefined;
  return s.viewName ? s.viewName : s.collectorId;
}
