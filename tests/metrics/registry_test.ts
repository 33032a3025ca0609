import {
  escapeLabelValue,
  formatValue,
  Registry,
  SECONDS_BUCKETS,
} from "../../src/metrics/registry.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { HAS_PROMTOOL, parsePrometheusText, promtoolCheck, sampleValue } from "./_prom.ts";

/** Label values and help text with every character the format escapes. */
const NASTY = 'back\\slash "quoted"\nnew line, {braces}=, ünïcödé';

async function sampleRegistry() {
  const r = new Registry();
  const c = r.counter("test_events_total", `Events.\nSecond line with \\ backslash.`, ["kind"]);
  c.labels("plain").inc();
  c.labels("plain").inc(2);
  c.labels(NASTY).inc(5);
  r.gauge("test_depth", "Depth.").labels().set(-3.5);
  const h = r.histogram("test_latency_seconds", "Latency.", [0.1, 1, 10], ["op"]);
  for (const v of [0.05, 0.1, 0.5, 1, 2, 10, 100]) h.labels("read").observe(v);
  h.labels("write");
  return { r, text: await r.expose() };
}

Deno.test("Registry.expose() round-trips through a strict text-format parser", async () => {
  const { text } = await sampleRegistry();
  const f = parsePrometheusText(text);
  assertEquals([...f.keys()], ["test_events_total", "test_depth", "test_latency_seconds"]);
  assertEquals(f.get("test_events_total")!.help, "Events.\nSecond line with \\ backslash.");
  assertEquals(f.get("test_events_total")!.type, "counter");
  assertEquals(sampleValue(f, "test_events_total", { kind: "plain" }), 3);
  assertEquals(sampleValue(f, "test_events_total", { kind: NASTY }), 5);
  assertEquals(sampleValue(f, "test_depth"), -3.5);
  const le = (v: string) => sampleValue(f, "test_latency_seconds_bucket", { op: "read", le: v });
  // Upper bounds are inclusive: 0.1 falls in le="0.1", 1 in le="1", 10 in le="10".
  assertEquals([le("0.1"), le("1"), le("10"), le("+Inf")], [2, 4, 6, 7]);
  assertEquals(sampleValue(f, "test_latency_seconds_sum", { op: "read" }), 113.65);
  assertEquals(sampleValue(f, "test_latency_seconds_count", { op: "read" }), 7);
  assertEquals(sampleValue(f, "test_latency_seconds_count", { op: "write" }), 0);
  assertEquals(sampleValue(f, "test_latency_seconds_bucket", { op: "write", le: "+Inf" }), 0);
});

Deno.test("Registry.expose() escapes label values and help text as the format says", async () => {
  const { text } = await sampleRegistry();
  assert(text.includes(`kind="back\\\\slash \\"quoted\\"\\nnew line, {braces}=, ünïcödé"} 5\n`));
  assert(text.includes("# HELP test_events_total Events.\\nSecond line with \\\\ backslash.\n"));
  assertEquals(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  assertEquals([formatValue(Infinity), formatValue(-Infinity), formatValue(NaN)], [
    "+Inf",
    "-Inf",
    "NaN",
  ]);
});

Deno.test({
  name: `Registry.expose() passes promtool check metrics${
    HAS_PROMTOOL ? "" : " (skipped: no promtool)"
  }`,
  ignore: !HAS_PROMTOOL,
  fn: async () => {
    const { text } = await sampleRegistry();
    const r = await promtoolCheck(text);
    assertEquals(r?.ok, true, r?.output);
    // promtool itself rejects a broken exposition, so the check above can fail.
    const bad = await promtoolCheck('x_total{a="1"} 1\nx_total{a="1"} 2\n');
    assertEquals(bad?.ok, false);
  },
});

Deno.test("Registry rejects bad names, duplicate metrics, label count and negative counts", () => {
  const r = new Registry();
  assertThrows(() => r.counter("1bad", "x"), RangeError, "bad name");
  assertThrows(() => r.counter("ok_total", "x", ["__reserved"]), RangeError, "bad label name");
  assertThrows(() => r.counter("ok_total", "x", ["le"]), RangeError, "bad label name");
  const c = r.counter("ok_total", "x", ["a"]);
  assertThrows(() => r.gauge("ok_total", "x"), RangeError, "already registered");
  assertThrows(() => c.labels(), RangeError, "0 label values for 1 labels");
  assertThrows(() => c.labels("v").inc(-1), RangeError, "negative");
  assertThrows(() => r.histogram("h", "x", [1, 1]), RangeError, "buckets must increase");
});

Deno.test("Registry runs onCollect hooks before each exposition", async () => {
  const r = new Registry();
  const g = r.gauge("test_now", "A value read at scrape time.");
  let n = 0;
  r.onCollect(() => g.labels().set(++n));
  assertEquals(sampleValue(parsePrometheusText(await r.expose()), "test_now"), 1);
  assertEquals(sampleValue(parsePrometheusText(await r.expose()), "test_now"), 2);
});

Deno.test("SECONDS_BUCKETS increase", () => {
  for (let i = 1; i < SECONDS_BUCKETS.length; i++) {
    assert(SECONDS_BUCKETS[i] > SECONDS_BUCKETS[i - 1]);
  }
});
