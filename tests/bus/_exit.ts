/**
 * `serve` run until it stops by itself, for the tests of what a bus refuses: its exit code
 * and output, and the one-line error they expect.
 *
 * @module
 */

import { assert, assertEquals } from "../_assert.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Runs `serve` with `env` until it exits; its code and output. */
export async function serveExit(env: Record<string, string>) {
  const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-bus-refusal-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "serve"],
      env: {
        BMP_LISTEN_HOST: "127.0.0.1",
        BMP_LISTEN_PORT: "0",
        DATA_DIR: dataDir,
        // Never reached: the bus is checked first.
        DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
        ...env,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const d = new TextDecoder();
    return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** Asserts one line on stderr, matching `re`, and exit code 2. */
export function assertOneLine(r: { code: number; stderr: string; stdout: string }, re: RegExp) {
  const lines = r.stderr.trim().split("\n");
  assertEquals(r.code, 2, `exit code; stderr:\n${r.stderr}\nstdout:\n${r.stdout}`);
  assertEquals(lines.length, 1, `one line: ${r.stderr}`);
  assert(re.test(lines[0]), `${re} in ${lines[0]}`);
  assert(!/\n\s+at /.test(r.stderr), "no stack trace");
}
