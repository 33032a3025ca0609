/**
 * The control side of `bmpmon consume` without processes: its summary's text, the socket
 * `bmpmon show` picks when serve and consume members share a DATA_DIR, its requests and
 * its health. tests/bus/consume_metrics_test.ts runs the real thing.
 */

import { join } from "node:path";
import type { ConsumeStatus } from "../../src/bus/consume_status.ts";
import { consumeSummaryText } from "../../src/cli/show.ts";
import { consumeSocketPath, type ConsumeSummary } from "../../src/control/api.ts";
import { ControlClient, controlTarget, NoCollectorError } from "../../src/control/client.ts";
import {
  consumeHealth,
  type ConsumeState,
  handleConsumeControl,
} from "../../src/control/consume_plane.ts";
import { Registry } from "../../src/metrics/registry.ts";
import { StoreMetrics } from "../../src/metrics/store_metrics.ts";
import { assert, assertEquals } from "../_assert.ts";

Deno.test("consumeSummaryText() names the member, the stream, the lag and the counts", () => {
  const s: ConsumeSummary = {
    started_at: "2026-12-04T22:07:43.438Z",
    uptime_s: 75,
    consume: {
      stream: "BMP",
      member: { index: 2, count: 3 },
      servers: ["nats://a:4222", "nats://b:4222"],
      connected: false,
      down_s: 12,
      start_seq: 1,
      last_seq: 120_000,
      pending: 4_500,
      caught_up: false,
      resume_seq: 118_001,
      messages: 40_000,
      skipped: { other_member: 79_000, foreign: 2, orphan_end: 1, parsed: 0 },
      decode_errors: 3,
      connections: { open: 7, closed: 20 },
      restarts: 1,
    },
    store: {
      kind: "postgresql",
      state: "ok",
      probe_ms: 1.5,
      batches: 10,
      routes: 90_000,
      errors: 0,
      commit_ms: 2_500,
    },
  };
  assertEquals(
    consumeSummaryText(s),
    [
      "uptime:      1m15s (since 2026-12-04T22:07:43.438Z)",
      "consume:     member 2/3 of stream BMP",
      "bus:         nats DOWN for 12 s (nats://a:4222, nats://b:4222)",
      "stream:      last seq 120,000, 4,500 pending, resumes at 118,001, started at 1, " +
      "1 consumer restarts",
      "messages:    40,000 stored, 79,003 skipped (79,000 of other members, 2 foreign, " +
      "1 orphan ends, 0 parsed), 3 decode errors",
      "connections: 7 open, 20 closed",
      "store:       postgresql ok (probe 1.5 ms)",
      "batches:     10 committed, 90,000 routes, 0 errors, 2,500 ms in transactions",
    ].join("\n"),
  );
  s.consume.connected = true;
  s.consume.pending = 0;
  s.consume.caught_up = true;
  s.consume.restarts = 0;
  const text = consumeSummaryText(s);
  assert(text.includes("bus:         nats connected (nats://a:4222"), text);
  assert(text.includes("last seq 120,000, 0 pending (caught up), resumes at"), text);
  assert(!text.includes("restarts"), text);
});

/** Listens on a unix socket at `path` (a socket file that answers) until closed. */
function listen(path: string): Deno.Listener {
  Deno.mkdirSync(join(path, ".."), { recursive: true });
  return Deno.listen({ transport: "unix", path });
}

