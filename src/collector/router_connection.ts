/**
 * What the listener (`server.ts`) shares with the rest of the collector: a router
 * connection's state, the sink decoded messages go to, and the listener's options and
 * limits. `server.ts` re-exports all of it.
 *
 * @module
 */

import type { BmpMessage } from "../bmp/message.ts";
import { BmpSession } from "../bmp/session.ts";
import type { DecodeError } from "../wire/errors.ts";
import type { HolddownPolicy } from "./holddown.ts";
import type { Allowlist } from "./limits.ts";

/** What the collector knows about one router connection. */
export class RouterConnection {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly connectedAt: Date = new Date();
  readonly session: BmpSession = new BmpSession();
  sysName?: string;
  sysDescr?: string;
  bytes = 0;
  messages = 0;
  errors = 0;
  /** Messages dropped because their peer is beyond the router's peer limit. */
  dropped = 0;
  readonly byType: Record<string, number> = {};
  /** Set once the connection ended. */
  closedAt?: Date;

  constructor(id: number, remoteAddress: string, remotePort: number) {
    this.id = id;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
  }

  /** `address:port`. */
  get endpoint(): string {
    return this.remoteAddress.includes(":")
      ? `[${this.remoteAddress}]:${this.remotePort}`
      : `${this.remoteAddress}:${this.remotePort}`;
  }
}

/** Where decoded messages go. */
export interface MessageSink {
  /**
   * Takes one message; a returned promise means "stop reading until it resolves".
   * `raw` is a view of the message's bytes, valid only during the call.
   */
  write(router: RouterConnection, m: BmpMessage, raw: Uint8Array): void | Promise<void>;
  /** A message that failed to decode (`raw` is a copy of its bytes). */
  decodeError?(router: RouterConnection, error: DecodeError, raw: Uint8Array): void;
  /** A router connected. */
  routerUp?(router: RouterConnection): void | Promise<void>;
  /** A router's connection ended (closed by it, by us, or broken framing). */
  routerDown?(router: RouterConnection, reason: string): void | Promise<void>;
}

/** Limits on connections and routers (README "Limits and hostile input"); unset: none. */
export interface CollectorLimits {
  /** Source addresses allowed to connect. */
  allow?: Allowlist;
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  /** Messages per second one connection may send before its reads pause (0: no limit). */
  maxMessagesPerS?: number;
  /** Messages a connection may send at once above the rate (default: one second's worth). */
  burstMessages?: number;
  /** Close a connection that has sent no valid message this long after connecting (ms). */
  idleTimeoutMs?: number;
  /** Distinct peers (per-peer header keys) one connection may report. */
  maxPeersPerRouter?: number;
  /** Refuse a router address whose sessions flap (`ROUTER_HOLDDOWN`); unset: never. */
  holddown?: HolddownPolicy;
}

/** Listener options. */
export interface CollectorOptions {
  hostname: string;
  port: number;
  sink: MessageSink;
  /** Largest BMP message accepted (default 1 MiB). */
  maxMessageLength?: number;
  limits?: CollectorLimits;
  /** Called for events worth logging. */
  log?: (
    level: "info" | "warn" | "error",
    message: string,
    fields: Record<string, unknown>,
  ) => void;
}
