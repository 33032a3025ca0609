/**
 * Fuzz / property test of the decoders: FUZZ_MESSAGES (default 1,000,000) mutated
 * messages through `BmpSession.decode`, and mutated streams holding as many messages
 * through `readBmpStream`, in parallel workers. See `_worker.ts` for the invariants and
 * `_mutate.ts` for the mutations.
 *
 * Environment: FUZZ_MESSAGES (count), FUZZ_SEED (a number, or "random"; default 7854),
 * FUZZ_WORKERS (default: the CPU count, at most 4).
 *
 * A violation fails the test and its input is saved under
 * tests/fixtures/fuzz-crashers/<sha256 prefix>.bin, which every later run replays.
 *
 * @module
 */

import { BmpSession } from "../../src/bmp/session.ts";
import { DecodeError, toDecodeError } from "../../src/wire/errors.ts";
import * as b from "../_build.ts";
import { assert, assertEquals } from "../_build.ts";
import { syntheticSeeds } from "./_seeds.ts";
import {
  frame,
  lengthFields,
  mutantAt,
  readField,
  SESSION_SIZE,
  type Source,
  streamAt,
} from "./_mutate.ts";
import {
  checkMessage,
  checkThrown,
  type FromWorker,
  type FuzzStats,
  mergeStats,
  newStats,
  type PackedSource,
  replay,
  type ToWorker,
  unpackSources,
  type Violation,
} from "./_worker.ts";

const FIXTURES = new URL("../fixtures/", import.meta.url);
const CRASHERS = new URL("fuzz-crashers/", FIXTURES);
const DATA = new URL("../../../shared/data/bmp/", import.meta.url);

const envInt = (name: string, dflt: number) => {
  const v = Deno.env.get(name);
  return v === undefined || v === "" ? dflt : Number(v.replaceAll("_", ""));
};

// ---------------------------------------------------------------------------------------
// Seeds
// ---------------------------------------------------------------------------------------

function pack(name: string, messages: Uint8Array[]): PackedSource {
  return { name, bytes: b.cat(...messages) };
}

/** At most `max` messages: all of the rare types, Route Monitoring thinned evenly. */
function sample(messages: Uint8Array[], max: number): Uint8Array[] {
  if (messages.length <= max) return messages;
  const rare = messages.filter((m) => m[5] !== 0);
  const rm = messages.filter((m) => m[5] === 0);
  const keep = Math.max(1, max - rare.length);
  const stride = rm.length / keep;
  const picked = new Set(Array.from({ length: keep }, (_, i) => rm[Math.floor(i * stride)]));
  return messages.filter((m) => m[5] !== 0 || picked.has(m));
}

async function exists(u: URL): Promise<boolean> {
  try {
    await Deno.stat(u);
    return true;
  } catch {
    return false;
  }
}

/** Names in a folder, sorted: the order of the sources is part of what a seed means. */
async function names(u: URL, dirs = false): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(u)) if (e.isDirectory === dirs) out.push(e.name);
  return out.sort();
}

/** Every seed source available here: synthetic and bundled always, captures when
 * ../shared/data is present. */
function loadSources(): Promise<{ sources: PackedSource[]; notes: string[] }> {
  return loaded ??= readSources();
}

let loaded: Promise<{ sources: PackedSource[]; notes: string[] }> | undefined;

