/**
 * Route Origin Validation speed (issue 13) on the M320 full table, on the bench server:
 *
 * - ROV of the whole RIB in one query: `rpki_rib_states()` (set-based) and v_routes'
 *   `rpki_state` column (one index lookup per route), against the VRPs of
 *   tests/rpki/_vrp_builder.ts (≈ 554k VRPs for the table's 707k routes);
 * - ingest speed through the store writer into a fresh database with those VRPs loaded
 *   and with none (run before and after): validation adds nothing to the write path, so the
 *   ratio should be ≈ 1.
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:55433/postgres deno task bench:rov
 *
 * @module
 */

import postgres from "postgres";
import { readBmpStream } from "../src/bmp/stream.ts";
import { readInput } from "../src/io/file.ts";
import { migrate } from "../src/store/migrate.ts";
import { StoreWriter } from "../src/store/writer.ts";
import { buildVrps, insertVrps, type Vrp } from "../tests/rpki/_vrp_builder.ts";

const url = Deno.env.get("BENCH_DATABASE_URL") ?? "postgres://postgres@127.0.0.1:55433/postgres";
const file = new URL("../tests/fixtures/juniper-m320/m320.bmp.xz", import.meta.url).pathname;
const bytes = await readInput(file).catch(() => null);
if (!bytes) {
  console.log(`rpki_rov: ${file} not found, skipped`);
  Deno.exit(0);
}
const admin = postgres(url, { onnotice: () => {}, max: 1 });

/** A fresh database (dropped by the returned function) with `vrps` loaded before ingest. */
async function ingest(
  vrps: Vrp[] | null,
): Promise<{ s: number; sql: postgres.Sql; drop(): Promise<void> }> {
  const name = `bmpmon_rov_${crypto.randomUUID().slice(0, 8)}`;
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  const sql = postgres(u.href, { onnotice: () => {}, max: 4 });
  await migrate(sql, { timescaledb: false });
  if (vrps) {
    await insertVrps(sql, "file:bench.json", vrps);
    await sql`ANALYZE rpki_vrps`;
  }
  // Each ingest starts from a clean checkpoint: the WAL of 550k VRPs and their index would
  // otherwise bring a checkpoint (fsync on) into the timed load of one variant only.
  await sql`CHECKPOINT`;
  const writer = await StoreWriter.open(sql, { lanes: 2, batchRows: 20_000 });
  const id = await writer.router("m320", "192.0.2.1");
  const t = performance.now();
  for (const it of readBmpStream(bytes!)) {
    if (!it.message) continue;
    const wait = writer.write(id, it.message);
    if (wait) await wait;
  }
  await writer.flush();
  const s = (performance.now() - t) / 1000;
  await writer.close();
  return {
    s,
    sql,
    drop: async () => {
      await sql.end();
      await admin.unsafe(`DROP DATABASE ${name} WITH (FORCE)`);
    },
  };
}

async function time<T>(fn: () => PromiseLike<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, (performance.now() - t) / 1000];
}

try {
  const off = await ingest(null);
  const pairs = await off.sql`SELECT DISTINCT text(prefix) AS prefix,
    rpki_route_origin(as_path_text, origin_as)::float8 AS origin
    FROM v_routes WHERE rpki_state IS NOT NULL`;
  const { vrps } = buildVrps(
    pairs.filter((p) => p.origin !== null).map((p) => ({ prefix: p.prefix, origin: p.origin })),
  );
  await insertVrps(off.sql, "file:bench.json", vrps);
  await off.sql`VACUUM ANALYZE rpki_vrps`;
  await off.sql`VACUUM ANALYZE rib`;
  const [set, setS] = await time(() =>
    off.sql`SELECT state, count(*)::int AS n FROM rpki_rib_states() GROUP BY 1 ORDER BY 1`
  );
  const [, viewS] = await time(() =>
    off.sql`SELECT rpki_state, count(*)::int AS n FROM v_routes GROUP BY 1`
  );
  const [changes, recS] = await time(() => off.sql`SELECT rpki_record_changes() AS n`);
  const [, rec2S] = await time(() => off.sql`SELECT rpki_record_changes() AS n`);
  console.log(
    `VRPs ${vrps.length}; states ${set.map((r) => `${r.state} ${r.n}`).join(", ")}\n` +
      `whole-RIB ROV, one query: rpki_rib_states() ${setS.toFixed(2)} s, ` +
      `v_routes.rpki_state ${viewS.toFixed(2)} s\n` +
      `rpki_record_changes(): first run ${recS.toFixed(2)} s (${changes[0].n} changes), ` +
      `again ${rec2S.toFixed(2)} s`,
  );
  await off.drop();
  // Off, on, off again: a trend in the machine's load (other jobs) shows as off ≠ off2.
  const on = await ingest(vrps);
  await on.drop();
  const off2 = await ingest(null);
  await off2.drop();
  const rate = (s: number) => Math.round(707_580 / s);
  console.log(
    `ingest M320: no VRPs ${off.s.toFixed(2)} s and ${off2.s.toFixed(2)} s (${rate(off.s)}, ` +
      `${rate(off2.s)} routes/s), ${vrps.length} VRPs ${on.s.toFixed(2)} s (${rate(on.s)} ` +
      `routes/s); speed with/without ${((off.s + off2.s) / 2 / on.s).toFixed(3)}`,
  );
} finally {
  await admin.end();
}
