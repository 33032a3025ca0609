/**
 * `bmpmon migrate` shows the file applying and the time so far on a terminal (a pty from
 * `script`), and nothing extra when its output is piped.
 */

import postgres from "postgres";
import { StepProgress } from "../../src/cli/progress.ts";
import { migrationFiles } from "../../src/store/migrate.ts";
import { assert, assertEquals } from "../_assert.ts";
import { Sink } from "./_sink.ts";

Deno.test("StepProgress names each step on a terminal and ends the line", () => {
  const sink = new Sink(true);
  const p = new StepProgress("migrate", sink);
  p.step("0001_a.sql", 1, 2);
  p.step("0002_b.sql", 2, 2);
  p.done("2 files applied");
  const draws = sink.out.split("\r\x1b[2K").filter(Boolean);
  assertEquals(draws, [
    "migrate: applying 0001_a.sql (1 of 2), 0s",
    "migrate: applying 0002_b.sql (2 of 2), 0s",
    "migrate: 2 files applied in 0s\n",
  ]);
});

Deno.test("StepProgress writes nothing when not a terminal, or when no step began", () => {
  const piped = new Sink(false);
  const p = new StepProgress("migrate", piped);
  p.step("0001_a.sql", 1, 1);
  p.done("1 files applied");
  assertEquals(piped.out, "");
  const idle = new Sink(true);
  new StepProgress("migrate", idle).done("0 files applied");
  assertEquals(idle.out, "", "nothing to apply: nothing shown");
});

const DATABASE_URL = Deno.env.get("DATABASE_URL");
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const NAME = "bmpmon migrate shows the file applying on a pty, nothing extra when piped";

async function withDatabase(fn: (url: string) => Promise<void>): Promise<void> {
  const admin = postgres(DATABASE_URL!, { max: 1, onnotice: () => {} });
  const db = `bmpmon_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await admin.unsafe(`CREATE DATABASE ${db}`);
  const u = new URL(DATABASE_URL!);
  u.pathname = `/${db}`;
  try {
    await fn(u.href);
  } finally {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  }
}

Deno.test({
  name: DATABASE_URL ? NAME : `${NAME} (skipped: no DATABASE_URL)`,
  ignore: !DATABASE_URL,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-migrate-" });
    const dec = new TextDecoder();
    const cmd = `${Deno.execPath()} run --allow-all ${MAIN} migrate`;
    // Without TimescaleDB, 0003 is left for later: the rest is applied.
    const files = (await migrationFiles(new URL("../../migrations/", import.meta.url)))
      .filter((f) => f !== "0003_timescaledb.sql");
    try {
      await withDatabase(async (url) => {
        const out = await new Deno.Command("script", {
          args: ["-qec", cmd, "/dev/null"],
          env: { DATABASE_URL: url, DATA_DIR: dataDir, NO_COLOR: "1" },
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = dec.decode(out.stdout);
        assertEquals(out.code, 0, text + dec.decode(out.stderr));
        const draws = text.split("\r\x1b[2K").slice(1);
        const named = [
          ...new Set(draws.flatMap((d) => /^migrate: applying (\S+) /.exec(d)?.[1] ?? [])),
        ];
        const result = JSON.parse(text.slice(text.lastIndexOf("{")));
        assertEquals(result.applied, files);
        assertEquals(named, files, "each file named as it applies, in order");
        for (const [i, f] of files.entries()) {
          assert(text.includes(`migrate: applying ${f} (${i + 1} of ${files.length}), `), f);
        }
        assert(
          new RegExp(`migrate: ${files.length} files applied in \\d+s\\r?\\n`).test(text),
          JSON.stringify(text.slice(-300)),
        );
      });
      await withDatabase(async (url) => {
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["run", "--allow-all", MAIN, "migrate"],
          env: { DATABASE_URL: url, DATA_DIR: dataDir, NO_COLOR: "1" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        assertEquals(out.code, 0);
        assertEquals(dec.decode(out.stderr), "", "nothing on a piped stderr");
        const stdout = dec.decode(out.stdout);
        assertEquals(stdout.trim().split("\n").length, 1, stdout);
        assertEquals(JSON.parse(stdout).applied, files);
      });
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

const LIBPQ = "bmpmon migrate connects with libpq's PGHOST, PGPORT, PGUSER and PGDATABASE alone";
Deno.test({
  name: DATABASE_URL ? LIBPQ : `${LIBPQ} (skipped: no DATABASE_URL)`,
  ignore: !DATABASE_URL,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-libpq-" });
    try {
      await withDatabase(async (url) => {
        const u = new URL(url);
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["run", "--allow-all", MAIN, "migrate"],
          // Nothing of this process's environment (its DATABASE_URL): only libpq's names.
          clearEnv: true,
          env: {
            PATH: Deno.env.get("PATH") ?? "",
            HOME: Deno.env.get("HOME") ?? "",
            DATA_DIR: dataDir,
            NO_COLOR: "1",
            PGHOST: u.hostname,
            PGPORT: u.port,
            PGUSER: decodeURIComponent(u.username),
            PGDATABASE: u.pathname.slice(1),
          },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const dec = new TextDecoder();
        assertEquals(out.code, 0, dec.decode(out.stderr));
        assert(JSON.parse(dec.decode(out.stdout)).applied.length > 5);
        const sql = postgres(url, { max: 1, onnotice: () => {} });
        const [{ n }] = await sql`SELECT count(*)::int AS n FROM schema_migrations`;
        await sql.end();
        assert(n > 5, `${n} migrations recorded in the PGDATABASE database`);
      });
      // The embedded store was not opened instead.
      assertEquals([...Deno.readDirSync(dataDir)].some((e) => e.name === "pgdata"), false);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
