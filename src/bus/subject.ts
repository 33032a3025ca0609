/**
 * Subjects and headers of what `serve` publishes on the bus (README "Message bus").
 *
 * ```text
 * bmp.raw.<router>            one raw BMP message (common header included) per NATS message
 * bmp.parsed.<kind>.<router>  with BUS_PARSED: the same message decoded, as JSON (parsed.ts)
 * ```
 *
 * `<router>` is the router's address with `.` → `_` and `:` → `-` (any other character
 * outside `[A-Za-z0-9_-]` → `_`): `192.0.2.1` → `192_0_2_1`, `2001:db8::1` → `2001-db8--1`.
 *
 * @module
 */

import { headers, type MsgHdrs } from "@nats-io/transport-node";
import { COMMON_HEADER_LENGTH } from "../bmp/common_header.ts";
import { decodeInitiation } from "../bmp/initiation.ts";
import { WireReader } from "../wire/reader.ts";

/** The subjects the stream holds: raw messages, and parsed ones (BUS_PARSED). */
export const STREAM_SUBJECTS = ["bmp.raw.>", "bmp.parsed.>"] as const;

/** The headers of every `bmp.raw.*` message (and of `bmp.parsed.*`, which adds one). */
export const BusHeader = {
  /** The router's IP address, as the collector saw it. */
  RouterAddress: "Bmp-Router-Address",
  /** The router's TCP port. */
  RouterPort: "Bmp-Router-Port",
  /** The sysName of the connection's Initiation (RFC 7854 §4.3), when it had one. */
  SysName: "Bmp-Sys-Name",
  /** When the collector received the message: RFC 3339 UTC, milliseconds. */
  Received: "Bmp-Received",
  /** BUS_COLLECTOR_ID of the publishing collector. */
  Collector: "Bmp-Collector",
  /** 1, 2, 3 … per router subject, in arrival order, never reused by that collector. */
  RouterSeq: "Bmp-Router-Seq",
  /** The connection (its spool number): a router's reconnect gets a new one. */
  Connection: "Bmp-Connection",
  /**
   * On the message that ends a connection (empty body, after all of its messages): why it
   * ended, as the collector logged it. A consumer closes the connection's peers on it.
   */
  ConnectionEnd: "Bmp-Connection-End",
  /**
   * Only on `bmp.parsed.*`: the version of its JSON body (README "Parsed messages"). A
   * consumer of raw messages skips messages that have it.
   */
  ParsedVersion: "Bmp-Parsed-Version",
} as const;

/**
 * The subject token of a router address.
 *
 * @example
 * ```ts
 * import { routerToken } from "./subject.ts";
 * if (routerToken("192.0.2.1") !== "192_0_2_1") throw new Error();
 * if (routerToken("2001:db8::1") !== "2001-db8--1") throw new Error();
 * ```
 */
export function routerToken(address: string): string {
  return address.replaceAll(".", "_").replaceAll(":", "-").replace(/[^A-Za-z0-9_-]/g, "_") ||
    "unknown";
}

/** The subject of a router's raw BMP messages. */
export function rawSubject(address: string): string {
  return `bmp.raw.${routerToken(address)}`;
}

/**
 * The subject of a router's decoded messages of one `kind` (a `kind` of `decode --format
 * jsonl`: `route_monitoring`, `peer_up`, …, `error`).
 *
 * @example
 * ```ts
 * import { parsedSubject } from "./subject.ts";
 * if (parsedSubject("peer_up", "192.0.2.1") !== "bmp.parsed.peer_up.192_0_2_1") throw new Error();
 * ```
 */
export function parsedSubject(kind: string, address: string): string {
  return `bmp.parsed.${kind}.${routerToken(address)}`;
}

/** The headers of one published BMP message, or of a connection's `end` (README "Message bus"). */
export function messageHeaders(
  c: { address: string; port: number },
  sysName: string | undefined,
  r: { time: number; conn: number },
  collectorId: string,
  routerSeq: number,
  end?: string,
): MsgHdrs {
  const h = headers();
  h.set(BusHeader.RouterAddress, c.address);
  h.set(BusHeader.RouterPort, String(c.port));
  if (sysName) h.set(BusHeader.SysName, sysName);
  h.set(BusHeader.Received, new Date(r.time).toISOString());
  h.set(BusHeader.Collector, collectorId);
  h.set(BusHeader.RouterSeq, String(routerSeq));
  h.set(BusHeader.Connection, String(r.conn));
  if (end !== undefined) h.set(BusHeader.ConnectionEnd, end);
  return h;
}

/** The sysName TLV of an Initiation message (RFC 7854 §4.3), if it has one. */
export function initiationSysName(raw: Uint8Array): string | undefined {
  try {
    const end = Math.min(raw.length, new DataView(raw.buffer, raw.byteOffset).getUint32(1));
    return decodeInitiation(new WireReader(raw, COMMON_HEADER_LENGTH, end)).sysName;
  } catch {
    return undefined; // a broken Initiation: no header for it
  }
}
