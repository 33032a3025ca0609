/**
 * Legacy TABLE_DUMP records (RFC 6396 §4.2): one route per record, 2-byte ASNs.
 *
 * ```text
 * View Number (2) | Sequence Number (2) | Prefix (4 or 16) | Prefix Length (1)
 * | Status (1) | Originated Time (4) | Peer IP Address (4 or 16) | Peer AS (2)
 * | Attribute Length (2) | BGP Attributes (var)
 * ```
 *
 * The Subtype is the AFI of the prefix and peer address (1 IPv4, 2 IPv6).
 *
 * @module
 */

import { DecodeError } from "../wire/errors.ts";
import { ipAddress, maxPrefixBits, prefixText } from "../wire/ip.ts";
import type { WireReader } from "../wire/reader.ts";
import { decodeRibAttributes } from "./rib_attributes.ts";
import type { TableDumpRecord } from "./types.ts";

/**
 * Decodes a TABLE_DUMP body from `r` up to `r.end`.
 *
 * @throws {DecodeError} `bad-type` for a Subtype other than 1 or 2, `bad-length` for a
 *   prefix length beyond the family's, `short-input` for a field crossing the record end.
 */
export function decodeTableDump(r: WireReader, subtype: number): TableDumpRecord {
  const afi = subtype;
  if (afi !== 1 && afi !== 2) {
    throw new DecodeError("bad-type", r.pos, `Cannot decode TABLE_DUMP: subtype ${subtype}`);
  }
  const alen = afi === 1 ? 4 : 16;
  const viewNumber = r.u16();
  const sequence = r.u16();
  r.need(alen + 1);
  const prefixAt = r.pos;
  const bits = r.bytes[r.pos + alen];
  if (bits > maxPrefixBits(afi)) {
    throw new DecodeError("bad-length", prefixAt + alen, `Cannot decode prefix: length ${bits}`);
  }
  const prefix = prefixText(afi, r.bytes, prefixAt, bits);
  r.pos += alen + 1;
  const status = r.u8();
  const originatedTime = r.u32();
  r.need(alen);
  const peerAddress = ipAddress(r.bytes, r.pos, alen);
  r.pos += alen;
  const peerAs = r.u16();
  const attrLen = r.u16();
  r.need(attrLen);
  const attrOffset = r.pos;
  const attrs = decodeRibAttributes(r.bytes, r.pos, r.pos + attrLen, {
    asn4: false,
    afi,
    safi: 1,
  });
  r.pos += attrLen;
  return {
    kind: "table_dump",
    afi,
    viewNumber,
    sequence,
    prefix,
    status,
    originatedTime,
    peerAddress,
    peerAs,
    ...attrs,
    attrOffset,
    attrLength: attrLen,
  };
}
