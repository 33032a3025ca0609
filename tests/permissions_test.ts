/**
 * The permission flags of `deno task start` / `deno task compile` (src/permissions.ts):
 * what they grant for a configuration, that Deno refuses everything else under them, that
 * the libraries need each variable on the list, and that `bmpmon serve` runs under exactly
 * these flags: it listens, takes a replayed capture and stores its rows.
 */

import process from "node:process";
import { join } from "node:path";
import postgres from "postgres";
import { replay } from "../src/cli/replay.ts";
import { ConfigError, ENV_VARS, loadConfig, PYBMPMON_DB_VARS } from "../src/config.ts";
import {
  databaseAddresses,
  grants,
  MIGRATIONS_DIR,
  OS_USER_ENV,
  permissionFlags,
  POSTGRES_ENV,
} from "../src/permissions.ts";
import { embeddedReadPaths } from "../src/store/embedded/paths.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";
import { permissionFlagsOf, ROOT, taskArgs } from "./_tasks.ts";
import { assertStoredContent, expectedContent } from "./e2e/_content.ts";
import { dbTest, serve } from "./e2e/_serve.ts";

const PROBE = join(ROOT, "tests", "_permission_probe.ts");
const MAIN = join(ROOT, "main.ts");

function values(config: ReturnType<typeof loadConfig>, kind: string, envFile?: string) {
  return grants(config, { envFile }).filter((g) => g.kind === kind).map((g) => g.value);
}

Deno.test("permissionFlags() of the defaults: the BMP port, the configuration's variables, DATA_DIR", () => {
  // No DATABASE_URL: the embedded store, its socket in DATA_DIR and PGlite's files.
  assertEquals(permissionFlags(loadConfig({})), [
    "--no-prompt",
    `--allow-net=0.0.0.0:11019,unix:${Deno.cwd()}/data/.s.PGSQL.5432,unix:${Deno.cwd()}/data/bmpmon.sock`,
    `--allow-env=${[...ENV_VARS, ...PYBMPMON_DB_VARS, ...POSTGRES_ENV].join(",")}`,
    `--allow-read=./data,${MIGRATIONS_DIR},${embeddedReadPaths().join(",")}`,
    "--allow-write=./data",
  ]);
});

Deno.test("databaseAddresses() reads host:port as postgres.js does", () => {
  assertEquals(databaseAddresses("postgres://u:p@db.example:5433/x"), ["db.example:5433"]);
  assertEquals(databaseAddresses("postgres://u@db/x?sslmode=require"), ["db:5432"]);
  assertEquals(databaseAddresses("postgresql://u@h1:5433,h2/x"), ["h1:5433", "h2:5432"]);
  assertEquals(databaseAddresses("postgres://u@[::1]:6000/x"), ["[::1]:6000"]);
  assertEquals(databaseAddresses("postgres:///x"), ["localhost:5432"]);
  assertThrows(
    () => databaseAddresses("postgres://u@%2Fvar%2Frun%2Fpostgresql/x"),
    ConfigError,
    "unix socket",
  );
});

Deno.test("grants() follow the database, Sentry, listen host and paths of the configuration", () => {
  const withUser = loadConfig({ DATABASE_URL: "postgres://bmpmon@db:5433/bmpmon" });
  assertEquals(values(withUser, "net"), [
    "0.0.0.0:11019",
    "db:5433",
    `unix:${Deno.cwd()}/data/bmpmon.sock`,
  ]);
  assertEquals(values(withUser, "env"), [...ENV_VARS, ...PYBMPMON_DB_VARS, ...POSTGRES_ENV]);
  // Without a user name postgres.js falls back to USERNAME/USER/LOGNAME.
  const noUser = loadConfig({ DATABASE_URL: "postgres://db/bmpmon" });
  assertEquals(values(noUser, "env"), [
    ...ENV_VARS,
    ...PYBMPMON_DB_VARS,
    ...POSTGRES_ENV,
    ...OS_USER_ENV,
  ]);

  const c = loadConfig({
    BMP_LISTEN_HOST: "::",
    SENTRY_DSN: "https://key@o1.ingest.example/5",
    STATE_DIRECTORY: "/var/lib/bmpmon",
  });
  assertEquals(values(c, "net"), [
    "[::]:11019",
    "unix:/var/lib/bmpmon/.s.PGSQL.5432",
    "unix:/var/lib/bmpmon/bmpmon.sock",
    "o1.ingest.example:443",
  ]);
  assertEquals(values(c, "read", "/etc/bmpmon/bmpmon.env"), [
    "/var/lib/bmpmon",
    "/etc/bmpmon/bmpmon.env",
    MIGRATIONS_DIR,
    ...embeddedReadPaths(),
  ]);
  assertEquals(values(c, "write", "/etc/bmpmon/bmpmon.env"), ["/var/lib/bmpmon"]);
  assertEquals(
    values(loadConfig({ SENTRY_DSN: "http://key@127.0.0.1:9000/1" }), "net").at(-1),
    "127.0.0.1:9000",
  );
  assertThrows(
    () => permissionFlags(loadConfig({ DATA_DIR: "/srv/a,b" })),
    ConfigError,
    "DATA_DIR",
  );
});