async function readSources(): Promise<{ sources: PackedSource[]; notes: string[] }> {
  const notes: string[] = [];
  const sources = [
    pack("synthetic", syntheticSeeds()),
    pack(
      "fixtures/fuzz-seeds",
      frame(await Deno.readFile(new URL("fuzz-seeds/gobgp-frr-lab.bmp", FIXTURES))),
    ),
  ];
  if (!(await exists(DATA))) {
    notes.push("../shared/data not found: seeds are the bundled corpus and synthetic messages");
    return { sources, notes };
  }
  const lab = new URL("gobgp-frr-lab/", DATA);
  for (const name of await names(lab)) {
    if (!name.endsWith(".bmp")) continue;
    sources.push(
      pack(`gobgp-frr-lab/${name}`, sample(frame(await Deno.readFile(new URL(name, lab))), 20000)),
    );
  }
  const huawei = new URL("huawei-vrp-bmp_play/bmp.dump", DATA);
  if (await exists(huawei)) {
    sources.push(pack("huawei-vrp-bmp_play", frame(await Deno.readFile(huawei))));
  }
  try {
    const { readCapture, readInput } = await import("../../src/io/file.ts");
    const m320 = new URL("juniper-m320/m320.bmp.xz", DATA);
    if (await exists(m320)) {
      sources.push(
        pack("juniper-m320 (sample)", sample(frame(await readInput(m320.pathname), 60000), 20000)),
      );
    }
    for (const dir of ["netgauze", "pmacct-tests"]) {
      const base = new URL(`${dir}/`, DATA);
      if (!(await exists(base))) continue;
      for (const d of await names(base, true)) {
        for (const f of await names(new URL(`${d}/`, base))) {
          if (!f.endsWith(".pcap")) continue;
          const cap = await readCapture(new URL(`${d}/${f}`, base).pathname);
          const msgs = cap.flows.flatMap((fl) => frame(fl.data));
          if (msgs.length) sources.push(pack(`${dir}/${d}`, msgs));
        }
      }
    }
  } catch (e) {
    notes.push(`src/io/file.ts unavailable, juniper-m320 and pcaps skipped: ${e}`);
  }
  return { sources, notes };
}

// ---------------------------------------------------------------------------------------
// Running in workers
// ---------------------------------------------------------------------------------------

interface Job {
  phase: "messages" | "streams";
  from: number;
  to: number;
}

const STALL_MS = 20_000;

/** Runs `jobs` on `workers` workers; a worker stuck on one index for STALL_MS is a hang. */
async function runJobs(
  sources: PackedSource[],
  seed: number,
  jobs: Job[],
  workerCount: number,
  unpacked: Source[],
): Promise<{ stats: FuzzStats; violations: Violation[] }> {
  const stats = newStats();
  const violations: Violation[] = [];
  const progress = new SharedArrayBuffer(4 * workerCount);
  const cells = new Int32Array(progress);
  const queue = jobs.slice();
  const workers = Array.from({ length: workerCount }, (_, slot) => {
    const w = new Worker(new URL("./_worker.ts", import.meta.url), { type: "module" });
    w.postMessage({ type: "init", sources, progress, slot } satisfies ToWorker);
    return w;
  });
  try {
    await Promise.all(workers.map((w, slot) =>
      (async () => {
        while (queue.length && violations.length < 20) {
          const job = queue.shift()!;
          Atomics.store(cells, slot, -1);
          const done = await new Promise<FromWorker | "hang">((resolve) => {
            let last = -1;
            let since = performance.now();
            const timer = setInterval(() => {
              const now = Atomics.load(cells, slot);
              if (now !== last) {
                last = now;
                since = performance.now();
              } else if (performance.now() - since > STALL_MS && now >= 0) {
                clearInterval(timer);
                resolve("hang");
              }
            }, 500);
            w.onmessage = (e: MessageEvent<FromWorker>) => {
              clearInterval(timer);
              resolve(e.data);
            };
            w.postMessage({ type: "run", seed, ...job } satisfies ToWorker);
          });
          if (done === "hang") {
            const i = Atomics.load(cells, slot);
            const bytes = job.phase === "messages"
              ? mutantAt(unpacked, seed, i).bytes
              : streamAt(unpacked, seed, i).bytes;
            violations.push({
              where: `${job.phase === "messages" ? "message mutant" : "stream"} ${i}`,
              reason: `did not terminate within ${STALL_MS / 1000} s`,
              bytes,
            });
            w.terminate();
            return;
          }
          mergeStats(stats, done.stats);
          violations.push(...done.violations);
        }
      })()
    ));
  } finally {
    for (const w of workers) w.terminate();
  }
  return { stats, violations };
}

