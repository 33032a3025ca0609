/**
 * Fuzz test of one router session as `serve` runs it: FUZZ_SESSION_MESSAGES (default, and
 * in CI, 10,000,000) generated and mutated BMP messages, in streams read in random
 * sizes, through the Framer, `BmpSession.decode` and the store's row building and
 * encoding (`_session.ts` has the invariants). The run is split over shards, each a
 * separate `deno run` process, so that a crash or an exit of the process is seen as
 * such; a shard that stops reporting for STALL_MS is a hang.
 *
 * Environment: FUZZ_SESSION_MESSAGES (count; lower it only for local runs), FUZZ_SEED (a
 * number, or "random"; default 7854), FUZZ_SESSION_SHARDS (default: the CPU count, at
 * most 8).
 *
 * A failing stream is saved under tests/fixtures/fuzz-crashers/ (and replayed by every
 * later run, here and by decode_fuzz_test.ts).
 *
 * @module
 */

import { assert, assertEquals } from "../_assert.ts";
import { mixSeed, Rng } from "./_mutate.ts";
import {
  loadSessionSources,
  mergeSessionStats,
  newSessionStats,
  runSessionStream,
  type SessionStats,
  sessionStreamAt,
  type ShardResult,
} from "./_session.ts";

const HARNESS = new URL("./_session.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const CRASHERS = new URL("../fixtures/fuzz-crashers/", import.meta.url);
const STALL_MS = 60_000;

const envInt = (name: string, dflt: number) => {
  const v = Deno.env.get(name);
  return v === undefined || v === "" ? dflt : Number(v.replaceAll("_", ""));
};

const fmt = (n: number) => n.toLocaleString("en-US");
const table = (r: Record<string, number>) =>
  Object.entries(r).sort(([, a], [, c]) => c - a).map(([k, n]) => `${k} ${fmt(n)}`).join(", ") ||
  "none";

async function saveCrasher(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes)));
  const name = Array.from(digest.subarray(0, 8), (x) => x.toString(16).padStart(2, "0")).join("") +
    ".bin";
  await Deno.mkdir(CRASHERS, { recursive: true });
  await Deno.writeFile(new URL(name, CRASHERS), bytes);
  return new URL(name, CRASHERS).pathname;
}

Deno.test("every saved fuzz crasher goes through the session pipeline, whole and byte by byte", async () => {
  let n = 0;
  const failures: string[] = [];
  for await (const e of Deno.readDir(CRASHERS)) {
    if (!e.name.endsWith(".bin")) continue;
    n++;
    const bytes = await Deno.readFile(new URL(e.name, CRASHERS));
    for (const reads of ["whole", "tiny"]) {
      const stats = newSessionStats();
      for (const v of runSessionStream(bytes, reads, new Rng(1), stats)) {
        failures.push(`${e.name} (${reads}): ${v}`);
      }
    }
  }
  console.log(`  ${n} crashers replayed`);
  assert(n > 0, "the crasher corpus is empty");
  assertEquals(failures, []);
});

Deno.test("the session pipeline's results do not depend on how the stream is split into reads", async () => {
  const sources = await loadSessionSources();
  const strip = (s: SessionStats) => ({ ...s, copyBytes: 0 });
  for (let k = 0; k < 300; k++) {
    const bytes = sessionStreamAt(sources, 7854, k).bytes.slice();
    const results = ["whole", "64k", "small", "tiny"].map((reads) => {
      const stats = newSessionStats();
      assertEquals(runSessionStream(bytes, reads, new Rng(mixSeed(k, 1)), stats), []);
      return strip(stats);
    });
    for (const r of results.slice(1)) assertEquals(r, results[0], `stream ${k}`);
  }
});

