/**
 * Sender-quirk recoveries are observable (issue 10): counted per peer and cause in
 * `show client` / `show client X peer Y` and `/metrics`, logged once per peer and cause;
 * and `show client X peer Y` shows the capabilities merged over a peer's Peer Ups. Fed by
 * a real Collector over TCP with byte-built messages.
 */

import { PeerStatsSink } from "../../src/collector/peer_stats.ts";
import { Collector, type MessageSink } from "../../src/collector/server.ts";
import { client, peers } from "../../src/control/handlers.ts";
import type { CollectorState } from "../../src/control/state.ts";
import { CollectorMetrics } from "../../src/metrics/collector_metrics.ts";
import { clientText, peerText } from "../../src/cli/show.ts";
import { assert, assertEquals } from "../_assert.ts";
import {
  attr,
  basicAttrs,
  capAddPath,
  capAs4,
  capMp,
  cat,
  ip,
  mpReach,
  nextHop,
  open,
  origin,
  peerUp,
  prefix,
  rd0,
  routeMonitoring,
  update,
} from "../_build.ts";
import { HAS_PROMTOOL, parsePrometheusText, promtoolCheck, sampleValue } from "../metrics/_prom.ts";

class EndSink implements MessageSink {
  ended = 0;
  write(): void {}
  routerDown(): void {
    this.ended++;
  }
}

const PEER = { address: "192.0.2.2" };
const caps = (...f: [number, number, number][]) => [
  capMp(1, 128),
  capMp(1, 4),
  capAs4(65002),
  ...(f.length ? [capAddPath(...f)] : []),
];

/** Two Peer Ups (Add-Path for 1/4 only, then a family without), then UPDATEs that need
 * recovery: VPNv4 with path IDs (twice) and a 2-byte AS_PATH. */
function stream(): Uint8Array {
  const vpn = update({
    attrs: [
      ...basicAttrs(),
      mpReach(1, 128, [...rd0(0, 0), ...ip("192.0.2.254")], [
        prefix("10.101.0.0/24", { pathId: 1, labels: [16001], rd: rd0(65000, 101) }),
      ]),
    ],
  });
  const as2 = update({
    attrs: [origin(0), attr(2, [2, 1, 0xfd, 0xe8], 0x50), nextHop("192.0.2.254")],
    nlri: [prefix("10.0.0.0/8")],
  });
  return cat(
    peerUp(open({ caps: caps([1, 4, 3]) }), open({ caps: caps([1, 4, 3]) }), PEER),
    peerUp(open({ caps: caps() }), open({ caps: caps() }), PEER),
    routeMonitoring(vpn, PEER),
    routeMonitoring(vpn, PEER),
    routeMonitoring(as2, PEER),
  );
}

Deno.test("recoveries are counted per peer and cause in show client, /metrics and the log", async () => {
  const metrics = new CollectorMetrics();
  const end = new EndSink();
  const logged: Record<string, unknown>[] = [];
  const stats = new PeerStatsSink(metrics.sink(end), (_msg, fields) => logged.push(fields));
  const collector = new Collector({ hostname: "127.0.0.1", port: 0, sink: stats });
  const addr = collector.start();
  try {
    const conn = await Deno.connect({ hostname: addr.hostname, port: addr.port });
    await conn.write(stream());
    conn.close();
    for (let i = 0; i < 500 && end.ended < 1; i++) await new Promise((r) => setTimeout(r, 10));
    await collector.idle();

    const text = await metrics.registry.expose();
    const f = parsePrometheusText(text);
    const labels = { router: "127.0.0.1", peer_type: "global", peer: "192.0.2.2", rd: "" };
    assertEquals(
      sampleValue(f, "bmpmon_decode_recoveries_total", { ...labels, cause: "add-path" }),
      2,
    );
    assertEquals(
      sampleValue(f, "bmpmon_decode_recoveries_total", { ...labels, cause: "as-path-size" }),
      1,
    );
    if (HAS_PROMTOOL) {
      const r = await promtoolCheck(text);
      assertEquals(r?.ok, true, r?.output);
    }

    assertEquals(logged.map((l) => [l.peer, l.cause]), [
      ["192.0.2.2", "add-path"],
      ["192.0.2.2", "as-path-size"],
    ]);

    const state = {
      collector,
      peers: stats,
      metrics,
      tap: { debugging: () => false },
      store: {},
    } as unknown as CollectorState;
    const id = [...collector.routers.keys()][0];
    assertEquals(client(state, String(id)).recoveries_by_cause, {
      "add-path": 2,
      "as-path-size": 1,
    });
    const [p] = peers(state, String(id), "192.0.2.2");
    assertEquals(p.recoveries, { "add-path": 2, "as-path-size": 1 });
    // The second Peer Up did not drop the first one's Add-Path for 1/4.
    assertEquals(p.negotiated, {
      peer_ups: 2,
      four_octet_as: true,
      extended_message: false,
      families: ["ipv4_labeled_unicast", "ipv4_vpn"],
      add_path_in: ["ipv4_labeled_unicast"],
      add_path_out: ["ipv4_labeled_unicast"],
    });
    // The text forms of `show client X` and `show client X peer Y` carry the same.
    const clientShown = clientText(client(state, String(id)));
    assert(/recoveries:\s+add-path 2, as-path-size 1/.test(clientShown), clientShown);
    const peerShown = peerText([p]);
    assert(/recoveries:\s+add-path 2, as-path-size 1/.test(peerShown), peerShown);
    assert(/add-path in:\s+ipv4_labeled_unicast/i.test(peerShown), peerShown);
  } finally {
    await collector.stop();
    metrics.close();
  }
});
