/**
 * Test assertions (JSR's @std/assert is not reachable from our machines, so these wrap
 * `node:assert/strict` with @std/assert's names).
 *
 * @module
 */

import assertStrict from "node:assert/strict";

/** Asserts deep, strict equality. */
export function assertEquals<T>(actual: unknown, expected: T, msg?: string): asserts actual is T {
  assertStrict.deepStrictEqual(actual, expected, msg);
}

/** Asserts that `value` is truthy. */
export function assert(value: unknown, msg?: string): asserts value {
  assertStrict.ok(value, msg);
}

/** Asserts that `fn` throws an instance of `type`; returns the error. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => E,
  includes?: string,
): E {
  try {
    fn();
  } catch (e) {
    assertStrict.ok(e instanceof type, `expected ${type.name}, got ${e}`);
    if (includes) {
      assertStrict.ok(
        (e as Error).message.includes(includes),
        `"${(e as Error).message}" lacks "${includes}"`,
      );
    }
    return e as E;
  }
  throw new assertStrict.AssertionError({ message: `expected ${type.name} to be thrown` });
}

/** Asserts two byte arrays are equal, naming the first differing offset (no huge diff). */
export function assertBytes(actual: Uint8Array, expected: Uint8Array, msg = ""): void {
  if (actual.length !== expected.length) {
    throw new assertStrict.AssertionError({
      message: `${msg}: length ${actual.length} !== ${expected.length}`,
    });
  }
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      throw new assertStrict.AssertionError({
        message: `${msg}: byte ${i} differs (${actual[i]} !== ${expected[i]})`,
      });
    }
  }
}
