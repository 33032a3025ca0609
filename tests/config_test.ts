import { ConfigError, ENV_VARS, loadConfig } from "../src/config.ts";
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
