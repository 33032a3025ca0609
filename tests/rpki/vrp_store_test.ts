import { migrate } from "../../src/store/migrate.ts";
import {
  pruneSources,
  readVrps,
  storeSourceRow,
  storeVrpUpdate,
} from "../../src/rpki/vrp_store.ts";
import type { Vrp } from "../../src/rpki/vrp.ts";
import { assertEquals } from "../_assert.ts";
import { dbTest } from "../store/_db.ts";

const A: Vrp = { prefix: "192.0.2.0/24", maxLength: 24, asn: 64496 };
const B: Vrp = { prefix: "2001:db8::/32", maxLength: 48, asn: 4200000000 };
const C: Vrp = { prefix: "2001:db8:0:1::/64", maxLength: 64, asn: 0 };
const D: Vrp = { prefix: "::ffff:192.0.2.0/120", maxLength: 128, asn: 1 };
const row = (vrps: number, serial?: number) => ({
  state: "current" as const,
  version: 1,
  sessionId: 7,
  serial,
  vrps,
  refresh: 60,
  retry: 10,
  expire: 600,
  updatedAt: Date.UTC(2026, 0, 1),
});
const sorted = (v: Vrp[]) => v.map((x) => `${x.prefix} ${x.maxLength} ${x.asn}`).sort();

dbTest(
  "storeVrpUpdate() replaces on reset, applies a serial update and drops on expire",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    await storeVrpUpdate(sql, "rtr:a:1", { kind: "reset", vrps: [A, B, C, D] }, row(4, 1));
    // cidr prints the prefixes as the decoder formats them, so the sets compare as text.
    assertEquals(sorted(await readVrps(sql, "rtr:a:1")), sorted([A, B, C, D]));
    await storeVrpUpdate(
      sql,
      "rtr:a:1",
      { kind: "serial", announced: [A], withdrawn: [] },
      row(4, 2),
    )
      .catch(() => {});
    await storeVrpUpdate(
      sql,
      "rtr:a:1",
      { kind: "serial", announced: [{ ...A, asn: 64511 }], withdrawn: [B, C] },
      row(3, 3),
    );
    assertEquals(sorted(await readVrps(sql, "rtr:a:1")), sorted([A, D, { ...A, asn: 64511 }]));
    const [src] = await sql`SELECT state, serial::int, vrps::int, session_id, refresh_s, updated_at
    FROM rpki_sources WHERE source = 'rtr:a:1'`;
    assertEquals([src.state, src.serial, src.vrps, src.session_id, src.refresh_s], [
      "current",
      3,
      3,
      7,
      60,
    ]);
    assertEquals((src.updated_at as Date).getTime(), Date.UTC(2026, 0, 1));
    await storeVrpUpdate(sql, "rtr:a:1", { kind: "expire" }, { ...row(0, 3), state: "expired" });
    assertEquals(await readVrps(sql, "rtr:a:1"), []);
    const [gone] = await sql`SELECT state FROM rpki_sources WHERE source = 'rtr:a:1'`;
    assertEquals(gone.state, "expired");
  },
);

dbTest(
  "storeVrpUpdate() with replaces moves the set to a fallback cache in one transaction",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    await storeVrpUpdate(sql, "rtr:a:1", { kind: "reset", vrps: [A, B] }, row(2, 1));
    await storeVrpUpdate(sql, "file:/x", { kind: "reset", vrps: [A] }, row(1));
    await storeVrpUpdate(sql, "rtr:b:2", { kind: "reset", vrps: [C] }, row(1, 9), ["rtr:a:1"]);
    const sources = await sql`SELECT source FROM rpki_sources ORDER BY source`;
    assertEquals(sources.map((r) => r.source), ["file:/x", "rtr:b:2"]);
    const rows = await sql`SELECT source, count(*)::int AS n FROM rpki_vrps GROUP BY 1 ORDER BY 1`;
    assertEquals(rows.map((r) => [r.source, r.n]), [["file:/x", 1], ["rtr:b:2", 1]]);
  },
);

dbTest("storeVrpUpdate() writes a set larger than one statement's chunk", async (sql) => {
  await migrate(sql, { timescaledb: false });
  const many: Vrp[] = [];
  for (let i = 0; i < 120_000; i++) {
    many.push({ prefix: `10.${i >> 8 & 255}.${i & 255}.0/24`, maxLength: 24, asn: i >> 16 });
  }
  await storeVrpUpdate(sql, "file:/big", { kind: "reset", vrps: many }, row(many.length));
  const [{ n }] = await sql`SELECT count(*)::int AS n FROM rpki_vrps WHERE source = 'file:/big'`;
  assertEquals(n, many.length);
});

dbTest("pruneSources() drops the sets of sources no longer configured", async (sql) => {
  await migrate(sql, { timescaledb: false });
  await storeVrpUpdate(sql, "rtr:old:1", { kind: "reset", vrps: [A] }, row(1, 1));
  await storeVrpUpdate(sql, "file:/kept", { kind: "reset", vrps: [B] }, row(1));
  await storeSourceRow(sql, "rtr:rowonly:1", { state: "syncing", vrps: 0 });
  const dropped = await pruneSources(sql, ["file:/kept", "rtr:new:1"]);
  assertEquals(dropped.sort(), ["rtr:old:1", "rtr:rowonly:1"]);
  const rows = await sql`SELECT DISTINCT source FROM rpki_vrps`;
  assertEquals(rows.map((r) => r.source), ["file:/kept"]);
});
