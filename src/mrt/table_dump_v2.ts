/**
 * TABLE_DUMP_V2 records (RFC 6396 §4.3) and their Add-Path forms (RFC 8050 §4).
 *
 * ```text
 * PEER_INDEX_TABLE: Collector BGP ID (4) | View Name Length (2) | View Name
 *   | Peer Count (2) | Peer Entries: Peer Type (1) | Peer BGP ID (4)
 *   | Peer IP Address (4 or 16, type bit 0) | Peer AS (2 or 4, type bit 1)
 * RIB_AFI_SAFI:     Sequence Number (4) | Prefix Length (1) | Prefix (var)
 *   | Entry Count (2) | RIB Entries
 * RIB_GENERIC:      Sequence Number (4) | AFI (2) | SAFI (1) | NLRI (var)
 *   | Entry Count (2) | RIB Entries
 * RIB Entry:        Peer Index (2) | Originated Time (4) | [Path Identifier (4), ADDPATH]
 *   | Attribute Length (2) | BGP Attributes (var, AS4 paths, abbreviated MP_REACH_NLRI)
 * ```
 *
 * @module
 */

import { decodePrefixes } from "../bgp/nlri/prefix.ts";
import type { Nlri } from "../bgp/nlri/types.ts";
import { DecodeError } from "../wire/errors.ts";
import { ipAddress, ipv4 } from "../wire/ip.ts";
import type { WireReader } from "../wire/reader.ts";
import { TableDumpV2Subtype as St } from "./constants.ts";
import { decodeRibAttributes } from "./rib_attributes.ts";
import type { MrtPeer, PeerIndexTable, RibEntry, RibRecord } from "./types.ts";

const decoder = new TextDecoder();

/** Decodes a PEER_INDEX_TABLE body from `r` up to `r.end`. */
export function decodePeerIndexTable(r: WireReader): PeerIndexTable {
  r.need(4);
  const collectorId = ipv4(r.bytes, r.pos);
  r.pos += 4;
  const viewName = decoder.decode(r.take(r.u16()));
  const count = r.u16();
  const peers: MrtPeer[] = [];
  for (let i = 0; i < count; i++) {
    const type = r.u8();
    r.need(4);
    const bgpId = ipv4(r.bytes, r.pos);
    r.pos += 4;
    const alen = type & 1 ? 16 : 4;
    r.need(alen);
    const address = ipAddress(r.bytes, r.pos, alen);
    r.pos += alen;
    const asn = type & 2 ? r.u32() : r.u16();
    peers.push({ bgpId, address, asn, afi: alen === 4 ? 1 : 2 });
  }
  return { kind: "peer_index_table", collectorId, viewName, peers };
}

/** AFI and SAFI of the RIB_AFI_SAFI subtypes and whether they carry path IDs. */
function ribFamily(subtype: number): [number, number, boolean] | undefined {
  switch (subtype) {
    case St.RibIpv4Unicast:
      return [1, 1, false];
    case St.RibIpv4Multicast:
      return [1, 2, false];
    case St.RibIpv6Unicast:
      return [2, 1, false];
    case St.RibIpv6Multicast:
      return [2, 2, false];
    case St.RibIpv4UnicastAddpath:
      return [1, 1, true];
    case St.RibIpv4MulticastAddpath:
      return [1, 2, true];
    case St.RibIpv6UnicastAddpath:
      return [2, 1, true];
    case St.RibIpv6MulticastAddpath:
      return [2, 2, true];
  }
}

/** True for the TABLE_DUMP_V2 subtypes {@linkcode decodeRib} takes. */
export function isRibSubtype(subtype: number): boolean {
  return ribFamily(subtype) !== undefined || subtype === St.RibGeneric ||
    subtype === St.RibGenericAddpath;
}

/** Reads one IP prefix NLRI (Length in bits, then labels, RD and prefix as the SAFI has
 * them) with the NLRI decoder. */
function onePrefix(r: WireReader, afi: number, safi: number): Nlri {
  r.need(1);
  const n = 1 + ((r.bytes[r.pos] + 7) >> 3);
  const outer = r.enter(n);
  const out: Nlri[] = [];
  decodePrefixes(r, afi, safi, false, false, out);
  r.leave(outer);
  return out[0];
}

/**
 * Decodes a RIB record body from `r` up to `r.end`.
 *
 * @param peers the last PEER_INDEX_TABLE's peers, to name each entry's peer
 * @throws {DecodeError} `bad-type` for a RIB_GENERIC family other than IP prefixes
 *   (unicast, multicast, labeled, VPN: other NLRI have no length to skip by), `short-input` for a field crossing the record
 *   end, and what the NLRI and UPDATE decoders throw.
 */
export function decodeRib(r: WireReader, subtype: number, peers: MrtPeer[]): RibRecord {
  const sequence = r.u32();
  let fam = ribFamily(subtype);
  let nlri: Nlri;
  if (fam) {
    nlri = onePrefix(r, fam[0], fam[1]);
  } else {
    const at = r.pos;
    const afi = r.u16();
    const safi = r.u8();
    fam = [afi, safi, subtype === St.RibGenericAddpath];
    if ((afi !== 1 && afi !== 2) || ![1, 2, 4, 128, 129].includes(safi)) {
      throw new DecodeError(
        "bad-type",
        at,
        `Cannot decode RIB_GENERIC: AFI ${afi} SAFI ${safi} not supported`,
      );
    }
    nlri = onePrefix(r, afi, safi);
  }
  const [afi, safi, addPath] = fam;
  const count = r.u16();
  const entries: RibEntry[] = [];
  for (let i = 0; i < count; i++) {
    const peerIndex = r.u16();
    const originatedTime = r.u32();
    const pathId = addPath ? r.u32() : undefined;
    const len = r.u16();
    r.need(len);
    const attrOffset = r.pos;
    const attrs = decodeRibAttributes(r.bytes, r.pos, r.pos + len, { asn4: true, afi, safi });
    r.pos += len;
    const e: RibEntry = { peerIndex, originatedTime, ...attrs, attrOffset, attrLength: len };
    if (peerIndex < peers.length) e.peer = peers[peerIndex];
    if (pathId !== undefined) e.pathId = pathId;
    entries.push(e);
  }
  return { kind: "rib", afi, safi, sequence, nlri, addPath, entries };
}
