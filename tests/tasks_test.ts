/**
 * `deno task start` and `deno task compile` compute one permission list from the
 * configuration (src/permissions.ts) and give it unchanged to `deno run` and `deno compile`.
 */

import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { MIGRATIONS_DIR, permissionFlags } from "../src/permissions.ts";
import { COMPILE_INCLUDES } from "../scripts/launch.ts";
import { assert, assertEquals } from "./_assert.ts";
import { permissionFlagsOf, ROOT, taskArgs } from "./_tasks.ts";

const MAIN = join(ROOT, "main.ts");

Deno.test("deno task start and deno task compile grant the same permissions", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const envFile = join(dir, "bmpmon.env");
    const fileText = "BMP_LISTEN_PORT=1790\nDATA_DIR=/var/lib/bmpmon\n";
    await Deno.writeTextFile(envFile, fileText);
    const env = {
      DATABASE_URL: "postgres://bmpmon@db.example:5433/bmpmon",
      BMP_LISTEN_HOST: "192.0.2.1",
    };
    const start = await taskArgs("start", env, ["--env-file", envFile]);
    const compile = await taskArgs("compile", env, ["--env-file", envFile, "--output", "out"]);

    const flags = permissionFlagsOf(start);
    assertEquals(permissionFlagsOf(compile), flags);
    // What the configuration asks for: the env file's port, the environment's host and database.
    const config = loadConfig({ ...Deno.env.toObject(), ...env }, fileText);
    assertEquals(flags, permissionFlags(config, { envFile }));
    assert(flags.some((f) => f.startsWith("--allow-net=192.0.2.1:1790,db.example:5433,")));
    assert(flags.includes(`--allow-read=/var/lib/bmpmon,${envFile},${MIGRATIONS_DIR}`));
    for (const f of flags) assert(!/^(-A|--allow-all|--allow-(sys|run|ffi))/.test(f), f);

    assertEquals(start, ["run", ...flags, MAIN, "serve", "--env-file", envFile]);
    assertEquals(compile, [
      "compile",
      ...flags,
      ...COMPILE_INCLUDES.flatMap((f) => ["--include", f]),
      "--output",
      "out",
      MAIN,
    ]);
    assert(COMPILE_INCLUDES.includes(MIGRATIONS_DIR));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs the start task's own command (from deno.json) in `cwd`. */
async function runStartTask(cwd: string, env: Record<string, string>, extra: string[] = []) {
  const { tasks } = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const [deno, ...args] = (tasks.start as string).split(" ");
  assertEquals(deno, "deno");
  const script = args.findIndex((a) => a.endsWith(".ts"));
  args[script] = join(ROOT, args[script]);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...args, ...extra],
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const td = new TextDecoder();
  return { code: out.code, stdout: td.decode(out.stdout), stderr: td.decode(out.stderr) };
}

Deno.test("deno task start reads ./.env when no --env-file is given", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    await Deno.writeTextFile(join(dir, ".env"), "BMP_LISTEN_PORT=1791\n");
    const env = { BMP_LISTEN_HOST: "127.0.0.1", DATABASE_URL: "postgres://u@db:5432/x" };
    const r = await runStartTask(dir, env, ["--dry-run"]);
    assertEquals(r.code, 0, r.stderr);
    const args: string[] = JSON.parse(r.stdout);
    assert(args.some((a) => a.startsWith("--allow-net=127.0.0.1:1791,db:5432,")), r.stdout);
    assertEquals(args.slice(-3), ["serve", "--env-file", join(dir, ".env")]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task start stops with exit code 2 on a bad value, naming the variable", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runStartTask(dir, { BMP_LISTEN_PORT: "abc" });
    assertEquals(r.code, 2);
    assert(r.stderr.includes('BMP_LISTEN_PORT="abc"'), r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task compile refuses a relative DATA_DIR: the binary's grants name the path", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "compile", "--dry-run"],
    cwd: ROOT,
    env: { NO_COLOR: "1", DATA_DIR: "./data" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 2, err);
  assert(err.includes('bmpmon: DATA_DIR="./data": compiling needs an absolute DATA_DIR'), err);
});
