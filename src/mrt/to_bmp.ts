/**
 * An MRT archive as one BMP session (RFC 7854), for `bmpmon replay FILE.mrt`: Initiation,
 * a Peer Up per MRT peer before its first route, the RIB records as Route Monitoring
 * (one UPDATE per RIB entry), then the BGP4MP UPDATEs in time order; a STATE_CHANGE that
 * leaves Established is a Peer Down, and the peer comes up again before its next UPDATE.
 *
 * ```text
 * Common Header: Version (1) = 3 | Message Length (4) | Message Type (1)
 * Per-Peer Header: Type (1) = 0 | Flags (1, V 0x80, A 0x20) | Distinguisher (8)
 *   | Address (16) | AS (4) | BGP ID (4) | Timestamp seconds (4) | microseconds (4)
 * Peer Up: Local Address (16) | Local Port (2) | Remote Port (2) | Sent OPEN | Received OPEN
 * ```
 *
 * The OPENs of a Peer Up advertise what the peer's records need: the families seen, the
 * 4-octet AS capability unless all its records have 2-byte AS_PATHs (BGP4MP MESSAGE,
 * TABLE_DUMP), Add-Path for the families whose routes carry path IDs, and the extended
 * message capability. A peer's AS_PATH size is the one most of its records have; its
 * records of the other size are skipped and counted.
 *
 * @module
 */

import { forEachRoute } from "../bgp/routes.ts";
import { readMrt } from "./reader.ts";
import { widenMpReach } from "./rib_attributes.ts";
import type { MrtRecord } from "./types.ts";

/** What {@linkcode mrtToBmp} made of the archives. */
export interface MrtReplayStats {
  records: number;
  /** MRT records that could not be decoded. */
  errors: number;
  peers: number;
  routeMonitoring: number;
  peerUps: number;
  peerDowns: number;
  /** Routes and UPDATEs not sent: labeled/VPN RIB_GENERIC entries, or a record whose
   * AS_PATH size differs from the peer's. */
  skipped: number;
}

interface Peer {
  address: string;
  afi: number;
  asn: number;
  bgpId: string;
  localAddress?: string;
  localAs?: number;
  asn4: boolean;
  families: Set<number>;
  addPath: Set<number>;
  up: boolean;
}

const enc = new TextEncoder();

