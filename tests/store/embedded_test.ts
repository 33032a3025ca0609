/**
 * The embedded store (src/store/embedded/): PGlite in a worker behind a PostgreSQL
 * wire-protocol server. The migrations apply, the StoreWriter stores a real capture
 * through postgres.js exactly as into PostgreSQL, rows outlive a close and reopen, one
 * process holds a directory at a time, and clients sharing the one PGlite session stay
 * apart: transactions do not interleave, a disconnect rolls back, prepared statement
 * names do not clash, COPY FROM STDIN works and a COPY the server cannot see coming fails
 * without taking PGlite down. No DATABASE_URL needed.
 */

import postgres from "postgres";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { readCapture } from "../../src/io/file.ts";
import { CopyBuffer } from "../../src/store/copy_buffer.ts";
import { copyIn } from "../../src/store/copy_in.ts";
import { openEmbedded } from "../../src/store/embedded/mod.ts";
import {
  concat,
  copyFromStdin,
  message,
  messageLength,
  PROTOCOL_3,
  query,
  readyStatus,
  renameObjects,
  withoutFirst,
} from "../../src/store/embedded/wire.ts";
import { migrate } from "../../src/store/migrate.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { expectedContent } from "../e2e/_content.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const cstr = (s: string) => enc.encode(s + "\0");

/** The backend messages of `out` as [type, body text] pairs. */
function messages(out: Uint8Array): [string, string][] {
  const r: [string, string][] = [];
  for (let off = 0; off < out.length;) {
    const len = messageLength(out, off, true);
    assert(len > 0, "whole messages");
    r.push([String.fromCharCode(out[off]), dec.decode(out.subarray(off + 5, off + len))]);
    off += len;
  }
  return r;
}

Deno.test("wire: names get the client's prefix, COPY FROM STDIN is recognised", () => {
  const parse = message("P", concat([cstr("s1"), cstr("SELECT $1"), new Uint8Array([0, 0])]));
  const p = renameObjects(parse, "c7_");
  assertEquals(p.parsed, "c7_s1");
  assertEquals(
    messages(p.message),
    [["P", "c7_s1\0SELECT $1\0\0\0"]],
  );
  const bind = message("B", concat([cstr(""), cstr("s1"), new Uint8Array([0, 0, 0, 0, 0, 0])]));
  assertEquals(messages(renameObjects(bind, "c7_").message), [["B", "\0c7_s1\0\0\0\0\0\0\0"]]);
  const closeS = message("C", concat([enc.encode("S"), cstr("s1")]));
  assertEquals(renameObjects(closeS, "c7_").closed, "c7_s1");
  const closeP = message("C", concat([enc.encode("P"), cstr("p1")]));
  assertEquals(renameObjects(closeP, "c7_").closed, undefined);
  assertEquals(messages(renameObjects(closeP, "c7_").message), [["C", "Pc7_p1\0"]]);
  const exec = message("E", concat([cstr(""), new Uint8Array([0, 0, 0, 0])]));
  assertEquals(renameObjects(exec, "c7_").message, exec);
  const q = query("SELECT 1");
  assertEquals(renameObjects(q, "c7_").message, q);

  assertEquals(copyFromStdin("COPY t (a, b) FROM STDIN"), { binary: false });
  assertEquals(copyFromStdin("  -- load\n copy t from stdin with (format binary)"), {
    binary: true,
  });
  assertEquals(copyFromStdin("COPY t TO STDOUT"), undefined);
  assertEquals(copyFromStdin("SELECT 1; COPY t FROM STDIN"), undefined);
  assertEquals(copyFromStdin('COPY public."Route table" ("a", b) FROM stdin'), { binary: false });
  assertEquals(copyFromStdin("COPY (SELECT 'from stdin') TO STDOUT"), undefined);

  const z = (s: string) => message("Z", enc.encode(s));
  const out = concat([
    message("G", new Uint8Array([0, 0, 0])),
    message("C", cstr("COPY 2")),
    z("T"),
  ]);
  assertEquals(readyStatus(out), "T");
  assertEquals(readyStatus(message("1")), undefined);
  assertEquals(messages(withoutFirst(out, "G")), [["C", "COPY 2\0"], ["Z", "T"]]);
  assertEquals(messageLength(out.subarray(0, 6), 0, true), 0);
});

