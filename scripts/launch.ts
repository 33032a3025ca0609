/**
 * `deno task start` and `deno task compile`: reads the configuration (environment, then the
 * env file), computes its permission flags (src/permissions.ts) and runs
 * `deno run <flags> main.ts serve` or `deno compile <flags> --output bmpmon main.ts`.
 *
 * ```text
 * deno task start   [--env-file FILE] [--dry-run]
 * deno task compile [--env-file FILE] [--output FILE] [--dry-run]
 * ```
 *
 * Without `--env-file`, `./.env` is used when it exists. `--dry-run` prints the arguments
 * given to `deno` as one JSON array instead of running it.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, UsageError } from "../src/cli/args.ts";
import { type Config, ConfigError, configFromProcess } from "../src/config.ts";
import { MIGRATIONS_DIR, permissionFlags } from "../src/permissions.ts";

/** The entry point that `start` runs and `compile` builds. */
export const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

/**
 * What `deno compile` embeds beyond main.ts's imports: the migrations (read at start) and
 * the embedded store's worker (a worker is not an import). The binary may read its own files.
 */
export const COMPILE_INCLUDES = [
  MIGRATIONS_DIR,
  fileURLToPath(new URL("../src/store/embedded/worker.ts", import.meta.url)),
];

/** Options of {@linkcode denoArgs}. */
export interface LaunchOptions {
  /** The env file `serve` reads (start) and whose path the binary may read (compile). */
  envFile?: string;
  /** The executable `compile` writes; default `bmpmon`. */
  output?: string;
}

/**
 * The arguments of `deno` for a task; both tasks carry the same permission flags.
 *
 * @throws {ConfigError} to compile with a relative DATA_DIR: the binary's grants name it
 */
export function denoArgs(task: "start" | "compile", config: Config, opts: LaunchOptions = {}) {
  const flags = permissionFlags(config, { envFile: opts.envFile });
  if (task === "start") {
    return ["run", ...flags, MAIN, "serve", ...(opts.envFile ? ["--env-file", opts.envFile] : [])];
  }
  if (!isAbsolute(config.dataDir)) {
    throw new ConfigError(
      `DATA_DIR=${JSON.stringify(config.dataDir)}: compiling needs an absolute DATA_DIR ` +
        "(e.g. --env-file deploy/bmpmon.env: /var/lib/bmpmon)",
    );
  }
  return [
    "compile",
    ...flags,
    ...COMPILE_INCLUDES.flatMap((f) => ["--include", f]),
    "--output",
    opts.output ?? "bmpmon",
    MAIN,
  ];
}

async function launch(argv: string[]): Promise<number> {
  const [task, ...rest] = argv;
  if (task !== "start" && task !== "compile") throw new UsageError("launch.ts start|compile");
  const { args, flags } = parseArgs(rest, ["env-file", "output"]);
  for (const k of flags.keys()) {
    if (!["env-file", "dry-run", ...(task === "compile" ? ["output"] : [])].includes(k)) {
      throw new UsageError(`unknown option --${k}`);
    }
  }
  if (args.length) throw new UsageError(`unexpected argument ${args[0]}`);
  const given = flags.get("env-file") as string | undefined;
  const envFile = given ? resolve(given) : existsSync(".env") ? resolve(".env") : undefined;
  const config = await configFromProcess(envFile);
  const deno = denoArgs(task, config, { envFile, output: flags.get("output") as string });
  if (flags.has("dry-run")) {
    console.log(JSON.stringify(deno));
    return 0;
  }
  // "deno" from PATH: the launcher may only run that (--allow-run=deno), not Deno.execPath().
  const child = new Deno.Command("deno", { args: deno }).spawn();
  // Ctrl-C reaches both processes; a SIGTERM to the launcher is passed on. Either way the
  // launcher waits for serve to flush and exits with its code.
  const forward = (s: Deno.Signal) => () => {
    try {
      child.kill(s);
    } catch { /* already exited */ }
  };
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGINT", forward("SIGINT")],
    ["SIGTERM", forward("SIGTERM")],
  ];
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  const status = await child.status;
  for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  return status.code;
}

if (import.meta.main) {
  try {
    Deno.exit(await launch(Deno.args));
  } catch (e) {
    if (!(e instanceof ConfigError || e instanceof UsageError)) throw e;
    console.error(`bmpmon: ${e.message}`);
    Deno.exit(2);
  }
}
