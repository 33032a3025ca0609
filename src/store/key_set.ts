/**
 * A set of 32-bit hashes of route identities, for the writer's first-load path: a route
 * whose hash is absent is new to the current RIB and can be inserted without an upsert.
 * Two identities with one hash only send a new route through the upsert (still right).
 *
 * Open addressing over a `Uint32Array` (0 marks an empty slot), grown at half load:
 * 8–16 bytes per route, 8 MiB for a full Internet table.
 *
 * @module
 */

/**
 * FNV-1a over the UTF-16 code units of `s`, starting from `seed`.
 *
 * @example
 * ```ts
 * import { hash32 } from "./key_set.ts";
 * if (hash32("10.0.0.0/8") === hash32("10.0.0.0/9")) throw new Error("unexpected");
 * ```
 */
export function hash32(s: string, seed = 0x811c9dc5): number {
  let h = seed | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}

/** A growable set of 32-bit hashes. */
export class KeySet {
  #slots = new Uint32Array(1 << 10);
  #size = 0;

  /** Hashes in the set. */
  get size(): number {
    return this.#size;
  }

  /** Bytes held by the set. */
  get bytes(): number {
    return this.#slots.byteLength;
  }

  /**
   * Adds `h`.
   *
   * @returns false when it was there already
   */
  add(h: number): boolean {
    if (2 * (this.#size + 1) > this.#slots.length) this.#grow();
    const added = insert(this.#slots, h || 1);
    if (added) this.#size++;
    return added;
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Uint32Array(old.length * 2);
    for (const h of old) if (h) insert(this.#slots, h);
  }
}

function insert(slots: Uint32Array, h: number): boolean {
  const mask = slots.length - 1;
  for (let i = Math.imul(h, 0x9e3779b1) >>> 0;; i++) {
    const at = i & mask;
    if (slots[at] === h) return false;
    if (slots[at] === 0) {
      slots[at] = h;
      return true;
    }
  }
}