/** Runs one shard process; resolves with its result, or a violation for an exit or hang. */
async function runShardProcess(
  seed: number,
  shard: number,
  shards: number,
  messages: number,
): Promise<ShardResult | { exit: string; lastStream: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      CONFIG,
      "--allow-read",
      HARNESS,
      String(seed),
      String(shard),
      String(shards),
      String(messages),
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let last = -1;
  let seen = Date.now();
  let tail = "";
  const other: string[] = [];
  const errPump = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      seen = Date.now();
      const lines = (tail + chunk).split("\n");
      tail = lines.pop()!;
      for (const l of lines) {
        if (l.startsWith("@")) last = Number(l.slice(1));
        else if (other.length < 50) other.push(l);
      }
    }
  })();
  const outPump = new Response(child.stdout).text();
  let hung = false;
  const watchdog = setInterval(() => {
    if (Date.now() - seen > STALL_MS) {
      hung = true;
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
    }
  }, 1000);
  const status = await child.status;
  clearInterval(watchdog);
  await errPump;
  const out = await outPump;
  if (hung) return { exit: `no progress for ${STALL_MS / 1000} s`, lastStream: last };
  if (!status.success) {
    return {
      exit: `exited with code ${status.code}${status.signal ? ` (${status.signal})` : ""}: ${
        other.slice(-10).join("\n")
      }`,
      lastStream: last,
    };
  }
  return JSON.parse(out.trim().split("\n").pop()!) as ShardResult;
}

Deno.test("Framer + BmpSession + row building raise only DecodeErrors on FUZZ_SESSION_MESSAGES messages", async () => {
  const count = envInt("FUZZ_SESSION_MESSAGES", 10_000_000);
  const seedEnv = Deno.env.get("FUZZ_SEED");
  const seed = seedEnv === "random"
    ? crypto.getRandomValues(new Uint32Array(1))[0]
    : envInt("FUZZ_SEED", 7854) >>> 0;
  const shards = Math.max(
    1,
    envInt("FUZZ_SESSION_SHARDS", Math.min(8, navigator.hardwareConcurrency)),
  );
  console.log(
    `  seed ${seed} (FUZZ_SEED=${seed} to reproduce), ${
      fmt(count)
    } messages, ${shards} shard processes`,
  );
  const per = Math.ceil(count / shards);
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: shards }, (_, i) => runShardProcess(seed, i, shards, per)),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const stats = newSessionStats();
  const problems: { stream: number; reason: string }[] = [];
  results.forEach((r, i) => {
    if ("exit" in r) problems.push({ stream: r.lastStream, reason: `shard ${i} ${r.exit}` });
    else {
      mergeSessionStats(stats, r.stats);
      problems.push(...r.violations);
      console.log(
        `  shard ${i}: ${fmt(r.stats.messages)} messages in ${r.seconds.toFixed(1)} s (${
          fmt(Math.round(r.stats.messages / r.seconds))
        } messages/s)`,
      );
    }
  });
  console.log(
    [
      `  elapsed ${elapsed.toFixed(1)} s: ${
        fmt(Math.round(stats.messages / elapsed))
      } messages/s over all shards`,
      `  ${fmt(stats.streams)} streams, ${fmt(stats.generated)} messages generated (${
        fmt(stats.mutated)
      } mutated), ${fmt(stats.messages)} framed and decoded, ${fmt(stats.decoded)} decoded OK`,
      `  kinds: ${table(stats.kinds)}`,
      `  DecodeErrors by code: ${table(stats.decodeErrors)}`,
      `  framing errors (stream ended): ${table(stats.framingErrors)}`,
      `  rows: ${fmt(stats.routeRows)} route rows, ${fmt(stats.attrSets)} attribute sets, ${
        (stats.copyBytes / 2 ** 20).toFixed(0)
      } MiB of COPY text`,
    ].join("\n"),
  );
  if (problems.length) {
    const sources = await loadSessionSources();
    const lines: string[] = [];
    for (const p of problems.slice(0, 20)) {
      const saved = p.stream >= 0
        ? await saveCrasher(sessionStreamAt(sources, seed, p.stream).bytes.slice())
        : "(no stream)";
      lines.push(`stream ${p.stream}: ${p.reason}\n    saved as ${saved}`);
    }
    throw new Error(`${problems.length} violations (seed ${seed}):\n${lines.join("\n")}`);
  }
  assert(stats.messages >= count, `only ${stats.messages} of ${count} messages ran`);
});
