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

/**
 * A set of 64-bit values (two unsigned 32-bit halves), exact: open addressing over a
 * `Uint32Array` of pairs, grown at half load; (0, 0) cannot be held (it marks an empty
 * slot, and `add` takes it for (0, 1)). 16–32 bytes per value, and no string per value for
 * the garbage collector to trace.
 *
 * @example
 * ```ts
 * import { PairSet } from "./key_set.ts";
 * const s = new PairSet();
 * if (!s.add(1, 2) || s.add(1, 2) || !s.add(2, 1) || s.size !== 2) throw new Error();
 * ```
 */
export class PairSet {
  #slots = new Uint32Array(1 << 11);
  #size = 0;

  /** Values in the set. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds the value of halves `hi`, `lo` (unsigned 32-bit).
   *
   * @returns false when it was there already
   */
  add(hi: number, lo: number): boolean {
    if (4 * (this.#size + 1) > this.#slots.length) this.#grow();
    const added = insertPair(this.#slots, hi, hi === 0 && lo === 0 ? 1 : lo);
    if (added) this.#size++;
    return added;
  }

  /** Whether the value of halves `hi`, `lo` is in the set. */
  has(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1;
    const slots = this.#slots;
    const mask = (slots.length >> 1) - 1;
    for (let i = pairSlot(hi, lo);; i++) {
      const at = (i & mask) << 1;
      if (slots[at] === hi && slots[at + 1] === lo) return true;
      if (slots[at] === 0 && slots[at + 1] === 0) return false;
    }
  }

  /** Forgets every value, keeping the memory. */
  clear(): void {
    this.#slots.fill(0);
    this.#size = 0;
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Uint32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] || old[i + 1]) insertPair(this.#slots, old[i], old[i + 1]);
    }
  }
}

function insertPair(slots: Uint32Array, hi: number, lo: number): boolean {
  const mask = (slots.length >> 1) - 1;
  for (let i = pairSlot(hi, lo);; i++) {
    const at = (i & mask) << 1;
    const h = slots[at];
    const l = slots[at + 1];
    if (h === hi && l === lo) return false;
    if (h === 0 && l === 0) {
      slots[at] = hi;
      slots[at + 1] = lo;
      return true;
    }
  }
}

function pairSlot(hi: number, lo: number): number {
  return Math.imul(hi ^ Math.imul(lo, 0x85ebca6b), 0x9e3779b1) >>> 0;
}
