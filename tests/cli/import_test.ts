/**
 * `bmpmon import`: MRT archives into the store through the collector's writer. The RIB it
 * leaves is the one bgpdump's lines imply (bgpdump's golden output, or Debian's
 * `bgpdump -m`), a file given again writes nothing, a truncated file yields a typed error
 * with its offset and the records before it, and the imported RIB exported as MRT reads
 * back in bgpdump as the RIB in SQL.
 *
 * @module
 */

import type { MrtError } from "../../src/mrt/errors.ts";
import { readInput } from "../../src/io/file.ts";
import { readMrt } from "../../src/mrt/reader.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture, HAS_SHARED, shared } from "../_data.ts";
import { bgpdumpM, HAS_BGPDUMP, textLines } from "../mrt/_bgpdump.ts";
import { impliedRib, ribDiff, storedRib } from "../mrt/_rib.ts";
import { dbTest } from "../store/_db.ts";
import { bgpdump, expected, exportTo } from "./_export.ts";
import { counts, importCommand, importInto } from "./_import.ts";

const NO_DIFF = { missing: [], extra: [], otherPath: [] };
const QUAGGA_RIB = fixture("mrt/mrtparse/quagga_rib");
const QUAGGA_BGP = fixture("mrt/mrtparse/quagga_bgp");
const PCH = "mrt/bgpdump/test_data/updates.et-header.2015.gz";

if (!HAS_SHARED) {
  Deno.test({
    name: "import of the PCH full table (ignored: ../shared/data not present)",
    ignore: true,
    fn() {},
  });
} else {
  dbTest(
    "import of the PCH full table (BGP4MP_ET): v_routes is the RIB bgpdump's golden output implies",
    async (sql) => {
      const lines = await textLines(
        shared(`mrt/bgpdump/test_expect/${PCH.split("/").pop()}.bgp.gz`),
      );
      const updates = lines.map((l) => l.split("|")).filter((f) => f[2] === "A" || f[2] === "W");
      assertEquals(new Set(updates.filter((f) => f[2] === "A").map((f) => f[5])).size, 577_706);
      const seen: number[][] = [];
      const r = await importInto(sql, [shared(PCH)], {
        router: "pch",
        progress: (done, total, messages) => seen.push([done, total, messages]),
      });
      // Progress as the records go (what a terminal shows), ending at the whole file.
      assert(seen.length > 50, `${seen.length} progress calls`);
      const size = (await readInput(shared(PCH))).length;
      assertEquals(seen.at(-1)!.slice(0, 2), [size, size]);
      assert(seen.every((x, i) => i === 0 || (x[0] >= seen[i - 1][0] && x[2] > seen[i - 1][2])));
      assertEquals(r.router, "mrt:pch");
      assertEquals(r.errors, 0);
      // Every A and W line is one history row: announcements and withdrawals alike.
      assertEquals(r.routes, updates.length);
      const [{ history }] = await sql`SELECT count(*)::int AS history FROM route_history`;
      assertEquals(history, updates.length);
      const want = impliedRib(lines);
      const got = await storedRib(sql);
      assertEquals(ribDiff(got, want), NO_DIFF);
      assertEquals(got.size, want.size);
      const [{ n }] = await sql`SELECT count(*)::int AS n FROM v_routes`;
      assertEquals(n, want.size);
    },
  );
}

dbTest(
  "import: a RIB dump and updates (Quagga, bundled) leave the RIB bgpdump -m implies; the router is mrt:NAME, disconnected",
  async (sql) => {
    if (!HAS_BGPDUMP) return console.log("bgpdump absent: RIB comparison skipped");
    const r = await importInto(sql, [QUAGGA_RIB, QUAGGA_BGP]);
    // Named from the RIB dump's PEER_INDEX_TABLE (its view name is empty: the collector ID).
    assertEquals(r.router, "mrt:192.168.0.18");
    assertEquals(r.imported.length, 2);
    const want = impliedRib([...(await bgpdumpM(QUAGGA_RIB)), ...(await bgpdumpM(QUAGGA_BGP))]);
    const got = await storedRib(sql);
    assertEquals(ribDiff(got, want), NO_DIFF);
    const [router] = await sql`SELECT key, host(address) AS address, connected FROM routers`;
    assertEquals({ ...router }, {
      key: "mrt:192.168.0.18",
      address: "192.168.0.18",
      connected: false,
    });
  },
);

