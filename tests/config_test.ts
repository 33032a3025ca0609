import { ConfigError, ENV_VARS, loadConfig } from "../src/config.ts";
import { permissionFlags } from "../src/permissions.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";

Deno.test("loadConfig() applies defaults", () => {
  const c = loadConfig({});
  assertEquals([c.BMP_LISTEN_HOST, c.BMP_LISTEN_PORT, c.LOG_LEVEL, c.RETENTION, c.dataDir], [
    "0.0.0.0",
    11019,
    "INFO",
    "5 years",
    "./data",
  ]);
  assertEquals(c.DATABASE_URL, undefined);
});

Deno.test("loadConfig() prefers the environment over the env file", () => {
  const c = loadConfig(
    { BMP_LISTEN_PORT: "1790" },
    "BMP_LISTEN_PORT=2000\nLOG_LEVEL=DEBUG\n# comment\n",
  );
  assertEquals([c.BMP_LISTEN_PORT, c.LOG_LEVEL], [1790, "DEBUG"]);
});

Deno.test("loadConfig() uses STATE_DIRECTORY under systemd when DATA_DIR is unset", () => {
  assertEquals(loadConfig({ STATE_DIRECTORY: "/var/lib/bmpmon" }).dataDir, "/var/lib/bmpmon");
  assertEquals(
    loadConfig({ STATE_DIRECTORY: "/var/lib/bmpmon", DATA_DIR: "/srv/x" }).dataDir,
    "/srv/x",
  );
});

Deno.test("loadConfig() names the variable of a bad value in one line", () => {
  const cases: [Record<string, string>, string][] = [
    [{ BMP_LISTEN_PORT: "70000" }, 'BMP_LISTEN_PORT="70000"'],
    [{ BMP_LISTEN_PORT: "abc" }, 'BMP_LISTEN_PORT="abc"'],
    [{ LOG_LEVEL: "LOUD" }, 'LOG_LEVEL="LOUD"'],
    [{ BATCH_MAX_MS: "900" }, 'BATCH_MAX_MS="900"'],
    [{ RETENTION: "forever" }, 'RETENTION="forever"'],
    [{ DATABASE_URL: "mysql://secret@x" }, "DATABASE_URL=(value hidden)"],
    [{ PG_LISTEN: "0.0.0.0:5433" }, 'PG_LISTEN="0.0.0.0:5433"'],
    [{ PG_LISTEN: "127.0.0.1" }, 'PG_LISTEN="127.0.0.1"'],
  ];
  for (const [env, start] of cases) {
    const e = assertThrows(() => loadConfig(env), ConfigError);
    assertEquals(e.message.startsWith(start + ": "), true, e.message);
    assertEquals(e.message.includes("\n"), false);
    assertEquals(e.message.includes("secret"), false);
  }
});

Deno.test(".env.example is valid and lists every variable the config reads", async () => {
  const text = await Deno.readTextFile(new URL("../.env.example", import.meta.url));
  const c = loadConfig({}, text);
  assertEquals(c.BMP_LISTEN_PORT, 11019);
  for (const name of ENV_VARS) {
    if (name === "STATE_DIRECTORY") continue; // set by systemd, not by users
    assertEquals(text.includes(`${name}=`), true, `${name} missing from .env.example`);
  }
});

Deno.test("README documents every variable the config reads", async () => {
  const text = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  for (const name of ENV_VARS) {
    assertEquals(text.includes(`\`${name}\``), true, `${name} missing from README`);
  }
});

Deno.test("loadConfig() takes LOG_LEVEL=WARN (and any case) for WARNING", () => {
  assertEquals(loadConfig({ LOG_LEVEL: "WARN" }).LOG_LEVEL, "WARNING");
  assertEquals(loadConfig({ LOG_LEVEL: "warn" }).LOG_LEVEL, "WARNING");
  assertEquals(loadConfig({ LOG_LEVEL: "debug" }).LOG_LEVEL, "DEBUG");
  const e = assertThrows(() => loadConfig({ LOG_LEVEL: "LOUD" }), ConfigError);
  assertEquals(e.message.startsWith('LOG_LEVEL="LOUD": '), true, e.message);
});

