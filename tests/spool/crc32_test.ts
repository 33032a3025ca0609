import { assertEquals } from "../_assert.ts";
import { crc32 } from "../../src/spool/crc32.ts";

/** CRC-32 one bit at a time, straight from the polynomial (no tables). */
function bitwise(b: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) {
    c ^= b[i];
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

Deno.test("crc32() matches the check value and a bitwise CRC at every length and offset", () => {
  assertEquals(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assertEquals(crc32(new Uint8Array(0)), 0);
  const data = new Uint8Array(300);
  for (let i = 0; i < data.length; i++) data[i] = (i * 151 + 17) & 0xff;
  for (let start = 0; start < 20; start++) {
    for (let end = start; end <= data.length; end += 1 + (end % 7)) {
      assertEquals(crc32(data, start, end), bitwise(data, start, end), `${start}..${end}`);
    }
  }
});
