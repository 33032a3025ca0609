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
import { toDecodeError } from "../wire/errors.ts";
import { Framer } from "./framer.ts";
import { FlapHolddown, holdFields } from "./holddown.ts";
import {
  ConnectionCounter,
  type LimitReason,
  newLimitCounters,
  PeerCap,
  TokenBucket,
} from "./limits.ts";
import { type CollectorOptions, RouterConnection } from "./router_connection.ts";

export * from "./router_connection.ts";

/** Decode errors logged one by one per connection; later ones are only counted. */
const LOGGED_DECODE_ERRORS = 10;

/** An open connection, and how the collector ends it. */
interface Connection {
  conn: Deno.TcpConn;
  /** Why the collector closes it (set before closing). */
  closing?: string;
  /** Ends a rate-limit pause early. */
  wake?: () => void;
}

/** Accepts router connections and decodes their BMP streams into a sink. */
export class Collector {
  /** Router connections, open and closed (a connection that never sent a whole message is
   * forgotten when it closes). */
  readonly routers: Map<number, RouterConnection> = new Map();
  /** How often each limit was hit (see {@linkcode LimitReason} for what is counted). */
  readonly limits: Record<LimitReason, number> = newLimitCounters();
  /** Flap counts and router addresses held down (with `limits.holddown`). */
  readonly holddown?: FlapHolddown;
  readonly #opts: CollectorOptions;
  readonly #counter: ConnectionCounter;
  #listener?: Deno.TcpListener;
  readonly #conns = new Map<number, Connection>();
  readonly #tasks = new Set<Promise<void>>();
  #nextId = 1;
  #accepting?: Promise<void>;
  #stopping = false;