async function saveCrasher(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes)));
  const name = Array.from(digest.subarray(0, 8), (x) => x.toString(16).padStart(2, "0")).join("") +
    ".bin";
  const target = new URL(name, CRASHERS);
  if ((await Deno.permissions.query({ name: "write", path: CRASHERS })).state !== "granted") {
    return `${target.pathname} (not written: no write permission)`;
  }
  await Deno.mkdir(CRASHERS, { recursive: true });
  await Deno.writeFile(target, bytes);
  return target.pathname;
}

const fmt = (n: number) => n.toLocaleString("en-US");
const table = (r: Record<string, number>) =>
  Object.entries(r).sort(([, a], [, c]) => c - a).map(([k, n]) => `${k} ${fmt(n)}`).join(", ") ||
  "none";

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

Deno.test("syntheticSeeds() and the bundled corpus decode without errors; every seed source decodes", async () => {
  const { sources, notes } = await loadSources();
  for (const n of notes) console.log(`  note: ${n}`);
  const unpacked = unpackSources(sources);
  for (const s of unpacked) {
    assert(s.messages.length > 0, `${s.name}: no messages`);
    const session = new BmpSession();
    let errors = 0;
    for (const m of s.messages) {
      try {
        const msg = session.decode(m, 0);
        const c = checkMessage(msg);
        assert(!("reason" in c), `${s.name}: ${"reason" in c && c.reason}`);
        if (s.name === "synthetic" && msg.kind === "route_monitoring") {
          // The quirk seeds (issue 10) decode through a recovery, flagged and nothing else.
          const faults = msg.update.problems.filter((p) => p.action !== "recovered");
          assertEquals(faults, [], `synthetic ${msg.offset}`);
        }
      } catch (e) {
        assert(e instanceof DecodeError, String(e));
        errors++;
      }
    }
    if (s.name === "synthetic" || s.name === "fixtures/fuzz-seeds") {
      assertEquals(errors, 0, `${s.name} decode errors`);
    }
    console.log(`  ${s.name}: ${s.messages.length} messages, ${errors} decode errors`);
  }
});

Deno.test("lengthFields() finds the inner length fields of a Route Monitoring message", () => {
  const pdu = b.update({
    attrs: [
      b.origin(0),
      b.asPath([1, 2]),
      b.mpReach(2, 1, b.ip6("2001:db8::1"), [b.prefix("2001:db8::/32")]),
    ],
    nlri: [b.prefix("10.0.0.0/8")],
  });
  const f = lengthFields(b.routeMonitoring(pdu));
  const at = (what: string) => f.filter((x) => x.what === what).map((x) => x.off);
  assertEquals(at("bmp.len"), [1]);
  assertEquals(at("bgp.len"), [6 + 42 + 16]);
  assertEquals(at("update.withdrawnlen"), [6 + 42 + 19]);
  assertEquals(at("update.attrlen"), [6 + 42 + 21]);
  assertEquals(at("attr1.len"), [6 + 42 + 23 + 2]);
  assertEquals(at("attr2.segcount"), [6 + 42 + 23 + 4 + 3 + 1]);
  assertEquals(at("mpreach.nhlen").length, 1);
  assertEquals(at("mpreach.prefixlen").length, 1);
  assertEquals(at("nlri.prefixlen").length, 1);
  assertEquals(readField(b.routeMonitoring(pdu), 6 + 42 + 16, 2), pdu.length);
});

Deno.test("checkThrown() flags foreign exceptions, wrapped ones and offsets outside the buffer", () => {
  assert(checkThrown(new TypeError("x is undefined"), 10)?.startsWith("threw TypeError"));
  assert(checkThrown(toDecodeError(new RangeError("Offset is outside the bounds"), 0), 10));
  assert(checkThrown(new DecodeError("short-input", 11, "Cannot read 1 bytes: 0 left"), 10));
  assert(checkThrown(new DecodeError("short-input", 3, "Cannot read properties of undefined"), 10));
  assertEquals(
    checkThrown(new DecodeError("short-input", 3, "Cannot read 1 bytes: 0 left"), 10),
    undefined,
  );
  assertEquals(replay(b.routeMonitoring(b.update())), []);
});

