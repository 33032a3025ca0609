/**
 * The collector's counters, fed by a real Collector replaying the bundled captures, equal
 * what the decoder finds in them and the captures' reference counts (tshark).
 */

import { BmpSession } from "../../src/bmp/session.ts";
import { PeerStatsSink } from "../../src/collector/peer_stats.ts";
import { Collector, type MessageSink } from "../../src/collector/server.ts";
import { peersUp } from "../../src/control/state.ts";
import { CollectorMetrics } from "../../src/metrics/collector_metrics.ts";
import { replay } from "../../src/cli/replay.ts";
import type { DecodeError } from "../../src/wire/errors.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { loadCapture, modelOf, referenceCounts } from "../control/_capture.ts";
import { HAS_PROMTOOL, parsePrometheusText, promtoolCheck, sampleValue } from "./_prom.ts";

const FILES = [
  "gobgp-frr-lab/gobgp-3.10-all-1k.bmp",
  "gobgp-frr-lab/gobgp-3.10-pre-100.bmp",
  "gobgp-frr-lab/frr-8.4-prepost-1k.bmp",
  "gobgp-frr-lab/frr-8.4-mirror-100.bmp",
].map(fixture);

/** A BMP Route Monitoring message whose BGP marker is not all ones. */
function badMarkerMessage(): Uint8Array {
  const len = 6 + 42 + 23;
  const b = new Uint8Array(len);
  new DataView(b.buffer).setUint32(1, len);
  b[0] = 3; // version; type 0 = Route Monitoring
  new DataView(b.buffer).setUint16(6 + 42 + 16, 23); // BGP length; marker left zero
  b[6 + 42 + 18] = 2; // UPDATE
  return b;
}

/** Counts sessions that ended, so the test knows when every connection is done. */
class EndSink implements MessageSink {
  ended = 0;
  write(): void {}
  routerDown(): void {
    this.ended++;
  }
}

Deno.test("CollectorMetrics counts what a real collector receives, as the decoder does", async () => {
  const captures = await Promise.all(FILES.map(loadCapture));
  const models = captures.map((c) => modelOf(c.messages));
  const bad = badMarkerMessage();
  let badCode = "";
  try {
    new BmpSession().decode(bad, 0);
  } catch (e) {
    badCode = (e as DecodeError).code;
  }
  assert(badCode !== "", "the crafted message does not decode");

  const metrics = new CollectorMetrics();
  const end = new EndSink();
  const peers = new PeerStatsSink(metrics.sink(end));
  metrics.attach({ peersUp: () => peersUp(peers) });
  const collector = new Collector({ hostname: "127.0.0.1", port: 0, sink: peers });
  const addr = collector.start();
  try {
    await replay(FILES, { hostname: addr.hostname, port: addr.port, rate: 0, connections: 1 });
    const conn = await Deno.connect({ hostname: addr.hostname, port: addr.port });
    await conn.write(bad);
    conn.close();
    for (let i = 0; i < 500 && end.ended < FILES.length + 1; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await collector.idle();
    const text = await metrics.registry.expose();
    const f = parsePrometheusText(text);

    // Messages by type: the decoder's counts, which equal tshark's for each capture.
    const want: Record<string, number> = {};
    for (const [i, m] of models.entries()) {
      assertEquals(m.byType, await referenceCounts(FILES[i]), FILES[i]);
      for (const [k, v] of Object.entries(m.byType)) want[k] = (want[k] ?? 0) + v;
    }
    for (const type of Object.keys(want)) {
      assertEquals(sampleValue(f, "bmpmon_messages_total", { type }), want[type], type);
    }
    assertEquals(
      sampleValue(f, "bmpmon_messages_total", { type: "termination" }),
      want.termination,
    );

    const routes: Record<string, number> = {};
    for (const m of models) {
      for (const [k, v] of Object.entries(m.routes)) routes[k] = (routes[k] ?? 0) + v;
    }
    const got: Record<string, number> = {};
    for (const s of f.get("bmpmon_routes_total")!.samples) {
      got[`${s.labels.family}|${s.labels.action}`] = s.value;
    }
    assertEquals(got, routes);

    const bytes = captures.reduce((n, c) => n + c.data.length, 0) + bad.length;
    assertEquals(sampleValue(f, "bmpmon_received_bytes_total"), bytes);
    assertEquals(sampleValue(f, "bmpmon_decode_errors_total", { code: badCode }), 1);
    assertEquals(f.get("bmpmon_decode_errors_total")!.samples.length, 1);
    assertEquals(sampleValue(f, "bmpmon_router_sessions_total"), FILES.length + 1);
    assertEquals(sampleValue(f, "bmpmon_router_sessions"), 0);
    const up = models.reduce(
      (n, m) => n + [...m.peers.values()].filter((p) => p.state === "up").length,
      0,
    );
    assertEquals(sampleValue(f, "bmpmon_peers_up"), up);
    assertEquals(sampleValue(f, "bmpmon_spool_depth"), 0);
    if (HAS_PROMTOOL) {
      const r = await promtoolCheck(text);
      assertEquals(r?.ok, true, r?.output);
    }
  } finally {
    await collector.stop();
    metrics.close();
  }
});
