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
import { MRT_HEADER_LENGTH, readMrt } from "./reader.ts";
import { widenMpReach } from "./rib_attributes.ts";
import {
  addressBytes,
  bmp,
  cat,
  enc,
  fam,
  open,
  type Peer,
  perPeer,
  prefixNlri,
  u16,
  update,
  Writer,
} from "./_bmp_builders.ts";
import type { MrtError } from "./errors.ts";
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
  /** RIB entries and BGP4MP records found by the first pass: about the messages to come. */
  planned: number;
  /** Routes and UPDATEs not sent: labeled/VPN RIB_GENERIC entries, or a record whose
   * AS_PATH size differs from the peer's. */
  skipped: number;
}

/** How {@linkcode mrtToBmp} names the session and reports what it cannot read. */
export interface MrtToBmpOptions {
  /** sysName of the Initiation (default `mrt`). */
  sysName?: string;
  /** Each record that could not be decoded, with the index of its file in `files`. */
  onError?: (file: number, error: MrtError) => void;
}

/** A sortable item of the BGP4MP part. */
interface Timed {
  sec: number;
  usec: number;
  seq: number;
  /** Index of its file. */
  file: number;
  /** Where its record is in the file (decoded again when its turn comes: keeping every
   * decoded record would hold the whole archive's objects in memory). */
  start: number;
  end: number;
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
export function mrtToBmp(
  files: Uint8Array[],
  opts: MrtToBmpOptions = {},
): { stream: Uint8Array; stats: MrtReplayStats } {
  const { stats, messages } = mrtBmpMessages(files, opts);
  const out = new Writer();
  for (const m of messages) out.push(m);
  return { stream: out.bytes(), stats };
}

/**
 * The BMP messages of {@linkcode mrtToBmp} one by one, for a consumer that writes them as
 * they come (`bmpmon import`): the first pass (peers, their capabilities, the updates'
 * order) runs at once and fills `stats.peers`, `records` and `errors`; the messages then
 * come from a second pass, which completes the other counts.
 */
export function mrtBmpMessages(
  files: Uint8Array[],
  opts: MrtToBmpOptions = {},
): { stats: MrtReplayStats; messages: Generator<Uint8Array> } {
  const stats: MrtReplayStats = {
    records: 0,
    errors: 0,
    peers: 0,
    routeMonitoring: 0,
    peerUps: 0,
    peerDowns: 0,
    skipped: 0,
    planned: 0,
  };
  const peers = new Map<string, Peer>();
  const votes = new Map<string, number>();
  const timed: Timed[] = [];
  let ribEntries = 0;
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
  for (const [i, bytes] of files.entries()) {
    for (const item of readMrt(bytes)) {
      if (item.error) {
        stats.errors++;
        opts.onError?.(i, item.error);
        continue;
      }
      stats.records++;
      const rec = item.record;
      const b = rec.body;
      if (b.kind === "rib") {
        ribEntries += b.entries.length;
        for (const e of b.entries) {
          if (!e.peer) continue;
          const p = peerOf(e.peer.address, e.peer.afi, e.peer.asn, e.peer.bgpId);
          p.families.add(fam(b.afi, b.safi));
          if (b.addPath) p.addPath.add(fam(b.afi, b.safi));
          vote(p, true);
        }
      } else if (b.kind === "table_dump") {
        ribEntries++;
        const p = peerOf(b.peerAddress, b.afi, b.peerAs);
        p.families.add(fam(b.afi, 1));
        vote(p, false);
      } else if (b.kind === "message" || b.kind === "state_change") {
        const p = peerOf(b.peerAddress, b.afi, b.peerAs);
        p.localAddress ??= b.localAddress;
        p.localAs ??= b.localAs;
        const h = rec.header;
        timed.push({
          sec: h.timestamp,
          usec: h.microseconds ?? 0,
          seq: timed.length,
          file: i,
          start: h.offset,
          end: h.offset + MRT_HEADER_LENGTH + h.length,
        });
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
  stats.planned = timed.length + ribEntries;
  const yieldQueue: Uint8Array[] = [];
  const up = (p: Peer, sec: number, usec: number) => {
    if (p.up) return;
    p.up = true;
    stats.peerUps++;
    const local = addressBytes(p.localAddress ?? (p.afi === 1 ? "0.0.0.0" : "::"), p.afi);
    const local16 = new Uint8Array(16);
    local16.set(local, p.afi === 1 ? 12 : 0);
    const localAs = p.localAs ?? p.asn;
    yieldQueue.push(bmp(
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
    yieldQueue.push(bmp(0, cat(perPeer(p, sec, usec, p.asn4), msg)));
    stats.routeMonitoring++;
  };
  const messages = function* (): Generator<Uint8Array> {
    const sysName = enc.encode(opts.sysName ?? "mrt");
    yieldQueue.push(bmp(
      4,
      cat(
        u16(1),
        u16(enc.encode("bmpmon MRT replay").length),
        enc.encode("bmpmon MRT replay"),
        u16(2),
        u16(sysName.length),
        sysName,
      ),
    ));
    const queued = function* (): Generator<Uint8Array> {
      yield* yieldQueue;
      yieldQueue.length = 0;
    };
    yield* queued();
    // Pass 2: the RIB records of each file in file order (read again: an entry needs the
    // PEER_INDEX_TABLE before it), then the updates in time order.
    for (const bytes of files) {
      for (const item of readMrt(bytes)) {
        if (item.record) ribRecord(item.record, bytes);
        yield* queued();
      }
    }
    timed.sort((a, b) => a.sec - b.sec || a.usec - b.usec || a.seq - b.seq);
    for (const { sec, usec, file, start, end } of timed) {
      const bytes = files[file].subarray(start, end);
      const item = readMrt(bytes).next().value;
      if (item?.record) timedRecord(item.record, bytes, sec, usec);
      yield* queued();
    }
  };
  const ribRecord = (rec: MrtRecord, bytes: Uint8Array) => {
    const b = rec.body;
    const t = rec.header.timestamp;
    if (b.kind === "table_dump") {
      const p = peers.get(b.peerAddress)!;
      if (p.asn4) {
        stats.skipped++;
        return;
      }
      const nlri = prefixNlri(b.prefix, b.afi);
      const end = b.attrOffset + b.attrLength;
      monitor(p, t, 0, ribUpdate(bytes, b.attrOffset, end, b.afi, 1, nlri, !!b.attributes.mpReach));
    } else if (b.kind === "rib") {
      if (b.nlri.rd !== undefined || b.nlri.labels !== undefined) {
        stats.skipped += b.entries.length;
        return;
      }
      for (const e of b.entries) {
        const p = e.peer && peers.get(e.peer.address);
        if (!p || !p.asn4) {
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
  };
  const timedRecord = (rec: MrtRecord, bytes: Uint8Array, sec: number, usec: number) => {
    const b = rec.body;
    if (b.kind === "state_change") {
      const p = peers.get(b.peerAddress)!;
      if (p.up && b.oldState === 6 && b.newState !== 6) {
        p.up = false;
        stats.peerDowns++;
        // Reason 4: the remote system closed the session without a NOTIFICATION.
        yieldQueue.push(bmp(2, cat(perPeer(p, sec, usec, p.asn4), new Uint8Array([4]))));
      }
      return;
    }
    if (b.kind !== "message" || !("update" in b.message)) return;
    const p = peers.get(b.peerAddress)!;
    if (p.asn4 !== b.asn4) {
      stats.skipped++;
      return;
    }
    monitor(p, sec, usec, bytes.subarray(b.messageOffset, b.messageOffset + b.messageLength));
  };
  return { stats, messages: messages() };
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
