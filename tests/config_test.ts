import { ConfigError, ENV_VARS, loadConfig } from "../src/config.ts";
import { permissionFlags } from "../src/permissions.ts";
import { assertEquals, assertThrows } from "./_assert.ts";

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
