/**
 * `bmpmon import` of an MRT archive against `bgpdump -m` parsing the same file, in the
 * same run: by default the PCH full table of issue 15 (`updates.et-header.2015.gz`,
 * 577,740 BGP4MP_ET routes). Each round imports into a fresh, migrated database (the
 * command runs as an operator runs it: its own process, the store's indexes in place) and
 * times bgpdump writing its lines to /dev/null. Prints both times, routes/s and the ratio.
 * No assertions.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:55433/postgres \
 *     deno run -A bench/import_mrt.ts [--file F] [--rounds N]
 *
 * @module
 */

import postgres from "postgres";
import { parseArgs } from "node:util";
import { migrate } from "../src/store/migrate.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    file: {
      type: "string",
      default: new URL(
        "../../shared/data/mrt/bgpdump/test_data/updates.et-header.2015.gz",
        import.meta.url,
      ).pathname,
    },
    rounds: { type: "string", default: "2" },
  },
});

const url = Deno.env.get("DATABASE_URL");
if (!url) {
  console.log("import_mrt: no DATABASE_URL, skipped");
  Deno.exit(0);
}
if (!(await Deno.stat(args.file!).catch(() => null))) {
  console.log(`import_mrt: ${args.file} not found, skipped`);
  Deno.exit(0);
}
const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function timed(cmd: string, argv: string[], env: Record<string, string> = {}) {
  const t0 = performance.now();
  const o = await new Deno.Command(cmd, { args: argv, env, stdout: "piped", stderr: "piped" })
    .output();
  const s = (performance.now() - t0) / 1000;
  if (!o.success) throw new Error(`${cmd} failed: ${new TextDecoder().decode(o.stderr)}`);
  return { s, out: new TextDecoder().decode(o.stdout) };
}

const admin = postgres(url, { onnotice: () => {}, max: 1 });
const [{ fsync }] = await admin`SELECT current_setting('fsync') AS fsync`;
console.log(`import_mrt: ${args.file} (PostgreSQL fsync=${fsync})`);
for (let round = 1; round <= Number(args.rounds); round++) {
  const db = `bmpmon_bench_${crypto.randomUUID().slice(0, 8)}`;
  await admin.unsafe(`CREATE DATABASE ${db}`);
  const u = new URL(url);
  u.pathname = `/${db}`;
  try {
    const sql = postgres(u.href, { onnotice: () => {}, max: 1 });
    await migrate(sql);
    await sql.end();
    const dump = await timed("sh", ["-c", `bgpdump -m '${args.file}' | wc -l`]);
    const lines = Number(dump.out.trim());
    const imp = await timed(Deno.execPath(), [
      "run",
      "-A",
      MAIN,
      "import",
      args.file!,
      "--router",
      "bench",
    ], { DATABASE_URL: u.href, LOG_LEVEL: "WARNING" });
    const r = JSON.parse(imp.out.trim().split("\n").pop()!);
    const rate = (n: number, s: number) => Math.round(n / s).toLocaleString("en-US");
    console.log(
      `round ${round}: bmpmon import ${imp.s.toFixed(1)} s (${rate(r.routes, imp.s)} routes/s, ` +
        `${r.routes} routes) | bgpdump -m ${dump.s.toFixed(1)} s (${
          rate(lines, dump.s)
        } lines/s, ${lines} lines) | import/bgpdump time ${(imp.s / dump.s).toFixed(1)}×`,
    );
  } finally {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  }
}
await admin.end();
