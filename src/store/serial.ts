/**
 * Keyed promise chains: work under one key runs one after the other, in the order it was
 * asked for, while work under other keys goes on beside it.
 *
 * @module
 */

/**
 * Keeps `p` under `key` in `map` until it settles (unless replaced meanwhile).
 *
 * @example
 * ```ts
 * import { keepWhilePending } from "./serial.ts";
 * const map = new Map<string, Promise<void>>();
 * const p = Promise.resolve();
 * keepWhilePending(map, "a", p);
 * if (map.get("a") !== p) throw new Error();
 * await p;
 * await Promise.resolve();
 * if (map.has("a")) throw new Error();
 * ```
 */
export function keepWhilePending<K, P extends Promise<unknown>>(
  map: Map<K, P>,
  key: K,
  p: P,
): void {
  map.set(key, p);
  const clear = () => {
    if (map.get(key) === p) map.delete(key);
  };
  p.then(clear, clear);
}

/**
 * Runs functions one after the other per key. A failure is its caller's: the next one
 * of the key runs all the same.
 *
 * @example
 * ```ts
 * import { Serial } from "./serial.ts";
 * const order: number[] = [];
 * const serial = new Serial<string>();
 * const slow = serial.run("peer", () => new Promise((r) => setTimeout(() => r(order.push(1)), 5)));
 * const fast = serial.run("peer", () => Promise.resolve(order.push(2)));
 * await Promise.all([slow, fast]);
 * if (order.join() !== "1,2") throw new Error();
 * ```
 */
export class Serial<K> {
  /** The last function of each key, settled (never rejects). */
  readonly #tails = new Map<K, Promise<void>>();

  /**
   * Runs `fn` once everything asked for under `key` before has settled.
   *
   * @returns what `fn` returns
   */
  run<T>(key: K, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key);
    const p = prev ? prev.then(fn) : fn();
    keepWhilePending(this.#tails, key, p.then(() => {}, () => {}));
    return p;
  }
}

/**
 * What is still running per key, to wait for all of it (a router's end waits for its
 * peers' events).
 *
 * @example
 * ```ts
 * import { Settling } from "./serial.ts";
 * const s = new Settling<number>();
 * let done = false;
 * s.add(1, new Promise((r) => setTimeout(() => r(done = true), 5)));
 * await s.settled(1);
 * if (!done || s.settled(2) !== undefined) throw new Error();
 * ```
 */
export class Settling<K> {
  readonly #all = new Map<K, Promise<void>>();

  /** Adds `p` under `key`; its failure is its caller's. */
  add(key: K, p: Promise<unknown>): void {
    const settled = p.then(() => {}, () => {});
    const before = this.#all.get(key);
    keepWhilePending(
      this.#all,
      key,
      before ? Promise.all([before, settled]).then(() => {}) : settled,
    );
  }

  /** Resolves when all added under `key` so far has settled; undefined: nothing runs. */
  settled(key: K): Promise<void> | undefined {
    return this.#all.get(key);
  }
}
