import { assertEquals } from "../_assert.ts";
import { arrayElement, jsonWithoutNul, textArrayLiteral } from "../../src/store/pg_text.ts";

Deno.test("arrayElement() quotes empty, NULL, special and white-space elements", () => {
  assertEquals(arrayElement(""), '""');
  assertEquals(arrayElement("NULL"), '"NULL"');
  assertEquals(arrayElement("a,b"), '"a,b"');
  assertEquals(arrayElement('a\\"b'), '"a\\\\\\"b"');
  assertEquals(arrayElement("65000:1"), "65000:1");
  assertEquals(textArrayLiteral([]), "{}");
});

Deno.test("jsonWithoutNul() replaces only real \\u0000 escapes", () => {
  assertEquals(jsonWithoutNul(JSON.stringify({ a: "x\0" })), '{"a":"x\\ufffd"}');
  assertEquals(jsonWithoutNul(JSON.stringify("\\u0000")), JSON.stringify("\\u0000"));
  assertEquals(JSON.parse(jsonWithoutNul(JSON.stringify("\\\0"))), "\\\ufffd");
});
