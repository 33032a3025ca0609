import { assert, assertEquals } from "../_assert.ts";
import { CopyBuffer } from "../../src/store/copy_buffer.ts";
import { copyIn } from "../../src/store/copy_in.ts";
import { dbTest } from "./_db.ts";
import { TRICKY } from "./_tricky.ts";

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
