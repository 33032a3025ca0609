/**
 * deploy/: install.sh puts the binary, unit, user and env file where systemd expects them
 * (into a temporary DESTDIR here), the unit passes `systemd-analyze verify` as installed,
 * the example env file covers every variable, and the scripts are shellcheck-clean.
 */

import { join } from "node:path";
import { ENV_VARS, loadConfig } from "../src/config.ts";
import { assert, assertEquals } from "./_assert.ts";
import { ROOT, taskArgs } from "./_tasks.ts";

const DEPLOY = join(ROOT, "deploy");

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const td = new TextDecoder();
  return { code: out.code, stdout: td.decode(out.stdout), stderr: td.decode(out.stderr) };
}

function has(program: string): boolean {
  try {
    new Deno.Command(program, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

async function mode(path: string): Promise<string> {
  return ((await Deno.stat(path)).mode! & 0o777).toString(8);
}

Deno.test("install.sh installs into DESTDIR, keeps an existing env file, and --dry-run changes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bmpmon-install-" });
  try {
    const binary = join(dir, "bmpmon");
    await Deno.writeTextFile(binary, "#!/bin/sh\necho v1\n");
    const root = join(dir, "root");
    const r = await run("sh", [join(DEPLOY, "install.sh"), binary], { DESTDIR: root });
    assertEquals(r.code, 0, r.stderr);
    assert(!r.stdout.includes("systemctl daemon-reload"), "no systemctl under DESTDIR");
    const files: [string, string, string][] = [
      ["usr/local/bin/bmpmon", "755", binary],
      ["etc/systemd/system/bmpmon.service", "644", join(DEPLOY, "bmpmon.service")],
      [
        "etc/systemd/system/bmpmon-consume.service",
        "644",
        join(DEPLOY, "bmpmon-consume.service"),
      ],
      ["etc/sysusers.d/bmpmon.conf", "644", join(DEPLOY, "bmpmon.sysusers")],
      ["etc/bmpmon/bmpmon.env", "600", join(DEPLOY, "bmpmon.env")],
    ];
    for (const [path, m, source] of files) {
      assertEquals(await mode(join(root, path)), m, path);
      assertEquals(
        await Deno.readTextFile(join(root, path)),
        await Deno.readTextFile(source),
        path,
      );
    }

    // An upgrade replaces the binary and the unit, never the operator's settings.
    const settings = join(root, "etc/bmpmon/bmpmon.env");
    await Deno.writeTextFile(settings, "DATABASE_URL=postgres://bmpmon@db/bmpmon\n");
    await Deno.writeTextFile(binary, "#!/bin/sh\necho v2\n");
    const again = await run("sh", [join(DEPLOY, "install.sh"), binary], { DESTDIR: root });
    assertEquals(again.code, 0, again.stderr);
    assert(again.stdout.includes(`keeping ${settings}`), again.stdout);
    assertEquals(await Deno.readTextFile(settings), "DATABASE_URL=postgres://bmpmon@db/bmpmon\n");
    assertEquals(
      await Deno.readTextFile(join(root, "usr/local/bin/bmpmon")),
      "#!/bin/sh\necho v2\n",
    );

    // --env-file for a fresh root; --dry-run prints the same steps and writes nothing.
    const envFile = join(dir, "site.env");
    await Deno.writeTextFile(envFile, "BMP_LISTEN_PORT=1790\n");
    const fresh = join(dir, "fresh");
    const dry = await run("sh", [
      join(DEPLOY, "install.sh"),
      "--dry-run",
      "--env-file",
      envFile,
      binary,
    ], { DESTDIR: fresh });
    assertEquals(dry.code, 0, dry.stderr);
    assert(dry.stdout.includes(`+ install -D -m 0600 ${envFile} ${fresh}/etc/bmpmon/bmpmon.env`));
    assert(!(await Deno.stat(fresh).catch(() => null)), "dry run wrote nothing");
    const real = await run("sh", [join(DEPLOY, "install.sh"), "--env-file", envFile, binary], {
      DESTDIR: fresh,
    });
    assertEquals(real.code, 0, real.stderr);
    assertEquals(
      await Deno.readTextFile(join(fresh, "etc/bmpmon/bmpmon.env")),
      "BMP_LISTEN_PORT=1790\n",
    );

    const missing = await run("sh", [join(DEPLOY, "install.sh"), join(dir, "nope")], {
      DESTDIR: root,
    });
    assertEquals(missing.code, 1);
    assert(missing.stderr.includes("nope: no such file"), missing.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const UNIT_SETTINGS = [
  "User=bmpmon",
  "StateDirectory=bmpmon",
  "ProtectSystem=strict",
  "ProtectHome=yes",
  "PrivateTmp=yes",
  "NoNewPrivileges=yes",
  "CapabilityBoundingSet=",
  "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
  "SystemCallFilter=@system-service",
  "Restart=on-failure",
  "RestartPreventExitStatus=2",
  "LimitNOFILE=65536",
  "EnvironmentFile=-/etc/bmpmon/bmpmon.env",
  "ExecStart=/usr/local/bin/bmpmon serve",
];

Deno.test("bmpmon.service sandboxes the service and leaves V8 its writable+executable memory", async () => {
  const lines = (await Deno.readTextFile(join(DEPLOY, "bmpmon.service"))).split("\n");
  for (const s of UNIT_SETTINGS) assert(lines.includes(s), s);
  assert(!lines.some((l) => l.startsWith("MemoryDenyWriteExecute=")), "V8 needs W+X memory");
});

Deno.test("bmpmon-consume.service is the same sandbox running consume with its own state", async () => {
  const lines = (await Deno.readTextFile(join(DEPLOY, "bmpmon-consume.service"))).split("\n");
  const own: Record<string, string> = {
    "StateDirectory=bmpmon": "StateDirectory=bmpmon-consume",
    "LimitNOFILE=65536": "LimitNOFILE=4096",
    "ExecStart=/usr/local/bin/bmpmon serve": "ExecStart=/usr/local/bin/bmpmon consume",
  };
  for (const s of UNIT_SETTINGS) assert(lines.includes(own[s] ?? s), own[s] ?? s);
  assert(!lines.some((l) => l.startsWith("MemoryDenyWriteExecute=")), "V8 needs W+X memory");
});

if (has("systemd-analyze")) {
  Deno.test("systemd-analyze verify accepts bmpmon.service as install.sh installs it", async () => {
    const ok = await run("sh", [join(DEPLOY, "verify.sh")]);
    assertEquals([ok.code, ok.stderr], [0, ""]);
    assertEquals(
      ok.stdout.trim(),
      "bmpmon.service: verified\nbmpmon-consume.service: verified",
    );
  });
  Deno.test("systemd-analyze verify --root checks ExecStart's binary inside the root", async () => {
    // What verify.sh does, less the binary: the check is about the installed tree.
    const dir = await Deno.makeTempDir();
    try {
      const root = join(dir, "root");
      const units = ["/usr/lib/systemd/system", "/lib/systemd/system"].find((d) => isDir(d))!;
      await Deno.mkdir(join(root, "usr/lib/systemd"), { recursive: true });
      assertEquals((await run("cp", ["-R", units, join(root, "usr/lib/systemd/system")])).code, 0);
      const binary = join(dir, "bmpmon");
      await Deno.writeTextFile(binary, "#!/bin/sh\n");
      await run("sh", [join(DEPLOY, "install.sh"), binary], { DESTDIR: root });
      await Deno.remove(join(root, "usr/local/bin/bmpmon"));
      const r = await run("systemd-analyze", [
        "verify",
        `--root=${root}`,
        "/etc/systemd/system/bmpmon.service",
      ]);
      assert(r.code !== 0);
      assert(r.stderr.includes("/usr/local/bin/bmpmon is not executable"), r.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
} else {
  Deno.test({
    name: "systemd-analyze verify of bmpmon.service (skipped: systemd-analyze not installed)",
    ignore: true,
    fn() {},
  });
}

Deno.test("deploy/bmpmon.env lists every variable and compiles a binary for /var/lib/bmpmon", async () => {
  const text = await Deno.readTextFile(join(DEPLOY, "bmpmon.env"));
  for (const v of ENV_VARS) {
    if (v === "STATE_DIRECTORY") assert(text.includes(v), v);
    else assert(new RegExp(`^(# )?${v}=`, "m").test(text), `${v} missing from deploy/bmpmon.env`);
  }
  assertEquals(loadConfig({}, text).dataDir, "/var/lib/bmpmon");
  const args = await taskArgs("compile", { DATABASE_URL: "" }, [
    "--env-file",
    join(DEPLOY, "bmpmon.env"),
  ]);
  assert(args.includes("--allow-write=/var/lib/bmpmon"), args.join(" "));
});

if (has("shellcheck")) {
  Deno.test("deploy scripts are shellcheck-clean", async () => {
    const r = await run("shellcheck", [join(DEPLOY, "install.sh"), join(DEPLOY, "verify.sh")]);
    assertEquals([r.code, r.stdout], [0, ""]);
  });
} else {
  Deno.test({
    name: "deploy scripts are shellcheck-clean (skipped: shellcheck not installed)",
    ignore: true,
    fn() {},
  });
}
