/**
 * The first-load path: peer views whose current RIB was empty when this writer first saw
 * them, with the identities of the routes written since. A route not in its view's set
 * is new to the RIB, and its batch inserts it without the upsert's conflict arbitration
 * (src/store/batch_sql.ts). A view leaves the path when a guess proves wrong, when it
 * goes down, or when the sets grow too large; its routes then take the upsert.
 *
 * @module
 */

import { KeySet } from "./key_set.ts";

/** Route identities tracked for the first-load path, at most (8–16 bytes each). */
const KEYS_MAX = 8_000_000;

/**
 * The peer views on the first-load path.
 *
 * @example
 * ```ts
 * import { FirstLoad } from "./first_load.ts";
 * const load = new FirstLoad();
 * load.begin(7);
 * if (!load.isNew(7, 0x1234) || load.isNew(7, 0x1234)) throw new Error();
 * load.end([7]);
 * if (load.isNew(7, 0x5678)) throw new Error();
 * ```
 */
export class FirstLoad {
  readonly #views = new Map<number, KeySet>();
  /** Identities held over all views. */
  #keys = 0;

  /** Whether view `peerId` is on the path. */
  has(peerId: number): boolean {
    return this.#views.has(peerId);
  }

  /** Puts view `peerId`, whose current RIB is empty, on the path. */
  begin(peerId: number): void {
    if (!this.#views.has(peerId)) this.#views.set(peerId, new KeySet());
  }

  /**
   * Whether the route of view `peerId` whose identity hashes to `h` (`routeHash()` of
   * src/store/route_index.ts) is new to the RIB (false: not known), and remembers it. A
   * route sharing its hash with one written before is taken as known (the upsert is right
   * for it too): at 8 million routes, about 0.1 % of them.
   */
  isNew(peerId: number, h: number): boolean {
    const set = this.#views.get(peerId);
    if (!set) return false;
    const before = set.size;
    if (!set.add(h)) return false;
    this.#keys += set.size - before;
    if (this.#keys > KEYS_MAX) this.end([peerId]);
    return true;
  }

  /** The views' routes go through the upsert from now on. */
  end(peerIds: Iterable<number>): void {
    for (const id of peerIds) {
      const set = this.#views.get(id);
      if (!set) continue;
      this.#keys -= set.size;
      this.#views.delete(id);
    }
  }
}
