/**
 * `bmpmon export mrt`: the RIB stored from real BMP streams, exported as TABLE_DUMP_V2 and
 * read back by Debian's `bgpdump -m` (an independent MRT reader), equals the RIB as SQL
 * shows it, route for route: peer, prefix, path ID, AS path, origin, next hop, LOCAL_PREF,
 * MED, communities, atomic aggregate and aggregator.
 *
 * @module
 */

import { assert, assertEquals } from "./../_assert.ts";
import type { BmpMessage } from "../../src/bmp/message.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { readInput } from "../../src/io/file.ts";
import { readMrt } from "../../src/mrt/mod.ts";
import { attrRow } from "../../src/store/rows/attrs.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { dbTest } from "../store/_db.ts";
import { bgpdump, expected, exportTo, HAVE_BGPDUMP, LAB, load, MAIN } from "./_export.ts";

function ignoreWithout(name: string): boolean {
  if (HAVE_BGPDUMP) return false;
  Deno.test({ name: `${name} (ignored: bgpdump is not installed)`, ignore: true, fn() {} });
  return true;
}

const NAME = "export mrt: FRR pre/post-policy RIB read back by bgpdump equals the RIB in SQL";
if (!ignoreWithout(NAME)) {
  dbTest(NAME, async (sql) => {
    // Up to its Peer Down, so that the RIB holds the routes.
    await load(sql, `${LAB}frr-8.4-prepost-1k.bmp`, (k) => k !== "peer_down");
    const dir = await Deno.makeTempDir();
    try {
      const { totals } = await exportTo(sql, `${dir}/rib.mrt`);
      const want = await expected(sql);
      assert(want.length > 1000, `only ${want.length} routes`);
      const got = await bgpdump(`${dir}/rib.mrt`);
      assertEquals(got.length, want.length);
      assertEquals(got, want);
      assertEquals(totals.routes, want.length);
      assertEquals(totals.skipped, {});
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

const AT = "export mrt --at: the RIB from history before a Peer Down equals the RIB then";
if (!ignoreWithout(AT)) {
  dbTest(AT, async (sql) => {
    const file = `${LAB}frr-8.4-prepost-1k.bmp`;
    await load(sql, file, (k) => k !== "peer_down");
    const before = await expected(sql);
    // Now the Peer Downs: the RIB is withdrawn, history keeps what was.
    const writer = await StoreWriter.open(sql);
    const router = await writer.router("192.0.2.1", "192.0.2.1");
    for (const it of readBmpStream(await readInput(file))) {
      if (it.message?.kind === "peer_down") await writer.write(router, it.message);
    }
    await writer.close();
    const [{ at }] = await sql`
      SELECT to_char((max(time) - interval '1 microsecond') AT TIME ZONE 'UTC',
                     'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
        FROM peer_events WHERE event = 'down'`; // the capture's last Peer Downs
    const dir = await Deno.makeTempDir();
    try {
      const now = await exportTo(sql, `${dir}/now.mrt`);
      assertEquals(now.totals.routes, 0);
      assertEquals(await expected(sql), []);
      const then = await exportTo(sql, `${dir}/then.mrt`, ["--at", at]);
      assertEquals(then.totals.routes, before.length);
      assertEquals(await bgpdump(`${dir}/then.mrt`), before);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("export mrt: bad options and a terminal get one line each", async () => {
  const run = async (args: string[]) => {
    const o = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "export", ...args],
      env: { DATABASE_URL: "postgres://x@127.0.0.1:1/x" },
      stdout: "null",
      stderr: "piped",
    }).output();
    return { code: o.code, err: new TextDecoder().decode(o.stderr).split("\n")[0] };
  };
  assertEquals(await run(["json"]), { code: 2, err: "bmpmon: export needs the format: mrt" });
  assertEquals(await run(["mrt", "--at", "yesterday"]), {
    code: 2,
    err: "bmpmon: --at yesterday: not a time (e.g. 2026-12-01T12:00:00Z)",
  });
  const r = await run(["mrt"]);
  assertEquals(r.code, 1);
  assert(r.err.startsWith("bmpmon: export: the database refused: "), r.err);
});

const MID = "export mrt --at: a time between announcements and withdrawals gives the RIB then";
if (!ignoreWithout(MID)) {
  dbTest(MID, async (sql) => {
    const file = `${LAB}frr-8.4-prepost-1k.bmp`;
    const usOf = (m: BmpMessage) => "peer" in m ? m.peer.tsSec * 1e6 + m.peer.tsUsec : 0;
    const times = new Set<number>();
    for (const it of readBmpStream(await readInput(file))) {
      if (it.message?.kind === "route_monitoring") times.add(usOf(it.message));
    }
    const sorted = [...times].sort((a, b) => a - b);
    assert(sorted.length >= 2, "the capture has one route timestamp only");
    // Just after the last but one route timestamp: the withdrawals come after it.
    const atMs = Math.floor(sorted.at(-2)! / 1000) + 1;
    const upTo = (m: BmpMessage) => !("peer" in m) || usOf(m) <= atMs * 1000;
    await load(sql, file, (k, m) => k !== "peer_down" && upTo(m));
    const then = await expected(sql);
    // The rest: the withdrawals, then the Peer Downs.
    const writer = await StoreWriter.open(sql);
    const router = await writer.router("192.0.2.1", "192.0.2.1");
    for (const it of readBmpStream(await readInput(file))) {
      if (it.message && !upTo(it.message)) await writer.write(router, it.message);
    }
    await writer.close();
    const dir = await Deno.makeTempDir();
    try {
      const now = await expected(sql);
      assert(now.length < then.length, `${now.length} routes now, ${then.length} then`);
      const r = await exportTo(sql, `${dir}/then.mrt`, ["--at", new Date(atMs).toISOString()]);
      assertEquals(r.totals.routes, then.length);
      assertEquals(await bgpdump(`${dir}/then.mrt`), then);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

dbTest("export mrt: every exported route decodes back to its stored attribute set", async (sql) => {
  // The attribute set id hashes every attribute the store keeps (large and extended
  // communities too, which bgpdump does not print): equal ids, equal attributes.
  await load(sql, `${LAB}frr-8.4-prepost-1k.bmp`, (k) => k !== "peer_down");
  const dir = await Deno.makeTempDir();
  try {
    await exportTo(sql, `${dir}/rib.mrt`);
    const views = await sql`SELECT id FROM peers ORDER BY id`;
    const got = new Map<string, string>();
    let large = 0;
    for (const it of readMrt(await Deno.readFile(`${dir}/rib.mrt`))) {
      if (it.error) throw new Error(`record at ${it.error.recordOffset}: ${it.error.reason}`);
      const body = it.record.body;
      if (body.kind !== "rib") continue;
      for (const e of body.entries) {
        const a = e.attributes;
        if (a.largeCommunities) large++;
        const id = attrRow(a, a.mpReach?.nextHop ?? a.nextHop, e.problems).id;
        got.set(`${views[e.peerIndex].id}|${body.nlri.prefix}|${e.pathId ?? 0}`, id);
      }
    }
    const rows = await sql`SELECT r.peer_id, text(r.prefix) AS prefix, r.path_id,
        r.attr_id::text AS attr_id FROM rib r
      WHERE NOT r.withdrawn AND r.afi IN (1, 2) AND r.safi IN (1, 2) AND r.rd = ''`;
    const want = new Map(rows.map((r) => [`${r.peer_id}|${r.prefix}|${r.path_id}`, r.attr_id]));
    assert(large > 100, `${large} routes with large communities`);
    assertEquals(got.size, want.size);
    assertEquals(got, want);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
