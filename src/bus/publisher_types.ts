/**
 * The options and status of the bus publisher (`publisher.ts`, which re-exports them), and
 * the records it keeps per spool entry and connection.
 *
 * @module
 */

import type { MsgHdrs } from "@nats-io/transport-node";

/** Options of {@linkcode BusPublisher}. */
export interface BusPublisherOptions {
  /** BUS_COLLECTOR_ID: the first part of every msgID and the Bmp-Collector header. */
  collectorId: string;
  /** Where the mark file is kept (DATA_DIR). */
  dataDir: string;
  /** Publishes awaiting their ack at most (default 512). */
  window?: number;
  /** How often the mark file is written, ms (default 1000). */
  markMs?: number;
  /** How long a publish waits for its ack, ms (default 5000). */
  ackTimeoutMs?: number;
  /** BUS_PARSED: publish each message decoded as well, on `bmp.parsed.*` (parsed.ts). */
  parsed?: boolean;
  log?: (
    level: "info" | "warn" | "error",
    message: string,
    fields: Record<string, unknown>,
  ) => void;
}

/** What the publisher has done, for metrics, logs and `show summary`. */
export interface BusStatus {
  connected: boolean;
  /** Messages and bytes (BMP bytes, headers not counted) acked by JetStream. */
  published: number;
  bytes: number;
  /** Of those, acked as duplicates (already stored: a retry or a replay). */
  duplicates: number;
  /** `bmp.parsed.*` messages and their JSON bytes acked by JetStream (BUS_PARSED). */
  parsed: number;
  parsedBytes: number;
  /** Publishes that failed (each retried until acked, unless it can never be stored). */
  errors: number;
  /** Messages, raw or parsed, never stored (larger than the server's max_payload). */
  dropped: number;
  /** Publishes awaiting their ack. */
  inFlight: number;
  /** Spool records not yet read by the publisher. */
  backlog: number;
  /** Every spool record up to this one is acked (or needed no publish). */
  ackedSeq: number;
  /** Since when the connection is down (ms since epoch), if it is. */
  downSince?: number;
}

/** One NATS message of an entry: the raw BMP message, or a decoded record of it. */
export interface Part {
  subject: string;
  body: Uint8Array;
  hdrs: MsgHdrs;
  msgID: string;
  /** A `bmp.parsed.*` record: counted apart from the BMP messages. */
  parsed?: true;
  state: "inflight" | "done" | "failed";
}

/** One spool record on its way to the bus (internal to the publisher). */
export interface Entry {
  seq: number;
  /** Nothing to send (not a message), every part acked, or waiting. */
  state: "done" | "inflight" | "failed";
  /** What it publishes: the raw message first, then its decoded records. */
  parts?: Part[];
  token?: string;
  routerSeq?: number;
  /** A ConnDown: its connection's sysName is forgotten once this is acked. */
  closes?: number;
  /** With parsed records: the connection, and its stream offset after this message. */
  conn?: number;
  streamEnd?: number;
}

/** A router connection the spool shows open (internal to the publisher). */
export interface Conn {
  address: string;
  port: number;
  token: string;
}
