/**
 * The 64-bit content hash that keys attribute sets (`path_attrs.id`, a `bigint`).
 *
 * @module
 */

/** Incremental 64-bit hash: two 32-bit multiplicative hashes fed numbers and strings. */
export class Hash64 {
  h1 = 0x811c9dc5 | 0;
  h2 = 0x27d4eb2f | 0;
  /** After {@linkcode Hash64.digest}: its high and low 32 bits, unsigned. */
  hi = 0;
  lo = 0;

  num(v: number): void {
    const lo = v >>> 0;
    const hi = (v / 4294967296) >>> 0;
    this.h1 = Math.imul(this.h1 ^ lo, 0x01000193);
    this.h2 = Math.imul(this.h2 ^ lo, 0x5bd1e995);
    this.h2 ^= this.h2 >>> 15;
    this.h1 = Math.imul(this.h1 ^ hi, 0x01000193);
    this.h2 = Math.imul(this.h2 ^ hi, 0x5bd1e995);
    this.h2 ^= this.h2 >>> 15;
  }

  /** Marks an absent value or the end of a list, so that [1],[2] differs from [1,2],[]. */
  mark(tag: number): void {
    this.num(0x9e3779b9 + tag);
  }

  str(s: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    this.h1 = h1;
    this.h2 = h2;
    this.mark(1);
  }

  digest(): string {
    let h1 = this.h1 ^ (this.h1 >>> 16);
    h1 = Math.imul(h1, 0x85ebca6b);
    h1 ^= h1 >>> 13;
    let h2 = Math.imul(this.h2 ^ (this.h2 >>> 16), 0xc2b2ae35);
    h2 ^= h2 >>> 16;
    this.hi = h1 >>> 0;
    this.lo = h2 >>> 0;
    return BigInt.asIntN(64, (BigInt(h1 >>> 0) << 32n) | BigInt(h2 >>> 0)).toString();
  }
}

/**
 * A 64-bit hash of a string, as signed decimal text for a `bigint` column.
 *
 * @example
 * ```ts
 * import { hash64 } from "./hash64.ts";
 * if (hash64("a") === hash64("b") || hash64("a") !== hash64("a")) throw new Error("unexpected");
 * ```
 */
export function hash64(s: string): string {
  const h = new Hash64();
  h.str(s);
  return h.digest();
}
