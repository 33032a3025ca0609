import { assert, assertEquals } from "../_assert.ts";
import {
  arrayElement,
  CopyBuffer,
  copyIn,
  jsonWithoutNul,
  textArrayLiteral,
} from "../../src/store/copy.ts";
import { dbTest } from "./_db.ts";

const control = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join("");

/** Strings that must survive COPY text encoding byte for byte. */
const TRICKY = [
  "",
  "plain",
  'it\'s "quoted"',
  "back\\slash \\\\ double \\N \\. \\x41",
  "tab\there",
  "new\nline",
  "carriage\rreturn\r\n",
  control,
  "\x7f delete",
  "NULL",
  "null",
  "{braces},comma",
  " leading and trailing ",
  "'; DROP TABLE route_history; --",
  "$$ dollar $tag$ E'\\n'",
  "ünïcödé Ελληνικά 日本語 עברית",
  "astral 😀🇩🇪 e\u0301",
  "\ufffd already a replacement",
];

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

dbTest("copyIn() round-trips tricky strings, arrays, bytea and JSON byte for byte", async (sql) => {
  await sql`CREATE TABLE t (id int, s text, a text[], b bytea, j jsonb)`;
  const b = new CopyBuffer(16);
  const bytes = new Uint8Array(256).map((_, i) => i);
  TRICKY.forEach((s, i) => {
    b.int(i).text(s).textArray([s, s + ",", "x"]).bytea(bytes.subarray(i)).json({ s, n: i })
      .end();
  });
  await copyIn(sql, "t (id, s, a, b, j)", b);
  const rows = await sql`SELECT id, s, a, b, j, octet_length(s) AS n FROM t ORDER BY id`;
  assertEquals(rows.length, TRICKY.length);
  for (const r of rows) {
    const s = TRICKY[r.id];
    assertEquals(r.s, s);
    assertEquals(r.n, new TextEncoder().encode(s).length);
    assertEquals(r.a, [s, s + ",", "x"]);
    assertEquals([...r.b], [...bytes.subarray(r.id)]);
    assertEquals(r.j, { s, n: r.id });
  }
});

dbTest("copyIn() stores a NUL character as U+FFFD in text, arrays and JSON", async (sql) => {
  await sql`CREATE TABLE t (s text, a text[], j jsonb)`;
  const b = new CopyBuffer(16);
  b.text("a\0b").textArray(["\0"]).json({ k: "\0x" }).end();
  await copyIn(sql, "t (s, a, j)", b);
  const [r] = await sql`SELECT s, a, j FROM t`;
  assertEquals(r.s, "a\ufffdb");
  assertEquals(r.a, ["\ufffd"]);
  assertEquals(r.j, { k: "\ufffdx" });
});

dbTest("copyIn() rejects, and does not hang, when the server refuses a row", async (sql) => {
  await sql`CREATE TABLE t (n int)`;
  const b = new CopyBuffer(16);
  b.int(1).end().raw("not a number").end();
  const e = await sql.begin((tx) => copyIn(tx, "t (n)", b)).catch((e) => e);
  assert(e instanceof Error && e.message.startsWith("Cannot COPY into t (n)"), String(e));
  assertEquals((await sql`SELECT count(*)::int AS n FROM t`)[0].n, 0);
  // The connection is usable afterwards.
  b.reset();
  b.int(2).end();
  await sql.begin((tx) => copyIn(tx, "t (n)", b));
  assertEquals((await sql`SELECT n FROM t`).map((r) => r.n), [2]);
});
