/**
 * Runs `deno task start|compile --dry-run` as a developer would and returns the `deno`
 * arguments the task computed, for tests of the permission flags.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** The repository root (where deno.json is). */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The arguments `deno task <task>` would give `deno`, with `env` over this process's env. */
export async function taskArgs(
  task: "start" | "compile",
  env: Record<string, string>,
  extra: string[] = [],
): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", task, "--dry-run", ...extra],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`deno task ${task} failed:\n${text}${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(text);
}

/** The permission flags among `deno` arguments. */
export function permissionFlagsOf(args: string[]): string[] {
  return args.filter((a) =>
    a === "--no-prompt" || a === "-A" || a.startsWith("--allow-") || a.startsWith("--deny-")
  );
}
