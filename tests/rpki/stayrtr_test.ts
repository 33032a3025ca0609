/**
 * The RTR client against a real cache: Debian's stayrtr serving a JSON file on loopback.
 * `rpki_vrps` must equal the file (IPv4 and IPv6); a change of the file must move
 * stayrtr's serial and arrive as an incremental update (a Serial Query, no reset); once
 * stayrtr stops, the expire rule must drop the VRPs and every report say so.
 */

import { postgresReadQuery } from "../../src/control/query.ts";
import { rpkiText } from "../../src/cli/show.ts";
import { Registry } from "../../src/metrics/registry.ts";
import { registerRpkiMetrics } from "../../src/rpki/rpki_metrics.ts";
import { RpkiService } from "../../src/rpki/rpki_service.ts";
import { rpkiSummary } from "../../src/rpki/rpki_summary.ts";
import { parseVrpFile } from "../../src/rpki/vrp_file.ts";
import { readVrps } from "../../src/rpki/vrp_store.ts";
import { prefixOf, type Vrp } from "../../src/rpki/vrp.ts";
import { migrate } from "../../src/store/migrate.ts";
import { assert, assertEquals } from "../_assert.ts";
import { DATABASE_URL, dbTest } from "../store/_db.ts";
import { HAS_STAYRTR, startStayRtr } from "./_stayrtr.ts";
import type { Sql } from "postgres";

/** A deterministic mixed set: IPv4 /20-/24 and IPv6 /40-/48, both ASN forms. */
function roas(n: number, salt: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const h = Math.imul(i + 1 + salt * 7919, 0x9e3779b1) >>> 0;
    const asn = 64496 + (h % 1000);
    const v6 = i % 3 === 2;
    const bytes = new Uint8Array(v6 ? 16 : 4);
    const length = v6 ? [48, 48, 44, 40][h % 4] : [24, 24, 22, 20][h % 4];
    if (v6) bytes.set([0x20, 0x01, 0x0d, 0xb8, (i >> 8) & 255, i & 255]);
    else bytes.set([10, (i >> 8) & 255, i & 255, 0]);
    for (let b = length; b < bytes.length * 8; b++) bytes[b >> 3] &= ~(0x80 >> (b & 7));
    out.push({
      prefix: prefixOf({ afi: v6 ? 2 : 1, bytes, length }),
      maxLength: length + (h % 3) * 4,
      asn: h % 2 ? `AS${asn}` : asn,
      ta: "test",
    });
  }
  return out;
}

const key = (v: Vrp) => `${v.prefix} ${v.maxLength} ${v.asn}`;
const sorted = (v: Vrp[]) => v.map(key).sort();

async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function sourceRow(sql: Sql, source: string) {
  const [r] = await sql`SELECT state, serial::int, vrps::int, protocol_version, expire_s
    FROM rpki_sources WHERE source = ${source}`;
  return r;
}

function stayrtrTest(name: string, fn: (sql: Sql) => Promise<void>): void {
  if (!HAS_STAYRTR) {
    Deno.test({ name: `${name} (skipped: stayrtr not installed)`, ignore: true, fn: () => {} });
  } else if (!DATABASE_URL) {
    Deno.test({ name: `${name} (skipped: no DATABASE_URL)`, ignore: true, fn: () => {} });
  } else dbTest(name, fn);
}