Deno.test("grants() reach every RTR cache of RPKI_RTR and read RPKI_VRP_FILE", () => {
  const c = loadConfig({
    RPKI_RTR: "127.0.0.1:3323,[2001:db8::1]:323,rtr.example:8282",
    RPKI_VRP_FILE: "/var/lib/rpki-client/json",
  });
  const net = values(c, "net");
  for (const a of ["127.0.0.1:3323", "[2001:db8::1]:323", "rtr.example:8282"]) {
    assert(net.includes(a), `${a} not in ${net.join(",")}`);
  }
  assert(values(c, "read").includes("/var/lib/rpki-client/json"), values(c, "read").join(","));
});

const LISTEN_VARS = ENV_VARS.filter((v) => v.endsWith("_LISTEN"));
for (const name of LISTEN_VARS) {
  Deno.test(`grants() open the ${name} address`, () => {
    const c = loadConfig({ [name]: "127.0.0.1:9464" });
    assert(values(c, "net").includes("127.0.0.1:9464"), values(c, "net").join(","));
  });
}
if (LISTEN_VARS.length === 0) {
  Deno.test({
    name: "grants() open *_LISTEN addresses (skipped: no *_LISTEN variable configured)",
    ignore: true,
    fn() {},
  });
}

Deno.test("POSTGRES_ENV is exactly what postgres.js reads when it creates a pool", async () => {
  const seen = new Set<string>();
  const env = Object.getOwnPropertyDescriptor(process, "env")!;
  Object.defineProperty(process, "env", {
    configurable: true,
    value: new Proxy({}, {
      get: (_t, k) => {
        if (typeof k === "string") seen.add(k);
        return undefined;
      },
    }),
  });
  try {
    // No host, user, password, database or options in the URL: every fallback is read.
    await postgres("postgres:///").end();
  } finally {
    Object.defineProperty(process, "env", env);
  }
  // os.userInfo() answers here (--allow-all); under the flags it fails and OS_USER_ENV is read.
  assertEquals([...seen].sort(), [...POSTGRES_ENV].sort());
});

