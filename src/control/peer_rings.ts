/**
 * The last messages of each monitored peer, for `show client ID peer PEER messages`.
 *
 * A router's own ring (64 messages) says little about one peer of a router with many:
 * during a table dump the busiest peer fills it. So each peer gets a small ring of its
 * own, and all peers of all routers share one budget of rings: 1,000 routers × 100 peers
 * would otherwise keep 1.6 million decoded messages alive. When the budget is used up, a
 * new peer takes the ring of a peer that sent nothing since the clock hand last passed
 * it (CLOCK, second chance): a write sets one bit, an eviction clears bits until it finds
 * a quiet peer, so neither a write nor an eviction costs more than O(1) amortized.
 *
 * Memory: at most `maxRings × size` references to decoded messages (default 4,096 × 16 =
 * 65,536, as many as the router rings of 1,000 connected routers), shared with the router
 * rings while the messages are recent there too.
 *
 * @module
 */

import type { BmpMessage } from "../bmp/message.ts";
import { MessageRing, type RecentMessage } from "./message_ring.ts";

/** Messages remembered per peer. */
export const PEER_RECENT = 16;

/** Peer rings over every router. */
export const PEER_RINGS_MAX = 4096;

interface Slot {
  index: number;
  router: number;
  key: string;
  ring: MessageRing;
  /** Written since the clock hand last passed. */
  used: boolean;
}

/**
 * Per-peer rings of `size` messages, at most `maxRings` of them.
 *
 * @example
 * ```ts
 * import { PeerRings } from "./peer_rings.ts";
 * import type { BmpMessage } from "../bmp/message.ts";
 * const rings = new PeerRings(2, 4);
 * const m = { kind: "peer_up" } as BmpMessage;
 * rings.push(1, "a", m, 10, 0, 0);
 * rings.push(1, "b", m, 10, 0, 1);
 * rings.push(1, "a", m, 10, 0, 2);
 * rings.push(2, "c", m, 10, 0, 3); // the budget is 2: takes a ring
 * if (rings.rings !== 2 || rings.recent(2, "c", 4).length !== 1) throw new Error("unexpected");
 * ```
 */
export class PeerRings {
  readonly maxRings: number;
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #free: number[] = [];
  readonly #byRouter = new Map<number, Map<string, Slot>>();
  #hand = 0;

  constructor(maxRings = PEER_RINGS_MAX, size = PEER_RECENT) {
    this.maxRings = Math.max(1, maxRings);
    this.size = size;
  }

  /** Rings in use. */
  get rings(): number {
    return this.#slots.length - this.#free.length;
  }

  /** Remembers message `m` of peer `key` of router `router`. */
  push(router: number, key: string, m: BmpMessage, length: number, time: number, seq: number) {
    let peers = this.#byRouter.get(router);
    if (!peers) this.#byRouter.set(router, peers = new Map());
    const slot = peers.get(key) ?? this.#add(router, key, peers);
    slot.used = true;
    slot.ring.push(m, length, time, seq);
  }

  /** The last `n` messages of peer `key` of router `router`, oldest first. */
  recent(router: number, key: string, n: number): RecentMessage[] {
    return this.#byRouter.get(router)?.get(key)?.ring.last(n) ?? [];
  }

  /** Forgets the rings of router `router`. */
  dropRouter(router: number): void {
    const peers = this.#byRouter.get(router);
    if (!peers) return;
    for (const s of peers.values()) {
      s.ring.clear();
      s.used = false;
      s.router = -1;
      this.#free.push(s.index);
    }
    this.#byRouter.delete(router);
  }

  #add(router: number, key: string, peers: Map<string, Slot>): Slot {
    let s: Slot;
    if (this.#free.length > 0) s = this.#slots[this.#free.pop()!];
    else if (this.#slots.length < this.maxRings) {
      s = {
        index: this.#slots.length,
        router,
        key,
        ring: new MessageRing(this.size),
        used: false,
      };
      this.#slots.push(s);
    } else {
      s = this.#victim();
      const owner = this.#byRouter.get(s.router);
      owner?.delete(s.key);
      if (owner?.size === 0 && s.router !== router) this.#byRouter.delete(s.router);
      s.ring.clear();
    }
    s.router = router;
    s.key = key;
    peers.set(key, s);
    return s;
  }

  /** The first ring, from the clock hand on, not written since the hand last passed it. */
  #victim(): Slot {
    for (;;) {
      const s = this.#slots[this.#hand];
      this.#hand = (this.#hand + 1) % this.#slots.length;
      if (!s.used) return s;
      s.used = false;
    }
  }
}