stayrtrTest("RTR client against stayrtr: file, incremental update, expire", async (sql) => {
  await migrate(sql, { timescaledb: false });
  const dir = await Deno.makeTempDir({ prefix: "bmpmon-stayrtr-" });
  const file = `${dir}/vrps.json`;
  const first = roas(3000, 1);
  await Deno.writeTextFile(file, JSON.stringify({ roas: first }));
  const want1 = parseVrpFile(await Deno.readTextFile(file)).vrps;
  const v6 = want1.filter((v) => v.prefix.includes(":")).length;
  assert(v6 > 300 && want1.length - v6 > 600, `${v6} IPv6 of ${want1.length}`);
  const cache = await startStayRtr(file, { refresh: 1, retry: 1, expire: 4 });
  const log: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const stored: string[] = [];
  const service = RpkiService.start(sql, {
    rtr: [{ hostname: "127.0.0.1", port: cache.port }],
    log: (level, message, fields) => log.push({ level, message, fields }),
    rtrTickMs: 100,
    rtrMinBackoffMs: 200,
    onStored: (_, kind) => stored.push(kind),
  });
  const registry = new Registry();
  registerRpkiMetrics(registry, () => service.sources());
  const source = `rtr:127.0.0.1:${cache.port}`;
  try {
    // 1. rpki_vrps equals the file.
    await until(
      "the first set",
      15_000,
      async () => (await sourceRow(sql, source))?.state === "current",
    );
    assertEquals(sorted(await readVrps(sql, source)), sorted(want1));
    const r1 = await sourceRow(sql, source);
    assertEquals([r1.vrps, r1.protocol_version, r1.expire_s], [want1.length, 1, 4]);
    const counts1 = service.rtr!.session.status().counts;
    assertEquals([counts1.resetQueries, counts1.resets], [1, 1]);

    // 2. The file changes: stayrtr's serial moves, the change arrives incrementally.
    const second = [...first.slice(200), ...roas(3100, 2).slice(3000)];
    await Deno.writeTextFile(file, JSON.stringify({ roas: second }));
    const want2 = parseVrpFile(await Deno.readTextFile(file)).vrps;
    await until(
      "the serial to move",
      15_000,
      async () => (await sourceRow(sql, source)).serial > r1.serial,
    );
    await until(
      "the second set",
      5_000,
      async () => (await sourceRow(sql, source)).vrps === want2.length,
    );
    assertEquals(sorted(await readVrps(sql, source)), sorted(want2));
    const counts2 = service.rtr!.session.status().counts;
    // Still the one Reset Query of the start: the change came through Serial Queries.
    assertEquals([counts2.resetQueries, counts2.resets], [1, 1]);
    assert(counts2.serials > counts1.serials, JSON.stringify(counts2));
    const applied = log.filter((l) => l.message.startsWith("RTR {kind} update applied"));
    const changed = applied.find((l) => l.fields.kind === "serial" && Number(l.fields.changes) > 0);
    assert(changed, JSON.stringify(applied.map((l) => l.fields)));
    // 200 withdrawn and 100 announced, less what the two lists share.
    const k1 = new Set(want1.map(key)), k2 = new Set(want2.map(key));
    const diff = [...k1].filter((k) => !k2.has(k)).length +
      [...k2].filter((k) => !k1.has(k)).length;
    assertEquals(Number(changed.fields.changes), diff);
    const serial2 = (await sourceRow(sql, source)).serial;
    console.log(
      `  ${want1.length} VRPs (${v6} IPv6) at serial ${r1.serial}, ${want2.length} at serial ${serial2}, ` +
        `${counts2.serials} serial updates, ${counts2.resets} reset`,
    );

    // 3. stayrtr stops: after Expire (4 s) the VRPs are dropped, loudly.
    await cache.stop();
    await until(
      "the expire rule",
      15_000,
      async () => (await sourceRow(sql, source)).state === "expired",
    );
    assertEquals(await readVrps(sql, source), []);
    assertEquals((await sourceRow(sql, source)).vrps, 0);
    // Each committed change was announced to the hook (validation's state recording).
    assertEquals([...new Set(stored)], ["reset", "serial", "expire"]);
    const warn = log.find((l) => l.level === "warn" && l.message.startsWith("RPKI VRPs expired"));
    assert(warn, "no WARNING log for the expire");
    const text = await registry.expose();
    assert(text.includes(`bmpmon_rpki_vrps{source="${source}"} 0\n`), text);
    assert(text.includes(`bmpmon_rpki_source_state{source="${source}",state="expired"} 1\n`), text);
    assert(text.includes(`bmpmon_rtr_session_up{source="${source}"} 0\n`), text);
    assert(text.includes(`bmpmon_rtr_serial{source="${source}"} ${serial2}\n`), text);
    const summary = await rpkiSummary(postgresReadQuery(sql));
    assertEquals(summary.map((s) => [s.source, s.state, s.vrps]), [[source, "expired", 0]]);
    const line = rpkiText(summary);
    assert(line.includes("EXPIRED (VRPs dropped, every route unknown)"), line);
    console.log(`  show summary: rpki  ${line}`);
  } finally {
    await service.stop();
    await cache.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

stayrtrTest("RTR client speaks version 0 to a stayrtr limited to RFC 6810", async (sql) => {
  await migrate(sql, { timescaledb: false });
  const dir = await Deno.makeTempDir({ prefix: "bmpmon-stayrtr-" });
  const file = `${dir}/vrps.json`;
  await Deno.writeTextFile(file, JSON.stringify({ roas: roas(300, 3) }));
  const want = parseVrpFile(await Deno.readTextFile(file)).vrps;
  const cache = await startStayRtr(file, { protocol: 0 });
  const service = RpkiService.start(sql, {
    rtr: [{ hostname: "127.0.0.1", port: cache.port }],
    log: () => {},
    rtrTickMs: 100,
    rtrMinBackoffMs: 200,
  });
  const source = `rtr:127.0.0.1:${cache.port}`;
  try {
    await until("the set", 15_000, async () => (await sourceRow(sql, source))?.state === "current");
    assertEquals((await sourceRow(sql, source)).protocol_version, 0);
    assertEquals(sorted(await readVrps(sql, source)), sorted(want));
  } finally {
    await service.stop();
    await cache.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