dbTest("import: the same files again (or under another name) write nothing twice", async (sql) => {
  const first = await importInto(sql, [QUAGGA_RIB, QUAGGA_BGP]);
  assertEquals(first.skipped, []);
  const before = await counts(sql);
  assert(before.history > 0 && before.peer_events > 0, JSON.stringify(before));
  assertEquals(before.imports, 2);
  const copy = await Deno.makeTempFile({ suffix: ".mrt" });
  try {
    await Deno.copyFile(QUAGGA_BGP, copy);
    const again = await importInto(sql, [QUAGGA_RIB, copy, copy]);
    assertEquals(again.imported, []);
    assertEquals(again.skipped.map((s) => [s.file, s.sameAs, s.router]), [
      [QUAGGA_RIB, QUAGGA_RIB, "mrt:192.168.0.18"],
      [copy, QUAGGA_BGP, "mrt:192.168.0.18"],
      [copy, QUAGGA_BGP, "mrt:192.168.0.18"],
    ]);
    assertEquals(await counts(sql), before);
  } finally {
    await Deno.remove(copy);
  }
});

dbTest(
  "import: a file cut inside its last record yields a typed error with that offset and imports the records before it",
  async (sql) => {
    const bytes = await readInput(QUAGGA_BGP);
    let last = 0;
    for (const item of readMrt(bytes)) if (item.record) last = item.record.header.offset;
    const cut = bytes.subarray(0, last + 20);
    const file = await Deno.makeTempFile({ suffix: ".mrt" });
    try {
      await Deno.writeFile(file, cut);
      const errors: MrtError[] = [];
      const r = await importInto(sql, [{ path: file, bytes: cut }], {
        router: "cut",
        onError: (_p, e) => errors.push(e),
      });
      assertEquals(errors.map((e) => [e.code, e.recordOffset]), [["truncated", last]]);
      assertEquals(r.errors, 1);
      const [{ errors: ledger }] = await sql`SELECT errors::int FROM mrt_imports`;
      assertEquals(ledger, 1);
      if (!HAS_BGPDUMP) return;
      const want = impliedRib(await bgpdumpM(file));
      assert(want.size > 0, "bgpdump read no routes from the cut file");
      assertEquals(ribDiff(await storedRib(sql), want), NO_DIFF);
    } finally {
      await Deno.remove(file);
    }
  },
);

dbTest(
  "import → export mrt → bgpdump -m equals the imported RIB in SQL, route for route",
  async (sql) => {
    if (!HAS_BGPDUMP) return console.log("bgpdump absent: round trip skipped");
    await importInto(sql, [QUAGGA_RIB, QUAGGA_BGP]);
    const dir = await Deno.makeTempDir();
    try {
      const { totals } = await exportTo(sql, `${dir}/rib.mrt`);
      const want = await expected(sql);
      assert(want.length > 0, "nothing imported");
      assertEquals(await bgpdump(`${dir}/rib.mrt`), want);
      assertEquals(totals.routes, want.length);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

dbTest(
  "import: bad input and a nameless source get one line each, and nothing is written",
  async (sql) => {
    assertEquals(await importCommand(undefined, []), {
      code: 2,
      out: [],
      err: [
        "bmpmon: import needs at least one FILE",
        ...(await importCommand(undefined, [])).err.slice(1),
      ],
    });
    const r = await importCommand(undefined, [QUAGGA_RIB, "--router"]);
    assertEquals([r.code, r.err[0]], [2, "bmpmon: --router needs a value"]);
    const bmp = fixture("juniper-m320/m320.bmp.xz");
    assertEquals(await importCommand(sql, [bmp]), {
      code: 1,
      out: [],
      err: [`bmpmon: import: ${bmp} is not an MRT file (RFC 6396)`],
    });
    assertEquals(await importCommand(sql, ["/nonexistent.mrt"]).then((x) => x.code), 1);
    // BGP4MP alone has no PEER_INDEX_TABLE: the operator names the source.
    assertEquals(await importCommand(sql, [QUAGGA_BGP]), {
      code: 1,
      out: [],
      err: [
        `bmpmon: import: ${QUAGGA_BGP} has no PEER_INDEX_TABLE to name its source: give --router NAME`,
      ],
    });
    assertEquals((await counts(sql)).history, 0);
    const ok = await importCommand(sql, [QUAGGA_BGP, "--router", "quagga"]);
    assertEquals(ok.code, 0, ok.err.join("\n"));
    assertEquals(ok.err, []);
    assertEquals(JSON.parse(ok.out[0]).router, "mrt:quagga");
  },
);
