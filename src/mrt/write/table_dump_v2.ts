/**
 * TABLE_DUMP_V2 records (RFC 6396 §4.3, RFC 8050 for Add-Path): the PEER_INDEX_TABLE and
 * one RIB record per prefix. Pure encoders: the export (src/cli/export.ts) streams them.
 *
 * ```text
 * MRT header: Timestamp (4) | Type (2) = 13 | Subtype (2) | Length (4) | Message
 * RIB_*:      Sequence (4) | Prefix length (1) | Prefix (ceil(bits/8)) | Entry count (2)
 *             entries: Peer index (2) | Originated time (4) | [Path ID (4)] |
 *                      Attribute length (2) | Attributes
 * ```
 *
 * @module
 */

import { MrtType, TableDumpV2Subtype } from "../constants.ts";
import { addressBytes } from "./attributes.ts";

/** One peer of the PEER_INDEX_TABLE. */
export interface IndexPeer {
  bgpId: string;
  address: string;
  asn: number;
}

/** One RIB entry of a prefix. */
export interface RibEntry {
  peerIndex: number;
  /** Seconds since the epoch. */
  originated: number;
  pathId: number;
  attributes: Uint8Array;
}

/** An MRT record: the common header around `body`. */
export function mrtRecord(timestamp: number, type: number, subtype: number, body: Uint8Array) {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, timestamp);
  dv.setUint16(4, type);
  dv.setUint16(6, subtype);
  dv.setUint32(8, body.length);
  out.set(body, 12);
  return out;
}

/** The PEER_INDEX_TABLE record: every peer with an AS4 entry, IPv4 or IPv6 address. */
export function peerIndexTable(
  timestamp: number,
  collectorId: string,
  viewName: string,
  peers: IndexPeer[],
): Uint8Array {
  const name = new TextEncoder().encode(viewName);
  const out: number[] = [...(addressBytes(collectorId) ?? [0, 0, 0, 0])];
  out.push(name.length >> 8, name.length & 255, ...name, peers.length >> 8, peers.length & 255);
  for (const p of peers) {
    const addr = addressBytes(p.address)!;
    out.push((addr.length === 16 ? 1 : 0) | 2);
    out.push(...(addressBytes(p.bgpId) ?? [0, 0, 0, 0]), ...addr);
    out.push((p.asn >>> 24) & 255, (p.asn >>> 16) & 255, (p.asn >>> 8) & 255, p.asn & 255);
  }
  return mrtRecord(
    timestamp,
    MrtType.TableDumpV2,
    TableDumpV2Subtype.PeerIndexTable,
    Uint8Array.from(out),
  );
}

/**
 * The RIB record of one prefix. Any entry with a path ID makes it an Add-Path record
 * (RFC 8050), where every entry carries its path ID.
 */
export function ribRecord(
  timestamp: number,
  sequence: number,
  prefix: string,
  multicast: boolean,
  entries: RibEntry[],
): Uint8Array {
  const slash = prefix.indexOf("/");
  const addr = addressBytes(prefix.slice(0, slash))!;
  const bits = Number(prefix.slice(slash + 1));
  const v6 = addr.length === 16;
  const addPath = entries.some((e) => e.pathId !== 0);
  const S = TableDumpV2Subtype;
  const subtype = addPath
    ? (v6
      ? (multicast ? S.RibIpv6MulticastAddpath : S.RibIpv6UnicastAddpath)
      : (multicast ? S.RibIpv4MulticastAddpath : S.RibIpv4UnicastAddpath))
    : (v6
      ? (multicast ? S.RibIpv6Multicast : S.RibIpv6Unicast)
      : (multicast ? S.RibIpv4Multicast : S.RibIpv4Unicast));
  const prefixBytes = (bits + 7) >> 3;
  let length = 4 + 1 + prefixBytes + 2;
  for (const e of entries) length += 8 + (addPath ? 4 : 0) + e.attributes.length;
  const body = new Uint8Array(length);
  const dv = new DataView(body.buffer);
  dv.setUint32(0, sequence);
  body[4] = bits;
  body.set(addr.subarray(0, prefixBytes), 5);
  let p = 5 + prefixBytes;
  dv.setUint16(p, entries.length);
  p += 2;
  for (const e of entries) {
    dv.setUint16(p, e.peerIndex);
    dv.setUint32(p + 2, e.originated);
    p += 6;
    if (addPath) dv.setUint32(p, e.pathId), p += 4;
    dv.setUint16(p, e.attributes.length);
    body.set(e.attributes, p + 2);
    p += 2 + e.attributes.length;
  }
  return mrtRecord(timestamp, MrtType.TableDumpV2, subtype, body);
}
