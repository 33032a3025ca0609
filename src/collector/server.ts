/**
 * The BMP listener: one session per router connection, decoded inline.
 *
 * ```text
 * socket read → Framer → BmpSession.decode → sink.write
 * ```
 *
 * There is no queue between the stages: each read is framed and decoded at once, and
 * when the sink says it is full (its `write` returns a promise) the connection stops
 * reading until it resolves, so TCP flow control pushes back on the router and memory
 * stays bounded by the read buffer plus the sink's batches.
 *
 * @module
 */

import type { BmpMessage } from "../bmp/message.ts";
import { BmpSession } from "../bmp/session.ts";
import type { DecodeError } from "../wire/errors.ts";
import { toDecodeError } from "../wire/errors.ts";
import { Framer } from "./framer.ts";

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

/** Listener options. */
export interface CollectorOptions {
  hostname: string;
  port: number;
  sink: MessageSink;
  /** Largest BMP message accepted (default 1 MiB). */
  maxMessageLength?: number;
  /** Called for events worth logging. */
  log?: (
    level: "info" | "warn" | "error",
    message: string,
    fields: Record<string, unknown>,
  ) => void;
}

/** Accepts router connections and decodes their BMP streams into a sink. */
export class Collector {
  readonly routers: Map<number, RouterConnection> = new Map();
  readonly #opts: CollectorOptions;
  #listener?: Deno.TcpListener;
  readonly #conns = new Map<number, Deno.TcpConn>();
  readonly #tasks = new Set<Promise<void>>();
  #nextId = 1;
  #accepting?: Promise<void>;

  constructor(opts: CollectorOptions) {
    this.#opts = opts;
  }

  /** The bound address (after {@linkcode Collector.start}). */
  get addr(): Deno.NetAddr {
    if (!this.#listener) throw new Error("Cannot get address: collector not started");
    return this.#listener.addr;
  }

  /** Starts listening. */
  start(): Deno.NetAddr {
    this.#listener = Deno.listen({
      hostname: this.#opts.hostname,
      port: this.#opts.port,
      transport: "tcp",
    });
    this.#accepting = this.#acceptLoop(this.#listener);
    return this.#listener.addr;
  }

  async #acceptLoop(listener: Deno.TcpListener): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch {
        return; // listener closed
      }
      const addr = conn.remoteAddr;
      const router = new RouterConnection(this.#nextId++, addr.hostname, addr.port);
      this.routers.set(router.id, router);
      this.#conns.set(router.id, conn);
      const task = this.#serve(conn, router).finally(() => {
        this.#conns.delete(router.id);
        this.#tasks.delete(task);
      });
      this.#tasks.add(task);
    }
  }

  async #serve(conn: Deno.TcpConn, router: RouterConnection): Promise<void> {
    const { sink, log } = this.#opts;
    log?.("info", "router connected", { router: router.id, endpoint: router.endpoint });
    let reason = "closed by router";
    try {
      await sink.routerUp?.(router);
      const framer = new Framer(this.#opts.maxMessageLength);
      for (;;) {
        const n = await conn.read(framer.space());
        if (n === null) break;
        router.bytes += n;
        framer.commit(n);
        // Every write still in progress must finish before the next read (backpressure)
        // and before routerDown, or routes could land after their peer was closed.
        const waits: Promise<void>[] = [];
        framer.drain((bytes, off, len) => {
          let m: BmpMessage;
          try {
            m = router.session.decode(bytes, off);
          } catch (e) {
            router.errors++;
            const err = toDecodeError(e, off);
            err.offset = framer.consumed - len + (err.offset - off);
            sink.decodeError?.(router, err, bytes.slice(off, off + len));
            return;
          }
          router.messages++;
          router.byType[m.kind] = (router.byType[m.kind] ?? 0) + 1;
          if (m.kind === "initiation") {
            router.sysName = m.sysName ?? router.sysName;
            router.sysDescr = m.sysDescr ?? router.sysDescr;
          }
          const p = sink.write(router, m, bytes.subarray(off, off + len));
          if (p instanceof Promise) waits.push(p);
        });
        if (waits.length === 1) await waits[0];
        else if (waits.length > 1) await Promise.all(waits);
      }
    } catch (e) {
      const err = toDecodeError(e, 0);
      reason = e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted
        ? "closed by collector"
        : `${err.code}: ${err.message}`;
      if (reason !== "closed by collector") {
        log?.("warn", "router connection closed on error", { router: router.id, reason });
      }
    } finally {
      try {
        conn.close();
      } catch { /* already closed */ }
      router.closedAt = new Date();
      log?.("info", "router disconnected", {
        router: router.id,
        endpoint: router.endpoint,
        reason,
        messages: router.messages,
      });
      await sink.routerDown?.(router, reason);
    }
  }

  /** Closes one router's connection (as `clear client` does). */
  disconnect(id: number): boolean {
    const conn = this.#conns.get(id);
    if (!conn) return false;
    try {
      conn.close();
    } catch { /* already closed */ }
    return true;
  }

  /** Stops accepting, closes every connection and waits for their sessions to end. */
  async stop(): Promise<void> {
    try {
      this.#listener?.close();
    } catch { /* already closed */ }
    await this.#accepting;
    for (const id of [...this.#conns.keys()]) this.disconnect(id);
    await Promise.all([...this.#tasks]);
  }

  /** Resolves when every current connection has ended. */
  async idle(): Promise<void> {
    await Promise.all([...this.#tasks]);
  }
}