Deno.test("replay() of every saved fuzz crasher finds no violation", async () => {
  let n = 0;
  const failures: string[] = [];
  if (await exists(CRASHERS)) {
    for await (const e of Deno.readDir(CRASHERS)) {
      if (!e.name.endsWith(".bin")) continue;
      n++;
      for (const v of replay(await Deno.readFile(new URL(e.name, CRASHERS)))) {
        failures.push(`${e.name}: ${v}`);
      }
    }
  }
  console.log(`  ${n} crashers replayed`);
  assertEquals(failures, []);
});

Deno.test("BmpSession.decode() and readBmpStream() raise only DecodeErrors on FUZZ_MESSAGES mutants", async () => {
  const count = envInt("FUZZ_MESSAGES", 1_000_000);
  const seedEnv = Deno.env.get("FUZZ_SEED");
  const seed = seedEnv === "random"
    ? crypto.getRandomValues(new Uint32Array(1))[0]
    : envInt("FUZZ_SEED", 7854) >>> 0;
  const workerCount = Math.max(
    1,
    envInt("FUZZ_WORKERS", Math.min(4, navigator.hardwareConcurrency)),
  );
  const { sources } = await loadSources();
  const unpacked = unpackSources(sources);
  console.log(
    `  seed ${seed} (FUZZ_SEED=${seed} to reproduce), ${
      fmt(count)
    } messages, ${workerCount} workers, ${sources.length} seed sources`,
  );
  const jobs: Job[] = [];
  const batch = SESSION_SIZE * 256;
  for (let i = 0; i < count; i += batch) {
    jobs.push({ phase: "messages", from: i, to: Math.min(count, i + batch) });
  }
  // Streams average ~24 messages (fewer for small sources): about as many stream
  // messages as single mutants.
  const streams = Math.ceil(count / 24);
  for (let k = 0; k < streams; k += 512) {
    jobs.push({ phase: "streams", from: k, to: Math.min(streams, k + 512) });
  }
  const t0 = performance.now();
  const { stats, violations } = await runJobs(sources, seed, jobs, workerCount, unpacked);
  const elapsed = (performance.now() - t0) / 1000;
  console.log(
    [
      `  elapsed ${elapsed.toFixed(1)} s`,
      `  BmpSession.decode: ${fmt(stats.mutants)} mutants, ${fmt(stats.decodedOk)} decoded OK`,
      `    decoded kinds: ${table(stats.kinds)}`,
      `    DecodeErrors by code: ${table(stats.errors)}`,
      `  readBmpStream: ${fmt(stats.streams)} streams, ${fmt(stats.streamMessages)} messages (${
        fmt(stats.streamMutated)
      } mutated), ${fmt(stats.streamItems)} items, ${fmt(stats.streamDecoded)} decoded OK, ${
        fmt(stats.framingErrors)
      } framing errors`,
      `    DecodeErrors by code: ${table(stats.streamErrors)}`,
      `  UPDATE problems by RFC 7606 action: ${table(stats.problems)}`,
      `  slowest decode: ${stats.slowestMs.toFixed(2)} ms (${stats.slowest})`,
    ].join("\n"),
  );
  const lines: string[] = [];
  for (const v of violations.slice(0, 20)) {
    lines.push(`${v.where}: ${v.reason}\n    saved as ${await saveCrasher(v.bytes)}`);
  }
  if (violations.length) {
    throw new Error(`${violations.length} violations (seed ${seed}):\n${lines.join("\n")}`);
  }
  assert(stats.mutants >= count, `only ${stats.mutants} of ${count} mutants ran`);
  assertEquals(stats.streams, streams);
});
