/**
 * Route identity in a batch: peer view, family, RD, Add-Path id and route key. A batch
 * de-dupes its rows by it (the current RIB takes only the last row of each route), and the
 * first-load path remembers it (src/store/first_load.ts).
 *
 * It is hashed from the row's fields, not from a string built per route: at hundreds of
 * thousands of routes per second, that string and its hashing in a `Map` were the largest
 * cost of filling a batch (issue 11). Equal hashes are told apart by comparing the fields.
 *
 * @module
 */

import type { RouteRow } from "./rows/route.ts";

/**
 * A 32-bit hash of the identity of route `r` (FNV-1a over its key and RD, with the numbers
 * mixed in). Never 0.
 *
 * @example
 * ```ts
 * import { routeHash } from "./route_index.ts";
 * const r = { peerId: 1, afi: 1, safi: 1, rd: "", pathId: 0, routeKey: "10.0.0.0/8" };
 * if (routeHash(r) === routeHash({ ...r, pathId: 1 })) throw new Error("unexpected");
 * ```
 */
export function routeHash(
  r: Pick<RouteRow, "peerId" | "afi" | "safi" | "rd" | "pathId" | "routeKey">,
): number {
  let h = 0x811c9dc5;
  const k = r.routeKey;
  for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
  const rd = r.rd;
  for (let i = 0; i < rd.length; i++) h = Math.imul(h ^ rd.charCodeAt(i), 0x01000193);
  // A separator: the RD and the key must not run into each other ("1:1" + "0/8" ≠ "1:10" + "/8").
  h = Math.imul(h ^ rd.length, 0x01000193);
  h = Math.imul(h ^ r.peerId, 0x01000193);
  h = Math.imul(h ^ ((r.afi << 8) | r.safi), 0x01000193);
  h = Math.imul(h ^ r.pathId, 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) || 1;
}

/**
 * Route identity → row number, for one batch: open addressing over an `Int32Array` (slot:
 * hash, row + 1), grown at half load and kept across batches. The fields of each row are
 * kept in plain arrays to compare identities whose hashes are equal.
 *
 * @example
 * ```ts
 * import { RouteIndex } from "./route_index.ts";
 * const ix = new RouteIndex();
 * const r = { peerId: 1, afi: 1, safi: 1, rd: "", pathId: 0, routeKey: "10.0.0.0/8" };
 * if (ix.find(r, 7) !== -1) throw new Error("unexpected");
 * ix.insert(r, 7, 0);
 * if (ix.find({ ...r }, 7) !== 0) throw new Error("unexpected");
 * ```
 */
export class RouteIndex {
  #slots = new Int32Array(1 << 12);
  #size = 0;
  #peer: number[] = [];
  #family: number[] = [];
  #pathId: number[] = [];
  #rd: string[] = [];
  #key: string[] = [];

  /** Identities in the index. */
  get size(): number {
    return this.#size;
  }

  /**
   * The row number of `r`'s identity, whose {@linkcode routeHash} is `h`; -1 when absent.
   */
  find(r: Pick<RouteRow, "peerId" | "afi" | "safi" | "rd" | "pathId" | "routeKey">, h: number) {
    const slots = this.#slots;
    const mask = (slots.length >> 1) - 1;
    for (let i = Math.imul(h, 0x9e3779b1) >>> 0;; i++) {
      const at = (i & mask) << 1;
      const row = slots[at + 1] - 1;
      if (row < 0) return -1;
      if (
        slots[at] === (h | 0) && this.#key[row] === r.routeKey && this.#peer[row] === r.peerId &&
        this.#family[row] === ((r.afi << 8) | r.safi) && this.#pathId[row] === r.pathId &&
        this.#rd[row] === r.rd
      ) return row;
    }
  }

  /** Adds `r`'s identity (hash `h`, not in the index) as row number `row`. */
  insert(
    r: Pick<RouteRow, "peerId" | "afi" | "safi" | "rd" | "pathId" | "routeKey">,
    h: number,
    row: number,
  ): void {
    if (4 * (this.#size + 1) > this.#slots.length) this.#grow();
    this.#peer[row] = r.peerId;
    this.#family[row] = (r.afi << 8) | r.safi;
    this.#pathId[row] = r.pathId;
    this.#rd[row] = r.rd;
    this.#key[row] = r.routeKey;
    put(this.#slots, h | 0, row);
    this.#size++;
  }

  /** Empties the index, keeping its table. */
  clear(): void {
    if (this.#size === 0) return;
    this.#slots.fill(0);
    this.#size = 0;
    this.#peer = [];
    this.#family = [];
    this.#pathId = [];
    this.#rd = [];
    this.#key = [];
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Int32Array(old.length * 2);
    for (let at = 0; at < old.length; at += 2) {
      if (old[at + 1]) put(this.#slots, old[at], old[at + 1] - 1);
    }
  }
}

function put(slots: Int32Array, h: number, row: number): void {
  const mask = (slots.length >> 1) - 1;
  for (let i = Math.imul(h, 0x9e3779b1) >>> 0;; i++) {
    const at = (i & mask) << 1;
    if (slots[at + 1] === 0) {
      slots[at] = h;
      slots[at + 1] = row + 1;
      return;
    }
  }
}
