import { assertEquals } from "../_assert.ts";
import { CopyBuffer } from "../../src/store/copy_buffer.ts";
import { textArrayLiteral } from "../../src/store/pg_text.ts";
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

Deno.test("CopyBuffer.int() writes what String() does, on and off its digit fast path", () => {
  const values = [0, -0, 1, 9, 10, 99, 100, 65535, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, -1];
  for (const v of [...values, -(2 ** 31), 1.5, 1e21, 2 ** 53, 123456789n, -5n]) {
    const b = new CopyBuffer(1);
    b.int(v).int(v).end();
    assertEquals(dec.decode(b.bytes()), `${String(v)}\t${String(v)}\n`, String(v));
  }
});

Deno.test("CopyBuffer.textArray() writes plain elements as the literal of pg_text.ts would", () => {
  const arrays = [
    [],
    ["65001:999", "NO_EXPORT"],
    ["a", "b c"],
    ["null"],
    ["NuLl", "x"],
    [""],
    ["é", "\u00a0"],
    ["\ufeff"],
    ["a\\b"],
    ["tab\there"],
    ['q"'],
  ];
  for (const a of arrays) {
    const fast = new CopyBuffer(1);
    fast.textArray(a).end();
    const slow = new CopyBuffer(1);
    slow.text(textArrayLiteral(a)).end();
    assertEquals([...fast.bytes()], [...slow.bytes()], JSON.stringify(a));
  }
});
