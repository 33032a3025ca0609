/**
 * BGP4MP_ET records (RFC 6396 §4.4, §3 for the microsecond header): route history as the
 * UPDATE messages a collector would have received, and peer sessions going up or down as
 * STATE_CHANGE_AS4. One UPDATE per stored row: an announcement carries its attribute set,
 * a withdrawal only its NLRI. IPv4 unicast uses the UPDATE's own fields; every other
 * family MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760). A row with a path ID is written as
 * MESSAGE_AS4_ADDPATH (RFC 8050), its NLRI carrying the path ID.
 *
 * The local side of the session is not in a BMP view: local AS 0 and the unspecified
 * address of the peer's family.
 *
 * @module
 */

import { Bgp4mpSubtype, MrtType } from "../constants.ts";
import { addressBytes } from "./attributes.ts";

/** The peer of a record: its address and AS. */
export interface Bgp4mpPeer {
  address: string;
  asn: number;
}

/** One stored route change. */
export interface RouteChange {
  /** Microseconds since the epoch. */
  timeUs: number;
  afi: number;
  safi: number;
  /** CIDR text. */
  prefix: string;
  pathId: number;
  withdrawn: boolean;
  /** Path attributes as src/mrt/write/attributes.ts encodes them (TABLE_DUMP_V2 form). */
  attributes?: Uint8Array;
}

const MARKER = new Uint8Array(16).fill(0xff);

/** An MRT record with the extended-timestamp header. */
function etRecord(timeUs: number, subtype: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, Math.floor(timeUs / 1e6));
  dv.setUint16(4, MrtType.Bgp4mpEt);
  dv.setUint16(6, subtype);
  dv.setUint32(8, 4 + body.length);
  dv.setUint32(12, timeUs % 1e6);
  out.set(body, 16);
  return out;
}

/** Peer AS, local AS, interface index, AFI, peer address, local address. */
function sessionHeader(peer: Bgp4mpPeer): number[] {
  const addr = addressBytes(peer.address)!;
  const v6 = addr.length === 16;
  const a = peer.asn;
  return [
    (a >>> 24) & 255,
    (a >>> 16) & 255,
    (a >>> 8) & 255,
    a & 255,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    v6 ? 2 : 1,
    ...addr,
    ...new Uint8Array(addr.length),
  ];
}

/** One NLRI: path ID (Add-Path), length in bits, the prefix's significant bytes. */
function nlriBytes(prefix: string, pathId: number, addPath: boolean): number[] {
  const slash = prefix.indexOf("/");
  const addr = addressBytes(prefix.slice(0, slash))!;
  const bits = Number(prefix.slice(slash + 1));
  const out = addPath
    ? [pathId >>> 24, (pathId >>> 16) & 255, (pathId >>> 8) & 255, pathId & 255]
    : [];
  out.push(bits, ...addr.subarray(0, (bits + 7) >> 3));
  return out;
}

function attribute(flags: number, type: number, value: number[]): number[] {
  return value.length > 255
    ? [flags | 0x10, type, value.length >> 8, value.length & 255, ...value]
    : [flags & ~0x10, type, value.length, ...value];
}

/**
 * Rewrites TABLE_DUMP_V2 attributes for an UPDATE: the abbreviated MP_REACH_NLRI (next
 * hop only, RFC 6396 §4.3.4) becomes the full attribute of RFC 4760 §3 with `nlri`.
 */
function withMpReach(attrs: Uint8Array, afi: number, safi: number, nlri: number[]): number[] {
  const out: number[] = [];
  let nextHop: number[] = [0];
  for (let p = 0; p < attrs.length;) {
    const ext = (attrs[p] & 0x10) !== 0;
    const len = ext ? (attrs[p + 2] << 8) | attrs[p + 3] : attrs[p + 2];
    const start = p + (ext ? 4 : 3);
    const end = start + len;
    if (attrs[p + 1] === 14) nextHop = [...attrs.subarray(start, end)];
    else if (attrs[p + 1] !== 3) out.push(...attrs.subarray(p, end));
    else nextHop = [4, ...attrs.subarray(start, end)];
    p = end;
  }
  // nextHop: length byte, then the address(es).
  out.push(...attribute(0x80, 14, [afi >> 8, afi & 255, safi, ...nextHop, 0, ...nlri]));
  return out;
}