/** A bare protocol client on the store's unix socket: startup, then raw messages. */
async function rawClient(path: string) {
  const conn = await Deno.connect({ transport: "unix", path });
  let buf: Uint8Array = new Uint8Array(0);
  const chunk = new Uint8Array(65536);
  /** Messages up to and including the next ReadyForQuery (or the connection's end). */
  const untilReady = async () => {
    const got: [string, string][] = [];
    for (;;) {
      let len;
      while ((len = messageLength(buf, 0, true)) > 0) {
        const m = messages(buf.subarray(0, len))[0];
        buf = buf.slice(len);
        got.push(m);
        if (m[0] === "Z") return got;
      }
      const n = await conn.read(chunk);
      if (n === null) return got;
      buf = concat([buf, chunk.slice(0, n)]);
    }
  };
  const body = concat([
    new Uint8Array([0, 0, 0, 0]),
    cstr("user"),
    cstr("postgres"),
    cstr("database"),
    cstr("postgres"),
    new Uint8Array([0]),
  ]);
  const startup = concat([new Uint8Array(4), body]);
  new DataView(startup.buffer).setInt32(0, startup.length);
  new DataView(startup.buffer).setInt32(4, PROTOCOL_3);
  await conn.write(startup);
  const hello = await untilReady();
  assertEquals(hello[0], ["R", "\0\0\0\0"], "AuthenticationOk");
  return {
    async run(...ms: Uint8Array[]) {
      await conn.write(concat(ms));
      return await untilReady();
    },
    untilReady,
    close: () => conn.close(),
  };
}

const parse = (name: string, sql: string) =>
  message("P", concat([cstr(name), cstr(sql), new Uint8Array([0, 0])]));
const bind = (name: string) =>
  message("B", concat([cstr(""), cstr(name), new Uint8Array([0, 0, 0, 0, 0, 0])]));
const execute = message("E", concat([cstr(""), new Uint8Array(4)]));
const sync = message("S");