  constructor(opts: CollectorOptions) {
    this.#opts = opts;
    const l = opts.limits ?? {};
    this.#counter = new ConnectionCounter(
      l.maxConnections ?? Infinity,
      l.maxConnectionsPerAddress ?? Infinity,
    );
    if (l.holddown) this.holddown = new FlapHolddown(l.holddown);
  }

  /** `MAX_CONNECTIONS` and `MAX_CONNECTIONS_PER_ADDRESS` (Infinity: none). */
  get maxConnections(): { total: number; perAddress: number } {
    return { total: this.#counter.maxTotal, perAddress: this.#counter.maxPerAddress };
  }

  /** Open connections. */
  get connections(): number {
    return this.#counter.total;
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
      } catch (e) {
        if (this.#stopping || e instanceof Deno.errors.BadResource) return; // listener closed
        // Out of file descriptors or the like: refusing everyone forever would be worse.
        this.#opts.log?.("error", "accept failed", { error: String(e) });
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const addr = conn.remoteAddr;
      // A held-down router is refused before the counter admits it: it holds no slot.
      const allowed = this.#opts.limits?.allow?.allows(addr.hostname) !== false;
      const held = allowed ? this.holddown?.refuse(addr.hostname, Date.now()) : undefined;
      const refused = !allowed
        ? "not_allowed"
        : held
        ? "held_down"
        : this.#counter.admit(addr.hostname);
      if (refused) {
        this.limits[refused]++;
        try {
          conn.close();
        } catch { /* already closed */ }
        // A flapping router retries every few seconds: one line per hold-down is enough.
        if (!held || held.refused === 1) {
          this.#opts.log?.("warn", "connection refused", {
            limit: refused,
            address: addr.hostname,
            port: addr.port,
            ...(held ? { held_s: Math.ceil((held.until - Date.now()) / 1000) } : {}),
          });
        }
        continue;
      }
      const router = new RouterConnection(this.#nextId++, addr.hostname, addr.port);
      this.routers.set(router.id, router);
      this.#conns.set(router.id, { conn });
      const task = this.#serve(conn, router).finally(() => {
        this.#conns.delete(router.id);
        this.#counter.release(router.remoteAddress);
        this.#tasks.delete(task);
      });
      this.#tasks.add(task);
    }
  }

  async #serve(conn: Deno.TcpConn, router: RouterConnection): Promise<void> {
    const { sink, log } = this.#opts;
    const lim = this.#opts.limits ?? {};
    const self = this.#conns.get(router.id)!;
    log?.("info", "router connected", { router: router.id, endpoint: router.endpoint });
    // Each limit is logged once per connection, and counted every time.
    const hit = new Set<LimitReason>();
    const limit = (r: LimitReason, fields: Record<string, unknown> = {}) => {
      this.limits[r]++;
      if (hit.has(r)) return;
      hit.add(r);
      log?.("warn", "limit hit", {
        limit: r,
        router: router.id,
        endpoint: router.endpoint,
        ...fields,
      });
    };
    let idle = lim.idleTimeoutMs
      ? setTimeout(() => {
        limit("idle_timeout", { seconds: lim.idleTimeoutMs! / 1000, bytes: router.bytes });
        this.disconnect(router.id, "idle timeout");
      }, lim.idleTimeoutMs)
      : undefined;
    const rate = lim.maxMessagesPerS ?? 0;
    const bucket = rate > 0
      ? new TokenBucket(rate, lim.burstMessages ?? rate, performance.now())
      : undefined;
    const peers = lim.maxPeersPerRouter ? new PeerCap(lim.maxPeersPerRouter) : undefined;
    // The sink hears of a router only once it sent a whole message: connections that
    // send nothing or garbage never reach the store.
    let up = false;
    let reason = "closed by router";
    // A 64 KiB buffer to start with: 1,000 idle connections then hold about 15 MB, where
    // the framer's default 256 KiB made it 100 MB (measured); busy routers grow it.
    const framer = new Framer(this.#opts.maxMessageLength, 64 * 1024);
    try {
      for (;;) {
        const n = await conn.read(framer.space());
        if (n === null) break;
        router.bytes += n;
        framer.commit(n);
        if (!up && framer.hasMessage) {
          up = true;
          await sink.routerUp?.(router);
        }
        // Every write still in progress must finish before the next read (backpressure)
        // and before routerDown, or routes could land after their peer was closed.
        const waits: Promise<void>[] = [];
        let framed = 0;
        framer.drain((bytes, off, len) => {
          framed++;
          let m: BmpMessage;
          try {
            m = router.session.decode(bytes, off);
          } catch (e) {
            router.errors++;
            const err = toDecodeError(e, off);
            err.offset = framer.consumed - len + (err.offset - off);
            if (router.errors <= LOGGED_DECODE_ERRORS) {
              log?.("warn", "message skipped", {
                router: router.id,
                endpoint: router.endpoint,
                offset: framer.consumed - len,
                length: len,
                type: err.messageType,
                code: err.code,
                reason: err.message,
                ...(router.errors === LOGGED_DECODE_ERRORS
                  ? { note: "further decode errors of this connection are counted, not logged" }
                  : {}),
              });
            }
            sink.decodeError?.(router, err, bytes.slice(off, off + len));
            return;
          }
          if (idle !== undefined) {
            clearTimeout(idle);
            idle = undefined;
          }
          if (peers && "peer" in m && !peers.admit(m.peer.key)) {
            router.dropped++;
            limit("peers_per_router", { max: peers.max, peer: m.peer.address, kind: m.kind });
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
        if (bucket && framed > 0) {
          // Over its rate, a router waits before its next read: nothing read is dropped,
          // and TCP flow control holds it back while the others are served.
          const ms = bucket.take(framed, performance.now());
          if (ms > 0) {
            limit("rate_limited", { max_msgs_per_s: rate });
            await this.#pause(self, ms);
          }
        }
      }
    } catch (e) {
      const err = toDecodeError(e, 0);
      const closed = e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted;
      reason = self.closing ?? (closed ? "closed by collector" : `${err.code}: ${err.message}`);
      if (!self.closing && !closed) {
        // Framing broke: nothing after this offset can be trusted.
        const r: LimitReason | undefined = err.code === "too-large"
          ? "message_too_large"
          : err.code === "bad-version" || err.code === "bad-length"
          ? "broken_framing"
          : undefined;
        if (r) this.limits[r]++;
        log?.("warn", "router connection closed on error", {
          router: router.id,
          endpoint: router.endpoint,
          reason,
          offset: err.offset,
          ...(r ? { limit: r } : {}),
        });
      }
    } finally {
      if (idle !== undefined) clearTimeout(idle);
      try {
        conn.close();
      } catch { /* already closed */ }
      router.closedAt = new Date();
      log?.("info", "router disconnected", {
        router: router.id,
        endpoint: router.endpoint,
        reason,
        messages: router.messages,
        ...(framer.pending ? { unframed_bytes: framer.pending } : {}),
      });
      // A flap is a session that ended by the router's doing, not `clear client` or stop.
      const h = up && !this.#stopping && self.closing === undefined
        ? this.holddown?.flap(router.remoteAddress, Date.now())
        : undefined;
      if (h) log?.("warn", "router held down", holdFields(h, this.holddown!.policy));
      if (up) await sink.routerDown?.(router, reason);
      else this.routers.delete(router.id);
    }
  }

  /** Waits `ms`, or less if the connection is closed meanwhile. */
  #pause(c: Connection, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        c.wake = undefined;
        resolve();
      }
      c.wake = done;
    });
  }

  /** Closes one router's connection (as `clear client` does). */
  disconnect(id: number, reason = "closed by collector"): boolean {
    const c = this.#conns.get(id);
    if (!c) return false;
    c.closing ??= reason;
    try {
      c.conn.close();
    } catch { /* already closed */ }
    c.wake?.();
    return true;
  }

  /** Stops accepting, closes every connection and waits for their sessions to end. */
  async stop(): Promise<void> {
    this.#stopping = true;
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