Deno.test("loadConfig() builds DATABASE_URL from pybmpmon's DATABASE_HOST and friends", () => {
  const env = {
    DATABASE_HOST: "db.example",
    DATABASE_PORT: "5433",
    DATABASE_NAME: "bmp",
    DATABASE_USER: "collector",
    DATABASE_PASSWORD: "p@ss:word/1",
    SENTRY_ENVIRONMENT: "lab",
    SENTRY_TRACES_SAMPLE_RATE: "0.25",
  };
  const c = loadConfig(env);
  assertEquals(c.DATABASE_URL, "postgres://collector:p%40ss%3Aword%2F1@db.example:5433/bmp");
  // postgres.js reads the same user and password back from that URL.
  const u = new URL(c.DATABASE_URL!);
  assertEquals(
    [decodeURIComponent(u.username), decodeURIComponent(u.password), u.port],
    ["collector", "p@ss:word/1", "5433"],
  );
  assertEquals([c.SENTRY_ENVIRONMENT, c.SENTRY_TRACES_SAMPLE_RATE], ["lab", 0.25]);
  // `start` and `compile` grant the database's address from the same URL.
  const net = permissionFlags(c).find((f) => f.startsWith("--allow-net="));
  assertEquals(net?.split("=")[1].split(",").includes("db.example:5433"), true, net);
  // Defaults, and DATABASE_URL wins when both are set.
  assertEquals(loadConfig({ DATABASE_HOST: "::1" }).DATABASE_URL, "postgres://[::1]:5432/bmpmon");
  assertEquals(
    loadConfig({ ...env, DATABASE_URL: "postgres://u@h:1/d" }).DATABASE_URL,
    "postgres://u@h:1/d",
  );
  // A bad value names the variable in one line and never shows the password.
  const e = assertThrows(() => loadConfig({ ...env, DATABASE_PORT: "99999" }), ConfigError);
  assertEquals(e.message.startsWith('DATABASE_PORT="99999": '), true, e.message);
  const t = assertThrows(
    () => loadConfig({ ...env, SENTRY_TRACES_SAMPLE_RATE: "2" }),
    ConfigError,
  );
  assertEquals(t.message.startsWith('SENTRY_TRACES_SAMPLE_RATE="2": '), true, t.message);
});

Deno.test("loadConfig() parses ROUTER_HOLDDOWN (off by default) and names a bad one in one line", () => {
  assertEquals(loadConfig({}).ROUTER_HOLDDOWN, undefined);
  assertEquals(loadConfig({ ROUTER_HOLDDOWN: "OFF" }).ROUTER_HOLDDOWN, undefined);
  assertEquals(loadConfig({ ROUTER_HOLDDOWN: "3/300s/600s" }).ROUTER_HOLDDOWN, {
    flaps: 3,
    periodMs: 300_000,
    holdMs: 600_000,
  });
  assertEquals(loadConfig({ ROUTER_HOLDDOWN: "4/1m/2h" }).ROUTER_HOLDDOWN, {
    flaps: 4,
    periodMs: 60_000,
    holdMs: 7_200_000,
  });
  for (const bad of ["3/300s", "0/300s/600s", "3/-1s/600s", "3/300x/600s", "x/1/1", "3/0/600"]) {
    const e = assertThrows(() => loadConfig({ ROUTER_HOLDDOWN: bad }), ConfigError);
    assertEquals(
      e.message.startsWith(`ROUTER_HOLDDOWN=${JSON.stringify(bad)}: Cannot parse`),
      true,
      e.message,
    );
    assertEquals(e.message.includes("\n"), false);
  }
});

Deno.test("loadConfig() reads RPKI_RTR as caches in order and RPKI_VRP_FILE as a path", () => {
  const c = loadConfig({
    RPKI_RTR: "127.0.0.1:3323, [2001:db8::1]:323,rpki.example:8282",
    RPKI_VRP_FILE: "/var/lib/rpki-client/json",
  });
  assertEquals(c.RPKI_RTR, [
    { hostname: "127.0.0.1", port: 3323 },
    { hostname: "2001:db8::1", port: 323 },
    { hostname: "rpki.example", port: 8282 },
  ]);
  assertEquals(c.RPKI_VRP_FILE, "/var/lib/rpki-client/json");
  assertEquals([loadConfig({}).RPKI_RTR, loadConfig({}).RPKI_VRP_FILE], [undefined, undefined]);
  for (const bad of ["127.0.0.1", "127.0.0.1:0", "host:70000", "2001:db8::1:323", "a:1,,b:2"]) {
    const e = assertThrows(() => loadConfig({ RPKI_RTR: bad }), ConfigError);
    assertEquals(e.message.startsWith(`RPKI_RTR=${JSON.stringify(bad)}: `), true, e.message);
    assertEquals(e.message.includes("\n"), false);
  }
});

Deno.test("loadConfig() takes WEB_LISTEN on loopback, and elsewhere only with WEB_TOKEN", () => {
  assertEquals(loadConfig({ WEB_LISTEN: "127.0.0.1:8080" }).WEB_LISTEN, "127.0.0.1:8080");
  const c = loadConfig({ WEB_LISTEN: "0.0.0.0:8080", WEB_TOKEN: "0123456789abcdef" });
  assertEquals([c.WEB_LISTEN, c.WEB_TOKEN], ["0.0.0.0:8080", "0123456789abcdef"]);
  const e = assertThrows(() => loadConfig({ WEB_LISTEN: "[::]:8080" }), ConfigError);
  assert(e.message.startsWith("WEB_TOKEN: required when WEB_LISTEN"), e.message);
  assertEquals(e.message.includes("\n"), false);
  const short = assertThrows(() => loadConfig({ WEB_TOKEN: "short" }), ConfigError);
  assertEquals(short.message, "WEB_TOKEN=(value hidden): must be at least 16 characters");
  assertThrows(() => loadConfig({ WEB_LISTEN: "8080" }), ConfigError);
});