Deno.test("controlTarget() asks serve's socket first, else consume's, or the one consume there is", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bmpmon-target-" });
  const one = { index: 1, count: 1 };
  const pick = (only = false, member = one) =>
    controlTarget(dir, { stream: "BMP", member, only }).path;
  const serve = join(dir, "bmpmon.sock");
  const mine = consumeSocketPath(dir, "BMP", one);
  const listeners: Deno.Listener[] = [];
  try {
    // Nothing runs: serve's socket (its "no collector" line), or consume's when asked.
    assertEquals([pick(), pick(true)], [serve, mine]);
    assertEquals(
      controlTarget(dir, { stream: "BMP", member: one, only: false }).who,
      "bmpmon serve",
    );
    // consume alone: its socket, for `show` without --consume too.
    listeners.push(listen(mine));
    assertEquals([pick(), pick(true)], [mine, mine]);
    assertEquals(
      controlTarget(dir, { stream: "BMP", member: one, only: false }).who,
      "bmpmon consume",
    );
    // serve beside it in one DATA_DIR: serve, unless --consume.
    listeners.push(listen(serve));
    assertEquals([pick(), pick(true)], [serve, mine]);
    for (const l of listeners.splice(0)) l.close();
    await Deno.remove(dir, { recursive: true });
    // Member 2/2 alone while the configuration says 1/1: the one consume socket there is.
    const other = consumeSocketPath(dir, "BMP", { index: 2, count: 2 });
    assert(other.endsWith("/consume/BMP.2of2.sock"), other);
    listeners.push(listen(other));
    assertEquals([pick(), pick(true)], [other, other]);
    // Two members and the configuration names neither: no guess.
    listeners.push(listen(consumeSocketPath(dir, "BMP", { index: 1, count: 2 })));
    assertEquals([pick(), pick(true)], [serve, mine]);
    assertEquals(pick(true, { index: 2, count: 2 }), other);
  } finally {
    for (const l of listeners) l.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("ControlClient says which consume it looked for when none answers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bmpmon-target-" });
  try {
    const member = { index: 1, count: 2 };
    const c = new ControlClient(dir, controlTarget(dir, { stream: "BMP", member, only: true }));
    const e = await c.request("GET", "/summary").then(() => undefined, (e) => e);
    assert(e instanceof NoCollectorError, String(e));
    assertEquals(
      e.message,
      `no consume running at ${dir}/consume/BMP.1of2.sock (is \`bmpmon consume\` running ` +
        `with DATA_DIR=${dir}, BUS_STREAM=BMP, CONSUME_MEMBER=1/2?)`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A consume state over a store that answers `SELECT 1` (or fails, with `down`). */
function consumeState(status: Partial<ConsumeStatus>, down = false): ConsumeState {
  const registry = new Registry();
  const storeMetrics = new StoreMetrics(registry);
  const totals = { batches: 1, routes: 5, errors: 0, commitMs: 3, steps: {} };
  return {
    startedAt: new Date(Date.now() - 5000),
    status: () => ({
      stream: "BMP",
      member: { index: 1, count: 1 },
      servers: ["nats://127.0.0.1:4222"],
      connected: true,
      startSeq: 1,
      lastSeq: 10,
      pending: 0,
      caughtUp: true,
      resumeSeq: 11,
      restarts: 0,
      stats: {
        messages: 8,
        closed: 2,
        foreign: 0,
        orphanEnds: 0,
        decodeErrors: 0,
        others: 0,
        parsed: 0,
      },
      open: 0,
      ...status,
    }),
    store: {
      kind: "postgresql",
      query: (q) =>
        down
          ? Promise.reject(new Error("connection refused"))
          : Promise.resolve({ columns: ["q"], rows: [[q]] }),
      writer: { stats: totals },
    },
    registry,
    storeMetrics,
  };
}

Deno.test("handleConsumeControl() answers summary, routes and sql; the rest is 404 saying so", async () => {
  const s = consumeState({ pending: 3, caughtUp: false });
  const ask = async (method: string, path: string, body?: unknown) => {
    const res = await handleConsumeControl(
      s,
      new Request(`http://bmpmon${path}`, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
    return { status: res.status, json: await res.json() };
  };
  const summary = await ask("GET", "/summary");
  assertEquals(summary.status, 200);
  assertEquals(summary.json.consume.pending, 3);
  assertEquals(summary.json.consume.skipped, {
    other_member: 0,
    foreign: 0,
    orphan_end: 0,
    parsed: 0,
  });
  assertEquals([summary.json.store.state, summary.json.store.routes], ["ok", 5]);
  assertEquals(await ask("POST", "/sql", { query: "SELECT 2" }), {
    status: 200,
    json: { columns: ["q"], rows: [["SELECT 2"]] },
  });
  assertEquals((await ask("GET", "/routes")).status, 400);
  for (const path of ["/station", "/clients", "/clients/1"]) {
    const r = await ask("GET", path);
    assertEquals(r.status, 404, path);
    assertEquals(
      r.json.error,
      `no such request: GET ${path} (bmpmon consume answers show summary, show routes and sql)`,
    );
  }
});

Deno.test("consumeHealth() is ok while reading, connected and the store answers", async () => {
  assertEquals((await consumeHealth(consumeState({}))).ok, true);
  const down = await consumeHealth(consumeState({ connected: false, downSince: Date.now() }));
  assertEquals([down.ok, down.bus.connected, down.store.state], [false, false, "ok"]);
  const noStore = await consumeHealth(consumeState({}, true));
  assertEquals([noStore.ok, noStore.store.state], [false, "error"]);
  const stopping = consumeState({});
  stopping.stopping = true;
  assertEquals((await consumeHealth(stopping)).reading, false);
});
