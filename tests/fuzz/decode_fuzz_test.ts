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

/** Synthetic messages for what the captures lack: Add-Path, BMPv4 TLVs, all EVPN route
 * types, labeled and VPN NLRI, every statistics encoding, mirroring, every Peer Down
 * reason, termination. */
export function syntheticSeeds(): Uint8Array[] {
  const ap = b.capAddPath([1, 1, 3], [2, 1, 3], [25, 70, 3], [1, 128, 3]);
  const caps = [
    b.capMp(1, 1),
    b.capMp(2, 1),
    b.capMp(25, 70),
    b.capMp(1, 4),
    b.capMp(1, 128),
    b.capAs4(4200000001),
    ap,
    b.cap(64, [0x80, 120, 0, 1, 1, 0x80]),
    b.cap(5, [0, 1, 0, 1, 0, 2]),
    b.cap(73, [2, 0x72, 0x31, 3, 0x6c, 0x61, 0x62]),
    b.cap(2),
  ];
  const sent = b.open({ myAs: 23456, bgpId: "192.0.2.1", caps });
  const received = b.open({ myAs: 65002, bgpId: "192.0.2.2", caps });
  const attrs = b.basicAttrs();
  const rm = (pdu: Uint8Array, peer: b.PeerParts = {}) => b.routeMonitoring(pdu, peer);
  const E = b.EVPN_SAMPLES;
  const evpnAll = (id?: number) =>
    Object.values(E).map((body, i) => b.evpn([1, 2, 2, 2, 3, 4, 5, 5][i], body, id));
  const v6nh = [...b.ip6("2001:db8::fe"), ...b.ip6("fe80::1")];
  const vpnNh = [...b.rd0(0, 0), ...b.ip4("192.0.2.254")];
  const tlv4Pdu = (pdu: Uint8Array) =>
    b.cat(
      b.tlv4(1, 0, [69, 4, 0, 1, 1, 1]),
      b.tlv4(2, 0, [0, 1, 0, 2]),
      b.tlv4(3, 0, b.text("global")),
      b.tlv4(5, 0, [0, 0, 0, 2, 0, 1]),
      b.tlv4(4, 0, pdu),
    );
  const v4Pdu = b.update({
    attrs,
    nlri: [b.prefix("10.101.0.0/24", { pathId: 1 }), b.prefix("10.0.0.0/8", { pathId: 2 })],
  });
  const shutdown = b.notification(6, 2, [5, ...b.text("maint")]);
  const ll = b.update({
    attrs: [
      b.origin(0),
      b.asPath([65002]),
      b.mpReach(2, 1, v6nh, [b.prefix("2001:db8::/32", { pathId: 7 })]),
    ],
  });
  return [
    b.initiation(b.tlv(1, b.text("synthetic 1.0")), b.tlv(2, b.text("fuzz")), b.tlv(0, [0x41])),
    b.peerUp(sent, received, { tlvs: [b.tlv(0, b.text("peer B")), b.tlv(3, b.text("vrf"))] }),
    b.peerUp(sent, received, { flags: 0x80, address: "2001:db8::2", local: "2001:db8::1" }),
    b.peerUp(sent, received, { type: 3, address: "0.0.0.0" }),
    rm(v4Pdu),
    rm(v4Pdu, { flags: 0x10 }),
    rm(v4Pdu, { type: 3, address: "0.0.0.0" }),
    rm(b.update({ withdrawn: [b.prefix("10.101.0.0/24", { pathId: 1 })] })),
    rm(ll, { flags: 0x80, address: "2001:db8::2" }),
    rm(
      b.update({
        attrs: [b.mpUnreach(2, 1, [b.prefix("2001:db8::/32", { pathId: 7 })])],
      }),
      { flags: 0xc0, address: "2001:db8::2" },
    ),
    rm(b.update({
      attrs: [b.origin(0), b.asPath([65002]), b.mpReach(25, 70, b.ip4("192.0.2.2"), evpnAll(3))],
    })),
    rm(
      b.update({
        attrs: [b.origin(0), b.asPath([65002]), b.mpReach(25, 70, b.ip4("192.0.2.2"), evpnAll())],
      }),
      { address: "192.0.2.77" },
    ),
    rm(b.update({ attrs: [b.mpUnreach(25, 70, evpnAll(3))] })),
    rm(
      b.update({
        attrs: [
          b.origin(2),
          b.asPath([[3, [64512]], [2, [65001, 23456, 23456]], [1, [1, 2]]], false),
          b.nextHop("192.0.2.1"),
          b.aggregator(23456, "192.0.2.7", false),
          b.as4Aggregator(4200000001, "192.0.2.7"),
          b.as4Path([4200000001, 4200000002]),
        ],
        nlri: [b.prefix("198.51.100.0/24")],
      }),
      { flags: 0x20, address: "192.0.2.3" },
    ),
    rm(
      b.update({
        attrs: [
          ...attrs,
          b.med(5),
          b.localPref(100),
          b.attr(6, []),
          b.communities(0xffffff01, 65001 * 65536 + 999),
          b.extCommunities(
            [0, 2, 0xfd, 0xe8, 0, 0, 0, 100],
            [1, 3, 192, 0, 2, 1, 0, 7],
            [2, 2, 0xfa, 0x56, 0xea, 0, 0, 1],
            [3, 12, 0, 0, 0, 0, 0, 8],
            [6, 0, 1, 0, 0, 0, 0, 3],
            [6, 1, 1, 0, 0, 0, 0x06, 0x41],
            [6, 3, 0, 0x11, 0x22, 0x33, 0x44, 0x55],
            [0x80, 6, 0, 0, 0x4b, 0x74, 0x24, 0],
          ),
          b.largeCommunities([65002, 1, 2]),
          b.attr(9, b.ip4("192.0.2.9")),
          b.attr(10, [...b.ip4("192.0.2.10"), ...b.ip4("192.0.2.11")]),
          b.attr(35, b.u32(65002)),
          b.attr(26, [1, 0, 11, ...b.u64(1000n)]),
          b.attr(22, [0, 6, 0, 0x3e, 0x81, ...b.ip4("192.0.2.2")]),
          b.attr(99, [1, 2, 3], 0xe0),
          b.attr(40, Array(300).fill(7)),
        ],
        nlri: [b.prefix("203.0.113.0/25"), b.prefix("203.0.113.128/25")],
      }),
      { address: "192.0.2.4" },
    ),
    rm(b.update({
      attrs: [
        b.origin(0),
        b.asPath([65002]),
        b.mpReach(1, 4, b.ip4("192.0.2.254"), [
          b.prefix("10.1.0.0/16", { labels: [100] }),
          b.prefix("10.2.0.0/16", { labels: [101, 102] }),
        ]),
      ],
    })),
    rm(b.update({
      attrs: [b.mpUnreach(1, 4, [b.prefix("10.1.0.0/16", { rawLabels: [0x800000] })])],
    })),
    rm(
      b.update({
        attrs: [
          b.origin(0),
          b.asPath([65002]),
          b.mpReach(1, 128, vpnNh, [
            b.prefix("10.0.0.0/8", { labels: [16], rd: b.rd0(65000, 1), pathId: 4 }),
            b.prefix("10.1.0.0/16", { labels: [17], rd: b.rd1("192.0.2.1", 7), pathId: 5 }),
            b.prefix("10.2.0.0/16", { labels: [18], rd: b.rd2(4200000000, 9), pathId: 6 }),
          ]),
        ],
      }),
      { type: 1, rd: b.rd0(65000, 1) },
    ),
    rm(b.update({
      attrs: [
        b.origin(0),
        b.asPath([65002]),
        b.mpReach(2, 128, [...b.rd0(0, 0), ...b.ip6("2001:db8::fe")], [
          b.prefix("2001:db8::/32", { labels: [20], rd: b.rd0(65000, 2) }),
        ]),
      ],
    })),
    rm(
      b.update({
        attrs: [
          b.mpUnreach(1, 128, [
            b.prefix("10.0.0.0/8", { rawLabels: [0x800000], rd: b.rd0(65000, 1), pathId: 4 }),
          ]),
        ],
      }),
      { type: 1, rd: b.rd0(65000, 1) },
    ),
    rm(b.update()),
    rm(b.update({ attrs: [b.mpUnreach(2, 1)] })),
    rm(b.update({ attrs: [b.mpUnreach(25, 70)] })),
    b.routeMonitoring(tlv4Pdu(v4Pdu), {}, 4),
    b.routeMonitoring(
      tlv4Pdu(b.update({ withdrawn: [b.prefix("10.0.0.0/8", { pathId: 9 })] })),
      {},
      4,
    ),
    b.routeMonitoring(
      b.cat(v4Pdu, b.tlv(0, [0, 1, 0, 1, 0, 4, 0, 0, 0, 2]), b.tlv(9, [1])),
      {},
      4,
    ),
    b.statsReport([
      [0, b.u32(1)],
      [7, b.u64(800n)],
      [8, b.u64(2n ** 63n)],
      [9, [0, 2, 1, ...b.u64(200n)]],
      [65531, b.u32(9)],
      [400, [1, 2, 3]],
      [401, []],
    ]),
    b.routeMirroring([
      b.tlv(0, v4Pdu),
      b.tlv(0, sent),
      b.tlv(0, b.keepalive()),
      b.tlv(0, shutdown),
      b.tlv(1, [0, 0]),
      b.tlv(1, [0, 1]),
      b.tlv(7, [1]),
    ]),
    b.peerDown(1, shutdown),
    b.peerDown(2, b.u16(24)),
    b.peerDown(3, b.notification(4, 0)),
    b.peerDown(4),
    b.peerDown(5),
    b.peerDown(6, b.tlv(3, b.text("vrf-blue")), { type: 3, address: "0.0.0.0" }),
    b.termination(b.tlv(0, b.text("bye")), b.tlv(1, b.u16(4))),
  ];
}

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
          assertEquals(msg.update.problems, [], `synthetic ${msg.offset}`);
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
