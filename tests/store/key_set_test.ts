import { assertEquals } from "../_assert.ts";
import { PairSet } from "../../src/store/key_set.ts";

Deno.test("PairSet holds 64-bit values exactly: halves alike in one part stay apart", () => {
  const s = new PairSet();
  const seen = new Set<string>();
  let x = 0x12345678;
  for (let i = 0; i < 50_000; i++) {
    x = Math.imul(x ^ (x >>> 13), 0x5bd1e995) >>> 0;
    // Many values share a high or a low half.
    const hi = i % 3 === 0 ? 7 : x;
    const lo = i % 5 === 0 ? 0 : (x ^ i) >>> 0;
    const key = `${hi}:${lo}`;
    assertEquals(s.add(hi, lo), !seen.has(key), key);
    seen.add(key);
  }
  assertEquals(s.size, seen.size);
  for (const key of seen) {
    const [hi, lo] = key.split(":").map(Number);
    assertEquals(s.has(hi, lo), true, key);
    assertEquals(s.has(hi ^ 0x80000000, lo), seen.has(`${(hi ^ 0x80000000) >>> 0}:${lo}`));
  }
  s.clear();
  assertEquals(s.size, 0);
  assertEquals(s.has(7, 0), false);
});
