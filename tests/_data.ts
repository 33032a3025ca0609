/**
 * Where tests find captures: bundled fixtures (always there) and the shared data set
 * beside the project root (`../shared/data`, absent for users: tests on it are
 * registered as ignored with a name that says so).
 *
 * @module
 */

import type { BmpMessage } from "../src/bmp/message.ts";
import { readBmpStream } from "../src/bmp/stream.ts";
import { readCapture } from "../src/io/file.ts";

/** Absolute path of a bundled fixture under tests/fixtures/. */
export function fixture(rel: string): string {
  return new URL(`./fixtures/${rel}`, import.meta.url).pathname;
}

/** Absolute path of the shared data folder. */
export const SHARED_DATA = new URL("../../shared/data/", import.meta.url).pathname;

/** True when ../shared/data exists. */
export const HAS_SHARED = (() => {
  try {
    return Deno.statSync(SHARED_DATA).isDirectory;
  } catch {
    return false;
  }
})();

/** Absolute path of a shared data file. */
export function shared(rel: string): string {
  return SHARED_DATA + rel;
}

/** Registers a test on shared data, or an ignored one saying why when it is absent. */
export function sharedTest(name: string, fn: () => void | Promise<void>): void {
  if (HAS_SHARED) Deno.test(name, fn);
  else Deno.test({ name: `${name} (skipped: ../shared/data not present)`, ignore: true, fn });
}

/** Lists files under a shared data folder (recursively) whose names match `re`. */
export function sharedFiles(dir: string, re: RegExp): string[] {
  const out: string[] = [];
  if (!HAS_SHARED) return out;
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) walk(p);
      else if (re.test(e.name)) out.push(p);
    }
  };
  walk(shared(dir).replace(/\/$/, ""));
  return out.sort();
}

/**
 * The decoded messages of the first flow of a capture under tests/fixtures, in order
 * (messages the decoder rejected left out).
 */
export async function fixtureMessages(rel: string): Promise<BmpMessage[]> {
  const capture = await readCapture(fixture(rel));
  return [...readBmpStream(capture.flows[0].data)].map((i) => i.message)
    .filter((m): m is BmpMessage => m !== undefined);
}