Deno.test("loadConfig() connects with libpq's PGHOST and friends when nothing else is set", () => {
  const env = {
    PGHOST: "db.example",
    PGPORT: "5433",
    PGDATABASE: "bmp",
    PGUSER: "collector",
    PGPASSWORD: "p@ss",
  };
  assertEquals(loadConfig(env).DATABASE_URL, "postgres://collector:p%40ss@db.example:5433/bmp");
  // From the env file too, and libpq's defaults: port 5432, database named as the user.
  assertEquals(
    loadConfig({}, "PGHOST=::1\nPGUSER=bmpmon\n").DATABASE_URL,
    "postgres://bmpmon@[::1]:5432/bmpmon",
  );
  // Without PGHOST they are postgres.js's business only: the embedded store stays.
  assertEquals(loadConfig({ PGUSER: "x", PGPORT: "5433" }).DATABASE_URL, undefined);
  // DATABASE_URL, then pybmpmon's DATABASE_HOST, come first.
  assertEquals(
    loadConfig({ ...env, DATABASE_URL: "postgres://u@h:1/d" }).DATABASE_URL,
    "postgres://u@h:1/d",
  );
  assertEquals(
    loadConfig({ ...env, DATABASE_HOST: "other" }).DATABASE_URL,
    "postgres://other:5432/bmpmon",
  );
  const net = permissionFlags(loadConfig(env)).find((f) => f.startsWith("--allow-net="));
  assert(net?.split("=")[1].split(",").includes("db.example:5433"), net);
  // What cannot be one URL is said in one line, the password never shown.
  for (
    const [bad, name] of [[{ PGHOST: "/var/run/postgresql" }, "PGHOST"], [
      { PGPORT: "x" },
      "PGPORT",
    ]]
  ) {
    const e = assertThrows(
      () => loadConfig({ ...env, ...bad as Record<string, string> }),
      ConfigError,
    );
    assert(e.message.startsWith(`${name}=`) && !e.message.includes("\n"), e.message);
    assert(!e.message.includes("p@ss"), e.message);
  }
});

// Shaped as pybmpmon documents its `.env`: docs/configuration.md ("Production") uses the
// DATABASE_* names, its .env.example and settings class the DB_* ones (with pool sizes
// bmpmon has no use for). Values are ours.
const PYBMPMON_DOCS_ENV = `BMP_LISTEN_HOST=0.0.0.0
BMP_LISTEN_PORT=11019

DATABASE_HOST=postgres-prod
DATABASE_PORT=5432
DATABASE_NAME=bmpmon
DATABASE_USER=bmpmon
DATABASE_PASSWORD=strong_random_password

LOG_LEVEL=INFO

SENTRY_DSN=https://key@sentry.example/1
SENTRY_ENVIRONMENT=production
SENTRY_TRACES_SAMPLE_RATE=0.1
`;
const PYBMPMON_EXAMPLE_ENV = `# Database Configuration
DB_HOST=localhost
DB_PORT=5432
DB_USER=bmpmon
DB_PASSWORD=changeme
DB_NAME=bmpmon
DB_POOL_MIN_SIZE=5
DB_POOL_MAX_SIZE=10
SENTRY_DSN=
SENTRY_ENVIRONMENT=development
SENTRY_TRACES_SAMPLE_RATE=0.1
`;

Deno.test("a pybmpmon .env, as its docs and its .env.example write it, reaches the same database", () => {
  const docs = loadConfig({}, PYBMPMON_DOCS_ENV);
  assertEquals(
    docs.DATABASE_URL,
    "postgres://bmpmon:strong_random_password@postgres-prod:5432/bmpmon",
  );
  assertEquals([docs.SENTRY_ENVIRONMENT, docs.SENTRY_TRACES_SAMPLE_RATE], ["production", 0.1]);
  const example = loadConfig({}, PYBMPMON_EXAMPLE_ENV);
  assertEquals(example.DATABASE_URL, "postgres://bmpmon:changeme@localhost:5432/bmpmon");
  assertEquals(example.SENTRY_DSN, undefined, "an empty SENTRY_DSN is off, as in pybmpmon");
  // The DATABASE_* name wins over its DB_* twin; a bad DB_* value is named as written.
  assertEquals(
    loadConfig({ DATABASE_HOST: "a" }, PYBMPMON_EXAMPLE_ENV).DATABASE_URL,
    "postgres://bmpmon:changeme@a:5432/bmpmon",
  );
  const e = assertThrows(() => loadConfig({ DB_PORT: "x" }, PYBMPMON_EXAMPLE_ENV), ConfigError);
  assert(e.message.startsWith('DB_PORT="x": '), e.message);
  const p = assertThrows(
    () => loadConfig({ DATABASE_PORT: "99999" }, PYBMPMON_EXAMPLE_ENV),
    ConfigError,
  );
  assert(!p.message.includes("changeme"), p.message);
  // start and compile may read the DB_* names.
  const env = permissionFlags(example).find((f) => f.startsWith("--allow-env="))!;
  for (const v of ["DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD"]) {
    assert(env.split("=")[1].split(",").includes(v), `${v} not in ${env}`);
  }
});
