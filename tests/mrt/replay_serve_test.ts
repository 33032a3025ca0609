/**
 * The BMP session `bmpmon replay FILE.mrt` sends (`mrtToBmp()`), sent into a running
 * `bmpmon serve` over a connection kept open until the check is done (a router that
 * disconnects takes its routes with it): the collector's current RIB
 * (the `rib` rows not withdrawn) is the RIB the bgpdump -m lines of the archive imply,
 * route for route (peer, prefix, path ID) with the same AS path. The lines are bgpdump's
 * golden output for its test files, and `/usr/bin/bgpdump -m` for a bundled sample.
 *
 * Implied RIB: a `B` or `A` line sets the route, a `W` line removes it, and a STATE line
 * leaving Established (6) removes the peer's routes.
 *
 * @module
 */

import { replay } from "../../src/cli/replay.ts";
import { decompress } from "../../src/io/file.ts";
import { mrtToBmp } from "../../src/mrt/to_bmp.ts";
import { assertEquals } from "../_assert.ts";
import { fixture, HAS_SHARED, shared } from "../_data.ts";
import { dbTest, serve, until } from "../e2e/_serve.ts";
import { bgpdumpM, HAS_BGPDUMP, textLines } from "./_bgpdump.ts";

/** An address in one spelling: IPv6 as 8 full groups (bgpdump and PostgreSQL differ). */
function canon(addr: string): string {
  if (!addr.includes(":")) return addr;
  let a = addr;
  if (a.includes(".")) {
    const i = a.lastIndexOf(":");
    const o = a.slice(i + 1).split(".").map(Number);
    a = `${a.slice(0, i)}:${((o[0] << 8) | o[1]).toString(16)}:${
      ((o[2] << 8) | o[3]).toString(16)
    }`;
  }
  const [h, t] = a.split("::");
  const head = h ? h.split(":") : [];
  const tail = t === undefined ? [] : t ? t.split(":") : [];
  const groups = t === undefined
    ? head
    : [...head, ...Array(8 - head.length - tail.length).fill("0"), ...tail];
  return groups.map((g) => parseInt(g, 16).toString(16)).join(":");
}

const canonPrefix = (p: string) => {
  const [a, l] = p.split("/");
  return `${canon(a)}/${l}`;
};

/** `peer|prefix|path id` → AS path, from bgpdump -m lines. */
function impliedRib(lines: string[]): Map<string, string> {
  const rib = new Map<string, string>();
  for (const l of lines) {
    const f = l.split("|");
    const peer = canon(f[3]);
    if (f[2] === "STATE") {
      if (f[5] === "6" && f[6] !== "6") {
        for (const k of [...rib.keys()]) if (k.startsWith(`${peer}|`)) rib.delete(k);
      }
      continue;
    }
    const ap = f[0].endsWith("_AP") ? 1 : 0;
    const key = `${peer}|${canonPrefix(f[5])}|${ap ? f[6] : 0}`;
    if (f[2] === "W") rib.delete(key);
    else rib.set(key, f[6 + ap]);
  }
  return rib;
}

async function check(path: string, lines: string[]) {
  const want = impliedRib(lines);
  const { stream } = mrtToBmp([await decompress(await Deno.readFile(path), path)]);
  const s = await serve();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  try {
    for (let off = 0; off < stream.length;) off += await conn.write(stream.subarray(off));
    const current = async () =>
      await s.sql`SELECT host(p.address) AS peer, r.prefix::text AS prefix, r.path_id,
                         a.as_path_text
                  FROM rib r JOIN peers p ON p.id = r.peer_id
                  LEFT JOIN path_attrs a ON a.id = r.attr_id
                  WHERE NOT r.withdrawn`;
    let rows: Awaited<ReturnType<typeof current>> = [] as never;
    // Settled: the expected size reached and the same count twice in a row.
    let last = -1;
    await until(
      async () => {
        rows = await current();
        const done = rows.length >= want.size && rows.length === last;
        last = rows.length;
        return done;
      },
      60_000,
      `${want.size} current routes`,
    );
    const got = new Map<string, string>();
    for (const r of rows) {
      got.set(`${canon(r.peer)}|${canonPrefix(r.prefix)}|${r.path_id}`, r.as_path_text ?? "");
    }
    const missing = [...want.keys()].filter((k) => !got.has(k));
    const extra = [...got.keys()].filter((k) => !want.has(k));
    const otherPath = [...want].filter(([k, v]) => got.has(k) && got.get(k) !== v);
    assertEquals(
      { missing: missing.slice(0, 5), extra: extra.slice(0, 5), otherPath: otherPath.slice(0, 5) },
      { missing: [], extra: [], otherPath: [] },
    );
    assertEquals(got.size, want.size);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nserve log:\n${s.log.slice(-15).join("\n")}`, {
      cause: e,
    });
  } finally {
    conn.close();
    await s.stop();
  }
}

dbTest(
  "replay of an MRT RIB (Quagga TABLE_DUMP_V2, bundled) leaves serve with the RIB bgpdump implies",
  async () => {
    const path = fixture("mrt/mrtparse/quagga_rib");
    await check(path, await bgpdumpM(path));
  },
  { ignore: HAS_BGPDUMP ? undefined : "/usr/bin/bgpdump absent" },
);

for (
  const name of [
    "updates.20160811.1600.gz",
    "bview.64k_stream_overflow.gz",
    "bview.20020722.2337.gz",
  ]
) {
  dbTest(
    `replay of ${name} leaves serve with the RIB bgpdump's golden output implies`,
    async () => {
      const golden = await textLines(shared(`mrt/bgpdump/test_expect/${name}.bgp.gz`));
      await check(shared(`mrt/bgpdump/test_data/${name}`), golden);
    },
    { ignore: HAS_SHARED ? undefined : "../shared/data not present" },
  );
}

Deno.test("replay() sends MRT files as the one BMP session mrtToBmp() makes of them", async () => {
  const files = ["quagga_rib", "quagga_bgp"].map((n) => fixture(`mrt/mrtparse/${n}`));
  const want = mrtToBmp(await Promise.all(files.map((f) => Deno.readFile(f)))).stream;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const received = (async () => {
    const conn = await listener.accept();
    const chunks: Uint8Array[] = [];
    for await (const c of conn.readable) chunks.push(c);
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  })();
  const { port } = listener.addr as Deno.NetAddr;
  const r = await replay(files, { hostname: "127.0.0.1", port, rate: 0, connections: 1 });
  const got = await received;
  listener.close();
  assertEquals(r.connections, 1);
  assertEquals(got.length, want.length);
  assertEquals(got, want);
});