/** Runs the probe under the `deno` arguments `args` (MAIN and what follows are replaced). */
async function probe(args: string[], actions: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...args.slice(0, args.indexOf(MAIN)), PROBE, ...actions],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(text) as Record<string, string>;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A temporary DATA_DIR and env file, a stand-in database port and an unrelated port. */
async function sandbox() {
  const dir = await Deno.makeTempDir({ prefix: "bmpmon-perm-" });
  const dataDir = join(dir, "data");
  await Deno.mkdir(dataDir);
  const envFile = join(dir, "bmpmon.env");
  await Deno.writeTextFile(envFile, "LOG_LEVEL=INFO\n");
  const db = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const other = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const env = {
    DATABASE_URL: `postgres://probe:secret@127.0.0.1:${(db.addr as Deno.NetAddr).port}/x`,
    BMP_LISTEN_HOST: "127.0.0.1",
    BMP_LISTEN_PORT: String(freePort()),
    DATA_DIR: dataDir,
  };
  return {
    dir,
    dataDir,
    envFile,
    env,
    dbPort: (db.addr as Deno.NetAddr).port,
    otherPort: (other.addr as Deno.NetAddr).port,
    async close() {
      db.close();
      other.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("under the start task's flags Deno allows what the configuration needs and refuses the rest", async () => {
  const s = await sandbox();
  try {
    const args = await taskArgs("start", s.env, ["--env-file", s.envFile]);
    const migration = [...Deno.readDirSync(MIGRATIONS_DIR)][0].name;
    const allowed = [
      "env:DATABASE_URL",
      "env:PGPASSWORD",
      `connect:127.0.0.1:${s.dbPort}`,
      `listen:127.0.0.1:${s.env.BMP_LISTEN_PORT}`,
      `write:${join(s.dataDir, "probe.txt")}`,
      `read:${join(s.dataDir, "probe.txt")}`,
      `read:${s.envFile}`,
      `read:${join(MIGRATIONS_DIR, migration)}`,
      "postgres",
    ];
    const refused = [
      "env:HOME",
      "env:PATH",
      `connect:127.0.0.1:${s.otherPort}`,
      `listen:127.0.0.1:${freePort()}`,
      `listen:0.0.0.0:${s.env.BMP_LISTEN_PORT}`,
      "read:/etc/passwd",
      `read:${PROBE}`,
      `write:${join(s.dir, "outside.txt")}`,
      "sys:hostname",
      "run:true",
    ];
    const r = await probe(args, [...allowed, ...refused], s.env);
    for (const a of allowed) assertEquals(r[a], "ok", a);
    for (const a of refused) assert(r[a].startsWith("NotCapable: Requires "), `${a}: ${r[a]}`);
    assertEquals(await Deno.readTextFile(join(s.dataDir, "probe.txt")), "probe\n");
    assert(!(await Deno.stat(join(s.dir, "outside.txt")).catch(() => null)));
  } finally {
    await s.close();
  }
});

Deno.test("a permission missing from the list is noticed", async (t) => {
  const s = await sandbox();
  try {
    const args = await taskArgs("start", s.env);
    await t.step(
      "postgres.js needs every POSTGRES_ENV variable: one less and Deno refuses",
      async () => {
        const without = args.map((a) =>
          a.startsWith("--allow-env=")
            ? "--allow-env=" + a.slice(12).split(",").filter((v) => v !== "PGAPPNAME").join(",")
            : a
        );
        const r = await probe(without, ["postgres"], s.env);
        assert(r.postgres.startsWith('NotCapable: Requires env access to "PGAPPNAME"'), r.postgres);
      },
    );
    await t.step(
      "serve without net access to the database stops at start, naming DATABASE_URL",
      async () => {
        const flags = permissionFlagsOf(args).map((a) =>
          a.startsWith("--allow-net=") ? a.replace(`,127.0.0.1:${s.dbPort}`, "") : a
        );
        assert(!flags.join(" ").includes(String(s.dbPort)));
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["run", ...flags, MAIN, "serve"],
          env: { NO_COLOR: "1", ...s.env },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const err = new TextDecoder().decode(out.stderr).trim();
        assertEquals(out.code, 2, err);
        assertEquals(err.split("\n").length, 1, err);
        assert(
          err.startsWith(
            `bmpmon: DATABASE_URL: this process has no net permission for 127.0.0.1:${s.dbPort}`,
          ),
          err,
        );
      },
    );
  } finally {
    await s.close();
  }
});

dbTest("bmpmon serve under exactly the start task's flags stores a replayed capture", async () => {
  const capture = join(ROOT, "tests/fixtures/gobgp-frr-lab/gobgp-3.10-pre-100.bmp");
  const want = await expectedContent(capture);
  const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-data-" });
  let flags: string[] = [];
  const s = await serve({ DATA_DIR: dataDir }, {
    denoArgs: async (env) => {
      const args = await taskArgs("start", env);
      flags = permissionFlagsOf(args);
      return args;
    },
  });
  let code = -1;
  try {
    assert(flags.length === 5 && !flags.some((f) => f === "-A" || f === "--allow-all"));
    await replay([capture], { hostname: "127.0.0.1", port: s.port, rate: 0, connections: 1 });
    await assertStoredContent(s.sql, want);
  } finally {
    code = await s.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
  assertEquals(code, 0, s.log.join("\n"));
  assert(!s.log.some((l) => l.includes("NotCapable")), s.log.join("\n"));
});
