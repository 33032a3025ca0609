import { assertEquals } from "../_assert.ts";
import { CopyBuffer } from "../../src/store/copy_buffer.ts";
import { TRICKY } from "./_tricky.ts";

const dec = new TextDecoder();

Deno.test("CopyBuffer escapes backslash, tab, newline and carriage return", () => {
  const b = new CopyBuffer(4);
  b.text("a\\b\tc\nd\re").end();
  assertEquals(dec.decode(b.bytes()), "a\\\\b\\tc\\nd\\re\n");
});

Deno.test("CopyBuffer writes NULL as \\N and NUL characters as U+FFFD", () => {
  const b = new CopyBuffer(4);
  b.text(null).text(undefined).text("a\0b").int(null).end();
  assertEquals(dec.decode(b.bytes()), "\\N\t\\N\ta\ufffdb\t\\N\n");
});

Deno.test("CopyBuffer encodes UTF-8 like TextEncoder, lone surrogates as U+FFFD", () => {
  for (const s of [...TRICKY, "lone \ud800 high", "lone \udc00 low", "\ud83d"]) {
    const b = new CopyBuffer(1);
    b.text(s);
    const want = new TextEncoder().encode(
      s.replaceAll("\\", "\\\\").replaceAll("\t", "\\t").replaceAll("\n", "\\n")
        .replaceAll("\r", "\\r"),
    );
    assertEquals([...b.bytes()], [...want], JSON.stringify(s));
  }
});

Deno.test("CopyBuffer grows its one buffer and reuses it after reset()", () => {
  const b = new CopyBuffer(8);
  for (let i = 0; i < 1000; i++) b.int(i).text("x".repeat(i % 50)).end();
  assertEquals(b.rows, 1000);
  const cap = b.capacity;
  b.reset();
  assertEquals(b.length, 0);
  b.int(1).end();
  assertEquals(b.capacity, cap);
});

Deno.test("CopyBuffer writes bytea as \\\\x hex and arrays as literals", () => {
  const b = new CopyBuffer(4);
  b.bytea(new Uint8Array([0, 0xab, 0xff])).intArray([1, 2]).textArray(["a b", "c"]).end();
  assertEquals(dec.decode(b.bytes()), '\\\\x00abff\t{1,2}\t{"a b",c}\n');
});
