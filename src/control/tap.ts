/**
 * What the control endpoint sees of each router's message flow: the last messages of
 * every router (for `show client ID messages`) and of every peer (peer_rings.ts, for
 * `show client ID peer PEER messages`), per-router debug dumps (hex and decoded,
 * switched by `debug client ID on|off`, or for all routers with LOG_LEVEL=DEBUG), and the
 * end of each router's session (for `clear client ID`, which waits for it).
 *
 * The ring keeps references to the decoded messages, so the hot path costs an array
 * store; they are turned into text only when asked for.
 *
 * @module
 */

import type { BmpMessage } from "../bmp/message.ts";
import { jsonReplacer, messageJson } from "../bmp/json.ts";
import type { MessageSink, RouterConnection } from "../collector/server.ts";
import { logger } from "../log.ts";
import type { DecodeError } from "../wire/errors.ts";
import { hex } from "../wire/ip.ts";
import { MessageRing, type RecentMessage } from "./message_ring.ts";
import { PeerRings } from "./peer_rings.ts";

/** Messages remembered per router. */
export const RECENT_MESSAGES = 64;

/** Routers whose last messages are remembered after they disconnected. */
const CLOSED_KEPT = 16;

export type { RecentMessage };

/** A sink that remembers, optionally dumps, then passes every call on to `inner`. */
export class RouterTap implements MessageSink {
  readonly #inner: MessageSink;
  readonly #rings = new Map<number, MessageRing>();
  readonly #peerRings: PeerRings;
  #seq = 0;
  readonly #closed: number[] = [];
  readonly #debug = new Set<number>();
  readonly #debugAll: boolean;
  readonly #down = new Map<number, PromiseWithResolvers<void>>();
  readonly #log = logger("message");

  /**
   * @param debugAll dump every router's messages at debug level (LOG_LEVEL=DEBUG)
   * @param peerRings the per-peer rings (default: {@linkcode PEER_RINGS_MAX} of 16)
   */
  constructor(inner: MessageSink, debugAll = false, peerRings = new PeerRings()) {
    this.#inner = inner;
    this.#debugAll = debugAll;
    this.#peerRings = peerRings;
  }

  /** The last `n` messages of router `id` (at most {@linkcode RECENT_MESSAGES}). */
  recent(id: number, n = RECENT_MESSAGES): RecentMessage[] {
    return this.#rings.get(id)?.last(n) ?? [];
  }

  /**
   * The last `n` messages of the peers `keys` (per-peer header keys) of router `id`,
   * oldest first: those of the peers' own rings and of the router's ring, together.
   */
  recentOfPeers(id: number, keys: readonly string[], n = RECENT_MESSAGES): RecentMessage[] {
    const want = new Set(keys);
    const bySeq = new Map<number, RecentMessage>();
    for (const e of this.recent(id)) {
      const m = e.message;
      if (m && "peer" in m && want.has(m.peer.key)) bySeq.set(e.seq, e);
    }
    for (const k of want) for (const e of this.#peerRings.recent(id, k, n)) bySeq.set(e.seq, e);
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(-Math.max(0, n));
  }

  /** Switches the debug dumps of router `id`. */
  setDebug(id: number, on: boolean): void {
    if (on) this.#debug.add(id);
    else this.#debug.delete(id);
  }

  /** Whether router `id`'s messages are dumped. */
  debugging(id: number): boolean {
    return this.#debugAll || this.#debug.has(id);
  }

  /**
   * Resolves once router `id`'s session ended and the sinks after this one handled it
   * (at once for a router this tap does not know).
   */
  ended(id: number): Promise<void> {
    return this.#down.get(id)?.promise ?? Promise.resolve();
  }

  #downOf(id: number): PromiseWithResolvers<void> {
    let d = this.#down.get(id);
    if (!d) this.#down.set(id, d = Promise.withResolvers<void>());
    return d;
  }

  #ring(id: number): MessageRing {
    let r = this.#rings.get(id);
    if (!r) this.#rings.set(id, r = new MessageRing(RECENT_MESSAGES));
    return r;
  }

  write(router: RouterConnection, m: BmpMessage, raw: Uint8Array): void | Promise<void> {
    const time = Date.now(), seq = this.#seq++;
    this.#ring(router.id).push(m, raw.length, time, seq);
    if ("peer" in m) this.#peerRings.push(router.id, m.peer.key, m, raw.length, time, seq);
    if (this.debugging(router.id)) {
      const decoded = JSON.parse(JSON.stringify(messageJson(m), jsonReplacer));
      this.#dump(router, raw, { kind: m.kind, decoded });
    }
    return this.#inner.write(router, m, raw);
  }

  decodeError(router: RouterConnection, error: DecodeError, raw: Uint8Array): void {
    this.#ring(router.id).push(error, raw.length, Date.now(), this.#seq++);
    if (this.debugging(router.id)) {
      this.#dump(router, raw, {
        kind: "error",
        code: error.code,
        error: error.message,
        offset: error.offset,
      });
    }
    this.#inner.decodeError?.(router, error, raw);
  }

  #dump(router: RouterConnection, raw: Uint8Array, fields: Record<string, unknown>): void {
    const props = { router: router.id, endpoint: router.endpoint, length: raw.length, ...fields };
    const text = "message {kind} from router {router}";
    // A router switched on by `debug client` logs at info, so it shows at any LOG_LEVEL.
    if (this.#debug.has(router.id)) this.#log.info(text, { ...props, hex: hex(raw) });
    else this.#log.debug(text, { ...props, hex: hex(raw) });
  }

  routerUp(router: RouterConnection): void | Promise<void> {
    this.#ring(router.id);
    this.#downOf(router.id);
    return this.#inner.routerUp?.(router);
  }

  async routerDown(router: RouterConnection, reason: string): Promise<void> {
    try {
      await this.#inner.routerDown?.(router, reason);
    } finally {
      this.#debug.delete(router.id);
      this.#downOf(router.id).resolve();
      this.#closed.push(router.id);
      if (this.#closed.length > CLOSED_KEPT) {
        const old = this.#closed.shift()!;
        this.#rings.delete(old);
        this.#peerRings.dropRouter(old);
        this.#down.delete(old);
      }
    }
  }
}