Deno.test({
  name: "embedded store: sessions of several clients stay apart, COPY works",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "bmpmon-embedded-" });
    const store = await openEmbedded({ dataDir: dir, idleInTransactionMs: 500 });
    const sql = postgres({ ...store.connection, max: 4, onnotice: () => {} });
    try {
      await sql`CREATE TABLE t (a int, b text)`;
      const count = async () => (await sql`SELECT count(*)::int AS n FROM t`)[0].n as number;

      await t.step("a transaction never sees another client's statements", async () => {
        const a = await sql.reserve();
        try {
          await a.unsafe("BEGIN");
          await a`INSERT INTO t VALUES (1, 'first')`;
          // Sent while A's transaction is open: runs once it has committed.
          const other = count();
          await a`INSERT INTO t VALUES (2, 'second')`;
          assertEquals((await a`SELECT count(*)::int AS n FROM t`)[0].n, 2);
          await a.unsafe("COMMIT");
          assertEquals(await other, 2);
        } finally {
          a.release();
        }
      });

      await t.step("a client that goes away in a transaction is rolled back", async () => {
        const c = await rawClient(store.socketPath);
        const begun = await c.run(query("BEGIN; INSERT INTO t VALUES (3, 'lost')"));
        assertEquals(begun.at(-1), ["Z", "T"]);
        c.close();
        assertEquals(await count(), 2);
      });

      await t.step("two clients prepare statements of the same name", async () => {
        const x = await rawClient(store.socketPath);
        const y = await rawClient(store.socketPath);
        try {
          assertEquals((await x.run(parse("s", "SELECT 'x'::text"), sync)).at(-1), ["Z", "I"]);
          assertEquals((await y.run(parse("s", "SELECT 'y'::text"), sync)).at(-1), ["Z", "I"]);
          const rows = async (c: typeof x) =>
            (await c.run(bind("s"), execute, sync)).filter(([type]) => type === "D")
              .map(([, body]) => body.slice(-1));
          assertEquals(await rows(x), ["x"]);
          assertEquals(await rows(y), ["y"]);
        } finally {
          x.close();
          y.close();
        }
      });

      await t.step(
        "COPY FROM STDIN: rows land, a bad row is refused, the session goes on",
        async () => {
          const conn = await sql.reserve();
          try {
            const rows = new CopyBuffer(1024);
            for (let i = 10; i < 1010; i++) rows.int(i).text(`tab\there ${i}`).end();
            await conn.unsafe("BEGIN");
            await copyIn(conn, "t (a, b)", rows);
            await conn.unsafe("COMMIT");
            assertEquals(await count(), 1002);
            assertEquals((await sql`SELECT b FROM t WHERE a = 1009`)[0].b, "tab\there 1009");
            const bad = new CopyBuffer(64);
            bad.text("not a number").text("x").end();
            let refused = false;
            await copyIn(conn, "t (a, b)", bad).catch(() => refused = true);
            assert(refused, "a row the table cannot take is refused");
            assertEquals((await conn`SELECT count(*)::int AS n FROM t`)[0].n, 1002);
          } finally {
            conn.release();
          }
        },
      );

      await t.step(
        "a COPY the server did not see coming fails instead of killing PGlite",
        async () => {
          const c = await rawClient(store.socketPath);
          try {
            const out = await c.run(query("SELECT 1; COPY t FROM STDIN"));
            assert(out.some(([type]) => type === "E"), JSON.stringify(out));
            assert(!out.some(([type]) => type === "G"), "no CopyInResponse reaches the client");
            assertEquals(out.at(-1), ["Z", "I"]);
          } finally {
            c.close();
          }
          assertEquals(await count(), 1002);
        },
      );

      await t.step("a client idle in a transaction is cut off; the others go on", async () => {
        const c = await rawClient(store.socketPath);
        assertEquals((await c.run(query("BEGIN")))[1], ["Z", "T"]);
        assertEquals(await count(), 1002);
        const rest = await c.untilReady();
        assertEquals(rest[0][0], "E");
        assert(rest[0][1].includes("25P03"), rest[0][1]);
        c.close();
      });
    } finally {
      await sql.end();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "embedded store: migrations and a capture through StoreWriter, kept across a reopen",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const path = fixture("gobgp-frr-lab/gobgp-3.10-all-1k.bmp");
    const want = await expectedContent(path);
    const dir = await Deno.makeTempDir({ prefix: "bmpmon-embedded-" });
    try {
      let store = await openEmbedded({ dataDir: dir });
      let sql = postgres({ ...store.connection, max: 6, onnotice: () => {} });
      try {
        const first = await migrate(sql);
        assertEquals(first.timescaledb, false);
        assert(first.applied.includes("0001_core.sql") && first.applied.includes("0002_views.sql"));
        assert(first.skipped.includes("0003_timescaledb.sql"));
        let refused = "";
        await openEmbedded({ dataDir: dir }).then((s) => s.close(), (e) => refused = e.message);
        assert(refused.includes("in use by another process"), refused);

        const writer = await StoreWriter.open(sql, { batchRows: 500 });
        const capture = await readCapture(path);
        for (const [i, flow] of capture.flows.entries()) {
          const routerId = await writer.router(`router-${i}`, "127.0.0.1");
          for (const { message: m } of readBmpStream(flow.data)) {
            if (m) await writer.write(routerId, m);
          }
        }
        await writer.close();
        assertEquals((await sql`SELECT count(*)::int AS n FROM route_history`)[0].n, want.history);
        assertEquals((await sql`SELECT count(*)::int AS n FROM rib`)[0].n, want.routes);
      } finally {
        await sql.end();
        await store.close();
      }

      store = await openEmbedded({ dataDir: dir });
      sql = postgres({ ...store.connection, max: 2, onnotice: () => {} });
      try {
        assertEquals((await migrate(sql)).applied, []);
        assertEquals((await sql`SELECT count(*)::int AS n FROM route_history`)[0].n, want.history);
        assertEquals((await sql`SELECT count(*)::int AS n FROM rib`)[0].n, want.routes);
        assertEquals(
          (await sql`SELECT count(*)::int AS n FROM stats_reports`)[0].n,
          want.stats,
        );
      } finally {
        await sql.end();
        await store.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
