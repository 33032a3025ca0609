/**
 * The decoded side of the bus (BUS_PARSED, README "Parsed messages"): each BMP message the
 * publisher sends raw also goes, as the JSON object `bmpmon decode --format jsonl` prints
 * for it, on `bmp.parsed.<kind>.<router>`.
 *
 * ```text
 * bmp.raw.192_0_2_1                         the BMP message   Nats-Msg-Id edge-1:812
 * bmp.parsed.route_monitoring.192_0_2_1     its JSON object   Nats-Msg-Id edge-1:812:p0
 * ```
 *
 * The encoder follows the spool the publisher reads, not the collector's decoded messages:
 * what the raw stream guarantees (spool order, retries, a restart resuming after the mark)
 * holds for the decoded records as well, at the cost of decoding every message a second
 * time. Each connection has its own `BmpSession`, fed every message in spool order (those
 * a restart reads again too), so that Route Monitoring is decoded with the state of its
 * peer's Peer Up, as `decode` does.
 *
 * Positions (`offset`, a problem's `offset`, an error's `offset`) are those in the
 * connection's byte stream, where `decode` of the connection's raw messages concatenated
 * puts them: a message is decoded alone, so its positions are shifted by where it starts.
 * A connection known only from a segment's snapshot (its start deleted) takes its offset
 * from the bus mark (`offsets`); a mark written without BUS_PARSED has none, and offsets
 * then count from the snapshot. `file` and `flow`, which name a capture, are left out.
 *
 * @module
 */

import { errorJson, jsonReplacer, messageJson } from "../bmp/json.ts";
import type { BmpMessage } from "../bmp/message.ts";
import { BmpSession } from "../bmp/session.ts";
import type { MsgHdrs } from "@nats-io/transport-node";
import { RecordType, type SpoolRecord } from "../spool/log.ts";
import { toDecodeError } from "../wire/errors.ts";
import type { Entry } from "./publisher_types.ts";
import { BusHeader, parsedSubject } from "./subject.ts";

/**
 * The version of the `bmp.parsed.*` bodies (header `Bmp-Parsed-Version`). Fields may be
 * added within a version; one removed, renamed or changed in meaning makes the next.
 */
export const PARSED_VERSION = 1;

const PEER_DOWN = 2;
const PEER_UP = 3;
const encoder = new TextEncoder();

/** One decoded record of a BMP message: its jsonl `kind` and its JSON. */
export interface ParsedRecord {
  kind: string;
  body: Uint8Array;
}

/** A message's records, and what their parts need of it. */
export interface ParsedMessage {
  records: ParsedRecord[];
  /** The router's address (the subject) and the spool connection. */
  address: string;
  conn: number;
  /** A new set of the raw message's headers. */
  headers: () => MsgHdrs;
}

interface ConnState {
  session: BmpSession;
  /** Stream offset of the connection's next message. */
  offset: number;
  /** Known from a segment's snapshot only: its State records rebuild the session. */
  fromSnapshot: boolean;
  /** A message of it was published in this run (not only read again after a restart). */
  live: boolean;
}

/** Decodes the spool's messages per connection into their `bmp.parsed.*` records. */
export class ParsedEncoder {
  readonly #conns = new Map<number, ConnState>();
  /** Connection → stream offset after its last message acked in order (for the mark). */
  readonly #acked = new Map<number, number>();
  /** The same, as the mark of the previous run had it. */
  readonly #marked: Map<number, number>;
  readonly #counts = { parsed: 0, parsedBytes: 0 };