function addressBytes(text: string, afi: number): Uint8Array {
  const out = new Uint8Array(afi === 1 ? 4 : 16);
  if (afi === 1) {
    text.split(".").forEach((o, i) => out[i] = Number(o));
    return out;
  }
  let groups: string[];
  if (text.includes(".")) { // ::ffff:a.b.c.d
    const i = text.lastIndexOf(":");
    const v4 = addressBytes(text.slice(i + 1), 1);
    text = `${text.slice(0, i)}:${((v4[0] << 8) | v4[1]).toString(16)}:${
      ((v4[2] << 8) | v4[3]).toString(16)
    }`;
  }
  const [head, tail] = text.split("::");
  if (tail === undefined) groups = head.split(":");
  else {
    const h = head ? head.split(":") : [];
    const t = tail ? tail.split(":") : [];
    groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  }
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** An IP prefix NLRI (RFC 4271 §4.3) from CIDR text, with an Add-Path ID if given. */
function prefixNlri(prefix: string, afi: number, pathId?: number): Uint8Array {
  const [addr, len] = prefix.split("/");
  const bits = Number(len);
  const a = addressBytes(addr, afi).subarray(0, (bits + 7) >> 3);
  const id = pathId === undefined ? 0 : 4;
  const out = new Uint8Array(id + 1 + a.length);
  if (pathId !== undefined) new DataView(out.buffer).setUint32(0, pathId);
  out[id] = bits;
  out.set(a, id + 1);
  return out;
}

class Writer {
  readonly parts: Uint8Array[] = [];
  size = 0;
  push(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.length;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function u16(v: number): Uint8Array {
  return new Uint8Array([v >> 8, v & 0xff]);
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0);
  return b;
}

function bmp(type: number, body: Uint8Array): Uint8Array {
  return cat(new Uint8Array([3]), u32(6 + body.length), new Uint8Array([type]), body);
}

function bgp(type: number, body: Uint8Array): Uint8Array {
  const h = new Uint8Array(19).fill(0xff);
  h[16] = (19 + body.length) >> 8;
  h[17] = (19 + body.length) & 0xff;
  h[18] = type;
  return cat(h, body);
}

function perPeer(p: Peer, sec: number, usec: number, asn4: boolean): Uint8Array {
  const b = new Uint8Array(42);
  b[1] = (p.afi === 2 ? 0x80 : 0) | (asn4 ? 0 : 0x20);
  b.set(addressBytes(p.address, p.afi), p.afi === 2 ? 10 : 22);
  const v = new DataView(b.buffer);
  v.setUint32(26, p.asn >>> 0);
  b.set(addressBytes(p.bgpId, 1), 30);
  v.setUint32(34, sec >>> 0);
  v.setUint32(38, usec >>> 0);
  return b;
}

function open(asn: number, bgpId: string, p: Peer): Uint8Array {
  const caps: number[] = [];
  const afiSafi = (k: number) => [(k >>> 24) & 0xff, (k >>> 16) & 0xff, k & 0xff];
  for (const k of p.families) {
    const [hi, lo, safi] = afiSafi(k);
    caps.push(1, 4, hi, lo, 0, safi);
  }
  if (p.asn4) caps.push(65, 4, ...u32(asn));
  caps.push(6, 0); // extended message (RFC 8654): RIB entries can exceed 4096 bytes
  if (p.addPath.size) {
    caps.push(69, 4 * p.addPath.size);
    for (const k of p.addPath) caps.push(...afiSafi(k), 3); // send/receive
  }
  const params = [2, caps.length, ...caps];
  return bgp(
    1,
    cat(
      new Uint8Array([4]),
      u16(asn > 0xffff ? 23456 : asn),
      u16(180),
      addressBytes(bgpId, 1),
      new Uint8Array([params.length, ...params]),
    ),
  );
}

/** A family key: AFI in the upper 16 bits, SAFI in the lower 8 (the OPENs are written
 * from it). */
const fam = (afi: number, safi: number) => afi * 65536 + safi;

function update(attrs: Uint8Array, nlri: Uint8Array): Uint8Array {
  return bgp(2, cat(u16(0), u16(attrs.length), attrs, nlri));
}

/** A sortable item of the BGP4MP part. */
interface Timed {
  sec: number;
  usec: number;
  seq: number;
  bytes: Uint8Array;
  rec: MrtRecord;
}

/**
 * Turns MRT archives into one BMP stream.
 *
 * @param files the (decompressed) archives; RIB records are sent first, in file order,
 *   then the BGP4MP records of all files sorted by time
 * @returns the BMP byte stream and what went into it
 *
 * @example
 * ```ts
 * import { mrtToBmp } from "./to_bmp.ts";
 * const { stream, stats } = mrtToBmp([new Uint8Array(0)]);
 * if (stream[0] !== 3 || stream[5] !== 4 || stats.peers !== 0) throw new Error("unexpected");
 * ```
 */
export function mrtToBmp(files: Uint8Array[]): { stream: Uint8Array; stats: MrtReplayStats } {
  const stats: MrtReplayStats = {
    records: 0,
    errors: 0,
    peers: 0,
    routeMonitoring: 0,
    peerUps: 0,
    peerDowns: 0,
    skipped: 0,
  };
  const peers = new Map<string, Peer>();
  const votes = new Map<string, number>();
  const rib: { rec: MrtRecord; bytes: Uint8Array }[] = [];
  const timed: Timed[] = [];
  const peerOf = (address: string, afi: number, asn: number, bgpId?: string): Peer => {
    let p = peers.get(address);
    if (!p) {
      p = {
        address,
        afi,
        asn,
        bgpId: bgpId ?? (afi === 1 ? address : "0.0.0.0"),
        asn4: true,
        families: new Set(),
        addPath: new Set(),
        up: false,
      };
      peers.set(address, p);
    } else if (bgpId && p.bgpId === "0.0.0.0") p.bgpId = bgpId;
    return p;
  };
  const vote = (p: Peer, asn4: boolean) =>
    votes.set(p.address, (votes.get(p.address) ?? 0) + (asn4 ? 1 : -1));
  // Pass 1: peers, their families, Add-Path and AS_PATH size.
  for (const bytes of files) {
    for (const item of readMrt(bytes)) {
      if (item.error) {
        stats.errors++;
        continue;
      }
      stats.records++;
      const rec = item.record;
      const b = rec.body;
      if (b.kind === "rib") {
        rib.push({ rec, bytes });
        for (const e of b.entries) {
          if (!e.peer) continue;
          const p = peerOf(e.peer.address, e.peer.afi, e.peer.asn, e.peer.bgpId);
          p.families.add(fam(b.afi, b.safi));
          if (b.addPath) p.addPath.add(fam(b.afi, b.safi));
          vote(p, true);
        }
      } else if (b.kind === "table_dump") {
        rib.push({ rec, bytes });
        const p = peerOf(b.peerAddress, b.afi, b.peerAs);
        p.families.add(fam(b.afi, 1));
        vote(p, false);
      } else if (b.kind === "message" || b.kind === "state_change") {
        const p = peerOf(b.peerAddress, b.afi, b.peerAs);
        p.localAddress ??= b.localAddress;
        p.localAs ??= b.localAs;
        const h = rec.header;
        timed.push({ sec: h.timestamp, usec: h.microseconds ?? 0, seq: timed.length, bytes, rec });
        if (b.kind === "state_change" || !("update" in b.message)) continue;
        vote(p, b.asn4);
        forEachRoute(b.message.update, (afi, safi, _w, n) => {
          p.families.add(fam(afi, safi));
          if (b.addPath || n.pathId !== undefined) p.addPath.add(fam(afi, safi));
        });
      }
    }
  }
  for (const p of peers.values()) p.asn4 = (votes.get(p.address) ?? 1) >= 0;
  stats.peers = peers.size;
  const out = new Writer();
  out.push(bmp(
    4,
    cat(
      u16(1),
      u16(enc.encode("bmpmon MRT replay").length),
      enc.encode("bmpmon MRT replay"),
      u16(2),
      u16(enc.encode("mrt").length),
      enc.encode("mrt"),
    ),
  ));
  const up = (p: Peer, sec: number, usec: number) => {
    if (p.up) return;
    p.up = true;
    stats.peerUps++;
    const local = addressBytes(p.localAddress ?? (p.afi === 1 ? "0.0.0.0" : "::"), p.afi);
    const local16 = new Uint8Array(16);
    local16.set(local, p.afi === 1 ? 12 : 0);
    const localAs = p.localAs ?? p.asn;
    out.push(bmp(
      3,
      cat(
        perPeer(p, sec, usec, p.asn4),
        local16,
        u16(179),
        u16(179),
        open(localAs, "0.0.0.0", p),
        open(p.asn, p.bgpId, p),
      ),
    ));
  };
  const monitor = (p: Peer, sec: number, usec: number, msg: Uint8Array) => {
    up(p, sec, usec);
    out.push(bmp(0, cat(perPeer(p, sec, usec, p.asn4), msg)));
    stats.routeMonitoring++;
  };
  // Pass 2: the RIB, then the updates in time order.
  for (const { rec, bytes } of rib) {
    const b = rec.body;
    const t = rec.header.timestamp;
    if (b.kind === "table_dump") {
      const p = peers.get(b.peerAddress)!;
      if (p.asn4) {
        stats.skipped++;
        continue;
      }
      const nlri = prefixNlri(b.prefix, b.afi);
      const end = b.attrOffset + b.attrLength;
      monitor(p, t, 0, ribUpdate(bytes, b.attrOffset, end, b.afi, 1, nlri, !!b.attributes.mpReach));
    } else if (b.kind === "rib") {
      if (b.nlri.rd !== undefined || b.nlri.labels !== undefined) {
        stats.skipped += b.entries.length;
        continue;
      }
      for (const e of b.entries) {
        if (!e.peer) {
          stats.skipped++;
          continue;
        }
        const p = peers.get(e.peer.address)!;
        if (!p.asn4) {
          stats.skipped++;
          continue;
        }
        const nlri = prefixNlri(b.nlri.prefix, b.afi, b.addPath ? e.pathId : undefined);
        const end = e.attrOffset + e.attrLength;
        const msg = ribUpdate(
          bytes,
          e.attrOffset,
          end,
          b.afi,
          b.safi,
          nlri,
          !!e.attributes.mpReach,
        );
        monitor(p, t, 0, msg);
      }
    }
  }
  timed.sort((a, b) => a.sec - b.sec || a.usec - b.usec || a.seq - b.seq);
  for (const { sec, usec, bytes, rec } of timed) {
    const b = rec.body;
    if (b.kind === "state_change") {
      const p = peers.get(b.peerAddress)!;
      if (p.up && b.oldState === 6 && b.newState !== 6) {
        p.up = false;
        stats.peerDowns++;
        // Reason 4: the remote system closed the session without a NOTIFICATION.
        out.push(bmp(2, cat(perPeer(p, sec, usec, p.asn4), new Uint8Array([4]))));
      }
      continue;
    }
    if (b.kind !== "message" || !("update" in b.message)) continue;
    const p = peers.get(b.peerAddress)!;
    if (p.asn4 !== b.asn4) {
      stats.skipped++;
      continue;
    }
    monitor(p, sec, usec, bytes.subarray(b.messageOffset, b.messageOffset + b.messageLength));
  }
  return { stream: out.bytes(), stats };
}

/** One UPDATE for a RIB entry: IPv4 unicast in the NLRI field, other families in an
 * MP_REACH_NLRI (the entry's, widened if abbreviated, or one with no next hop if it had
 * none). */
function ribUpdate(
  bytes: Uint8Array,
  start: number,
  end: number,
  afi: number,
  safi: number,
  nlri: Uint8Array,
  hasMpReach: boolean,
): Uint8Array {
  if (afi === 1 && safi === 1) return update(bytes.subarray(start, end), nlri);
  if (hasMpReach) {
    // Widened when abbreviated (RFC 6396 §4.3.4); a full one (Quagga, RIS) keeps its next
    // hop and gets the entry's prefix as its only route.
    const wide = widenMpReach(bytes, start, end, afi, safi, nlri);
    return update(wide, new Uint8Array(0));
  }
  const len = 5 + nlri.length;
  const mp = cat(
    new Uint8Array([0x90, 14, len >> 8, len & 0xff, afi >> 8, afi & 0xff, safi, 0, 0]),
    nlri,
  );
  return update(cat(bytes.subarray(start, end), mp), new Uint8Array(0));
}
