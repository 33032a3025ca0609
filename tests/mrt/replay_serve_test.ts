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
import { impliedRib, ribDiff, storedRib } from "./_rib.ts";
import { importInto } from "../cli/_import.ts";
import { withDatabase } from "../store/_db.ts";
import { concat } from "../_bytes.ts";

/** Replays `path` into a new `serve`; returns its RIB, checked against `lines`. */
async function check(path: string, lines: string[]): Promise<Map<string, string>> {
  const want = impliedRib(lines);
  const { stream } = mrtToBmp([await decompress(await Deno.readFile(path), path)]);
  const s = await serve();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  try {
    for (let off = 0; off < stream.length;) off += await conn.write(stream.subarray(off));
    let got = new Map<string, string>();
    // Settled: the expected size reached and the same count twice in a row.
    let last = -1;
    await until(
      async () => {
        got = await storedRib(s.sql);
        const done = got.size >= want.size && got.size === last;
        last = got.size;
        return done;
      },
      60_000,
      `${want.size} current routes`,
    );
    assertEquals(ribDiff(got, want), { missing: [], extra: [], otherPath: [] });
    assertEquals(got.size, want.size);
    return got;
  } catch (e) {
    throw new Error(`${(e as Error).message}\nserve log:\n${s.log.slice(-15).join("\n")}`, {
      cause: e,
    });
  } finally {
    conn.close();
    await s.stop();
  }
}

/** `bmpmon import` of `path` into a database of its own leaves the RIB `served`. */
async function sameAsImport(path: string, served: Map<string, string>) {
  const imported = await withDatabase(async (sql) => {
    await importInto(sql, [path], { router: "same" });
    return await storedRib(sql);
  });
  assertEquals(ribDiff(imported, served), { missing: [], extra: [], otherPath: [] });
  assertEquals(imported.size, served.size);
}

dbTest(
  "replay of an MRT RIB (Quagga TABLE_DUMP_V2, bundled) leaves serve with the RIB bgpdump implies, as import does",
  async () => {
    const path = fixture("mrt/mrtparse/quagga_rib");
    await sameAsImport(path, await check(path, await bgpdumpM(path)));
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
    `replay of ${name} leaves serve with the RIB bgpdump's golden output implies, as import does`,
    async () => {
      const golden = await textLines(shared(`mrt/bgpdump/test_expect/${name}.bgp.gz`));
      const path = shared(`mrt/bgpdump/test_data/${name}`);
      await sameAsImport(path, await check(path, golden));
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
    return concat(chunks);
  })();
  const { port } = listener.addr as Deno.NetAddr;
  const r = await replay(files, { hostname: "127.0.0.1", port, rate: 0, connections: 1 });
  const got = await received;
  listener.close();
  assertEquals(r.connections, 1);
  assertEquals(got.length, want.length);
  assertEquals(got, want);
});