  /** @param offsets the mark's stream offsets (`BusMark.offsets`) */
  constructor(offsets: Record<string, number> = {}) {
    this.#marked = new Map(Object.entries(offsets).map(([k, v]) => [Number(k), v]));
    for (const [k, v] of this.#marked) this.#acked.set(k, v);
  }

  /**
   * Follows one spool record; call for every record the publisher reads, in order.
   *
   * @param publish a Message to publish (not one a restart reads again)
   * @returns the Message's decoded records when `publish`, else none
   */
  read(r: SpoolRecord, publish: boolean): ParsedRecord[] {
    const c = this.#conns.get(r.conn);
    switch (r.type) {
      case RecordType.ConnUp:
        if (!c) {
          const fromSnapshot = r.seq !== r.conn;
          const state = { session: new BmpSession(), offset: 0, fromSnapshot, live: false };
          this.#conns.set(r.conn, state);
        }
        return [];
      case RecordType.State:
        if (c?.fromSnapshot) decodeQuietly(c.session, r.body);
        return [];
      case RecordType.ConnDown:
        this.#conns.delete(r.conn);
        return [];
      case RecordType.Message:
        break;
      default:
        return [];
    }
    if (!c) return [];
    c.fromSnapshot = false;
    if (publish && !c.live) {
      // The mark knows where a connection older than the spool's first segment was.
      c.live = true;
      c.offset = this.#marked.get(r.conn) ?? c.offset;
    }
    const at = c.offset;
    c.offset += r.body.length;
    if (!publish) {
      decodeQuietly(c.session, r.body);
      return [];
    }
    return [encodeRecord(c.session, r.body, at)];
  }

  /**
   * Adds the parts that publish the `records` of a message to its entry, after the raw
   * message: the same headers plus `Bmp-Parsed-Version`, msgID `<raw msgID>:p<index>`.
   */
  attach(e: Entry, m: ParsedMessage): void {
    const rawId = e.parts![0].msgID;
    for (const [i, p] of m.records.entries()) {
      const hdrs = m.headers();
      hdrs.set(BusHeader.ParsedVersion, String(PARSED_VERSION));
      const subject = parsedSubject(p.kind, m.address);
      e.parts!.push({
        subject,
        body: p.body,
        hdrs,
        msgID: `${rawId}:p${i}`,
        parsed: true,
        state: "inflight",
      });
    }
    e.conn = m.conn;
    e.streamEnd = this.#conns.get(m.conn)?.offset;
  }

  /** Entry `e` and all before it are acked: the mark may say where its connection is. */
  passed(e: Entry): void {
    if (e.streamEnd !== undefined) this.#acked.set(e.conn!, e.streamEnd);
    if (e.closes !== undefined) this.#acked.delete(e.closes);
  }

  /** Stream offsets of the open connections at the last entry passed (`BusMark.offsets`). */
  ackedOffsets(): Map<number, number> {
    return this.#acked;
  }

  /** Counts a parsed record acked by JetStream. */
  count(bytes: number): void {
    this.#counts.parsed++;
    this.#counts.parsedBytes += bytes;
  }

  /** The parsed records acked, and their JSON bytes. */
  counts(): { parsed: number; parsedBytes: number } {
    return { ...this.#counts };
  }
}

/**
 * The jsonl record of the message `body` (one whole BMP message) that starts at `at` in
 * its connection's stream: the decoded object, or `kind: "error"` when it cannot be decoded.
 *
 * @example
 * ```ts
 * import { encodeRecord } from "./parsed.ts";
 * import { BmpSession } from "../bmp/session.ts";
 * const termination = new Uint8Array([3, 0, 0, 0, 6, 5]);
 * const r = encodeRecord(new BmpSession(), termination, 100);
 * const o = JSON.parse(new TextDecoder().decode(r.body));
 * if (r.kind !== "termination" || o.offset !== 100 || "file" in o) throw new Error();
 * ```
 */
export function encodeRecord(session: BmpSession, body: Uint8Array, at: number): ParsedRecord {
  let obj: Record<string, unknown>;
  try {
    const m = session.decode(body, 0);
    shift(m, at);
    obj = messageJson(m);
  } catch (e) {
    const err = toDecodeError(e, 0);
    err.offset += at;
    obj = errorJson(err);
  }
  return { kind: obj.kind as string, body: encoder.encode(JSON.stringify(obj, jsonReplacer)) };
}

/**
 * Moves the positions of `m`, decoded at 0, to where it starts in its stream. A problem at
 * 0 has no position (a missing attribute): it stays 0, as in `decode`.
 */
function shift(m: BmpMessage, at: number): void {
  const move = (problems: { offset: number }[]) => {
    for (const p of problems) if (p.offset > 0) p.offset += at;
  };
  m.offset += at;
  if (m.kind === "route_monitoring") move(m.update.problems);
  else if (m.kind === "route_mirroring") {
    for (const e of m.entries) {
      if (e.message && "update" in e.message) move(e.message.update.problems);
    }
  }
}

/** Feeds a Peer Up or Peer Down to a session for its state only (a bad one changes nothing). */
function decodeQuietly(session: BmpSession, raw: Uint8Array): void {
  if (raw[5] !== PEER_UP && raw[5] !== PEER_DOWN) return;
  try {
    session.decode(raw, 0);
  } catch { /* published as an error when it was read the first time */ }
}