/** The BGP UPDATE message of `c`. */
function updateMessage(c: RouteChange): Uint8Array {
  const addPath = c.pathId !== 0;
  const nlri = nlriBytes(c.prefix, c.pathId, addPath);
  const plain = c.afi === 1 && c.safi === 1;
  let withdrawn: number[] = [];
  let attrs: number[] = [];
  let reach: number[] = [];
  if (c.withdrawn) {
    if (plain) withdrawn = nlri;
    else attrs = attribute(0x80, 15, [c.afi >> 8, c.afi & 255, c.safi, ...nlri]);
  } else {
    const a = c.attributes ?? new Uint8Array();
    if (plain && !hasAttr(a, 14)) {
      attrs = [...a];
      reach = nlri;
    } else attrs = withMpReach(a, c.afi, c.safi, nlri);
  }
  const length = 19 + 2 + withdrawn.length + 2 + attrs.length + reach.length;
  const m = new Uint8Array(length);
  m.set(MARKER);
  m[16] = length >> 8;
  m[17] = length & 255;
  m[18] = 2;
  let p = 19;
  m[p++] = withdrawn.length >> 8;
  m[p++] = withdrawn.length & 255;
  m.set(withdrawn, p);
  p += withdrawn.length;
  m[p++] = attrs.length >> 8;
  m[p++] = attrs.length & 255;
  m.set(attrs, p);
  p += attrs.length;
  m.set(reach, p);
  return m;
}

/** Whether the attribute list `a` holds one of `type`. */
function hasAttr(a: Uint8Array, type: number): boolean {
  for (let p = 0; p < a.length;) {
    if (a[p + 1] === type) return true;
    const ext = (a[p] & 0x10) !== 0;
    p += (ext ? 4 : 3) + (ext ? (a[p + 2] << 8) | a[p + 3] : a[p + 2]);
  }
  return false;
}

/**
 * The BGP4MP_ET MESSAGE_AS4 (or MESSAGE_AS4_ADDPATH) record of one route change of `peer`.
 *
 * @example
 * ```ts
 * import { updateRecord } from "./bgp4mp.ts";
 * const r = updateRecord({ address: "192.0.2.1", asn: 65001 }, {
 *   timeUs: 1_700_000_000_000_001, afi: 1, safi: 1, prefix: "10.0.0.0/8", pathId: 0,
 *   withdrawn: true,
 * });
 * if (r.length !== 16 + 20 + 19 + 2 + 2 + 2 + 2) throw new Error(`unexpected ${r.length}`);
 * ```
 */
export function updateRecord(peer: Bgp4mpPeer, c: RouteChange): Uint8Array {
  const head = sessionHeader(peer);
  const msg = updateMessage(c);
  const body = new Uint8Array(head.length + msg.length);
  body.set(head);
  body.set(msg, head.length);
  const subtype = c.pathId !== 0 ? Bgp4mpSubtype.MessageAs4Addpath : Bgp4mpSubtype.MessageAs4;
  return etRecord(c.timeUs, subtype, body);
}

/** BGP FSM states (RFC 4271 §8.2.2) a STATE_CHANGE carries. */
export const FsmState = { Idle: 1, Established: 6 } as const;

/** The BGP4MP_ET STATE_CHANGE_AS4 record of `peer` going from `from` to `to`. */
export function stateChangeRecord(
  peer: Bgp4mpPeer,
  timeUs: number,
  from: number,
  to: number,
): Uint8Array {
  const head = sessionHeader(peer);
  return etRecord(
    timeUs,
    Bgp4mpSubtype.StateChangeAs4,
    Uint8Array.from([...head, 0, from, 0, to]),
  );
}
