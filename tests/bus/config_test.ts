/**
 * The bus variables: defaults, parsing, one-line errors naming the variable, and the
 * permissions serve gets for them.
 */

import { ConfigError, loadConfig } from "../../src/config.ts";
import { grants, permissionFlags } from "../../src/permissions.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";

Deno.test("loadConfig() leaves the bus off without BUS_URL and applies its defaults", () => {
  const c = loadConfig({});
  assertEquals(c.BUS_URL, undefined);
  assertEquals([c.BUS_STREAM, c.BUS_REPLICAS, c.BUS_MAX_AGE, c.BUS_MAX_BYTES], [
    "BMP",
    1,
    7 * 86_400_000,
    -1,
  ]);
});

Deno.test("loadConfig() reads BUS_URL lists, durations and sizes", () => {
  const c = loadConfig({
    BUS_URL: "nats://n1:4222, tls://[2001:db8::1]:4443,nats://n3",
    BUS_MAX_AGE: "12h",
    BUS_MAX_BYTES: "10G",
    BUS_REPLICAS: "3",
    BUS_STREAM: "BMP_LAB",
    BUS_COLLECTOR_ID: "edge-1.lab",
  });
  assertEquals(c.BUS_URL!.map((s) => [s.hostname, s.port, s.tls]), [
    ["n1", 4222, false],
    ["2001:db8::1", 4443, true],
    ["n3", 4222, false],
  ]);
  assertEquals([c.BUS_MAX_AGE, c.BUS_MAX_BYTES, c.BUS_REPLICAS], [43_200_000, 10 * 2 ** 30, 3]);
  assertEquals(loadConfig({ BUS_MAX_AGE: "0" }).BUS_MAX_AGE, 0);
});

Deno.test("loadConfig() reads BUS_PARSED: off by default, true or false in any case", () => {
  assertEquals(loadConfig({}).BUS_PARSED, false);
  assertEquals(loadConfig({ BUS_URL: "nats://n1", BUS_PARSED: "TRUE" }).BUS_PARSED, true);
  assertEquals(loadConfig({ BUS_URL: "nats://n1", BUS_PARSED: "false" }).BUS_PARSED, false);
});

Deno.test("loadConfig() refuses bad bus values in one line naming the variable", () => {
  const bad: [Record<string, string>, string][] = [
    [{ BUS_URL: "http://n1:4222" }, 'BUS_URL="http://n1:4222": cannot read'],
    [{ BUS_URL: "nats://user:pw@n1:4222" }, "BUS_URL="],
    [{ BUS_URL: "nats://n1:70000" }, 'BUS_URL="nats://n1:70000": cannot read'],
    [{ BUS_URL: " , " }, "BUS_URL="],
    [{ BUS_REPLICAS: "0" }, 'BUS_REPLICAS="0": '],
    [{ BUS_REPLICAS: "7" }, 'BUS_REPLICAS="7": '],
    [{ BUS_MAX_AGE: "7 fortnights" }, "BUS_MAX_AGE=\"7 fortnights\": must be like '7d'"],
    [{ BUS_MAX_AGE: "5m" }, 'BUS_MAX_AGE="5m": must be at least 10m'],
    [{ BUS_MAX_BYTES: "lots" }, 'BUS_MAX_BYTES="lots": must be bytes'],
    [{ BUS_STREAM: "bmp.raw" }, 'BUS_STREAM="bmp.raw": must be'],
    [{ BUS_COLLECTOR_ID: "a b" }, 'BUS_COLLECTOR_ID="a b": must be'],
    [{ BUS_URL: "nats://n1", BUS_USER: "u", BUS_TOKEN: "t" }, "BUS_USER, BUS_TOKEN: set only one"],
    [{ BUS_PASSWORD: "secret" }, "BUS_PASSWORD: set BUS_USER too"],
    [{ STORE: "none" }, "STORE=none: set BUS_URL too"],
    [{ BUS_URL: "nats://n1", BUS_PARSED: "yes" }, "BUS_PARSED=\"yes\": must be 'true' or 'false'"],
    [{ BUS_PARSED: "true" }, "BUS_PARSED=true: set BUS_URL too"],
    [{ STORE: "nothing", BUS_URL: "nats://n1" }, "STORE=\"nothing\": must be 'database' or 'none'"],
  ];
  for (const [env, start] of bad) {
    const e = assertThrows(() => loadConfig(env), ConfigError);
    assert(e.message.startsWith(start), `${JSON.stringify(env)}: ${e.message}`);
    assert(!e.message.includes("\n"), e.message);
  }
  // Secrets are not echoed.
  const e = assertThrows(
    () =>
      loadConfig({
        BUS_URL: "nats://n1",
        BUS_USER: "u",
        BUS_PASSWORD: "hunter2",
        BUS_TOKEN: "t0k",
      }),
    ConfigError,
  );
  assert(!e.message.includes("hunter2") && !e.message.includes("t0k"), e.message);
});

Deno.test("serve's permissions cover the NATS servers, the creds and CA files and the host name", () => {
  const c = loadConfig({
    DATABASE_URL: "postgres://u@db:5432/x",
    BUS_URL: "nats://n1:4222,tls://n2:4443",
    BUS_CREDS_FILE: "/etc/bmpmon/nats.creds",
    BUS_TLS_CA_FILE: "/etc/bmpmon/ca.pem",
  });
  const flags = permissionFlags(c);
  const net = flags.find((f) => f.startsWith("--allow-net="))!.split("=")[1].split(",");
  assert(net.includes("n1:4222") && net.includes("n2:4443"), net.join());
  const read = flags.find((f) => f.startsWith("--allow-read="))!.split("=")[1].split(",");
  assert(read.includes("/etc/bmpmon/nats.creds") && read.includes("/etc/bmpmon/ca.pem"));
  assert(flags.includes("--allow-sys=hostname"), flags.join(" "));
  // With a collector id no host name is read; without BUS_URL none of it is granted.
  const named = permissionFlags(loadConfig({ BUS_URL: "nats://n1", BUS_COLLECTOR_ID: "c1" }));
  assert(!named.some((f) => f.startsWith("--allow-sys")), named.join(" "));
  const off = grants(loadConfig({ BUS_CREDS_FILE: "/etc/bmpmon/nats.creds" }));
  assert(!off.some((g) => g.for.startsWith("BUS_")), JSON.stringify(off));
});

Deno.test("bmpmon consume without BUS_URL, or with STORE=none, stops with one line", async () => {
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const dir = await Deno.makeTempDir();
  try {
    for (
      const [env, line] of [
        [{}, "bmpmon: BUS_URL: required by consume (the stream it stores from)"],
        [
          { BUS_URL: "nats://127.0.0.1:4222", STORE: "none" },
          "bmpmon: STORE=none: consume writes into a store; unset STORE",
        ],
      ] as const
    ) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", main, "consume"],
        env: { ...env, DATA_DIR: dir },
        clearEnv: true,
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(
        [out.code, new TextDecoder().decode(out.stderr).trim()],
        [2, line],
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
