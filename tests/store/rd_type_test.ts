/**
 * Route Distinguishers of different types with equal numbers are different RDs (RFC 4364
 * §4.2): type 0 `100:5` and type 2 `100:5` must be two RIB rows, two EVPN routes and two
 * RD-instance peers, so the stored RD text carries the type.
 */

import { assertEquals } from "../_assert.ts";
import { migrate } from "../../src/store/migrate.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import {
  asPath,
  cat,
  decodeBmp,
  evpnMacIp,
  ip4,
  mpReach,
  origin,
  prefix,
  rd0,
  rd2,
  routeMonitoring,
  update,
} from "../_build.ts";
import { dbTest } from "./_db.ts";

dbTest(
  "StoreWriter keeps VPNv4 and EVPN routes of RD type 0 100:5 and type 2 100:5 apart",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    const vpn = update({
      attrs: [
        origin(0),
        asPath([65001]),
        mpReach(1, 128, cat(Array(8).fill(0), ip4("192.0.2.1")), [
          prefix("10.0.0.0/24", { labels: [16], rd: rd0(100, 5) }),
          prefix("10.0.0.0/24", { labels: [17], rd: rd2(100, 5) }),
        ]),
      ],
    });
    const l2vpn = update({
      attrs: [
        origin(0),
        asPath([65001]),
        mpReach(25, 70, ip4("192.0.2.1"), [evpnMacIp(rd0(100, 5)), evpnMacIp(rd2(100, 5))]),
      ],
    });
    // The same peer address in two RD instances (peer type 1) whose RDs differ by type.
    const msgs = [
      routeMonitoring(vpn),
      routeMonitoring(l2vpn),
      routeMonitoring(vpn, { type: 1, rd: rd0(100, 5) }),
      routeMonitoring(vpn, { type: 1, rd: rd2(100, 5) }),
    ].map((b) => decodeBmp(b));
    const writer = await StoreWriter.open(sql, { lanes: 1 });
    try {
      const routerId = await writer.router("r1", "192.0.2.1");
      for (const m of msgs) {
        const wait = writer.write(routerId, m);
        if (wait) await wait;
      }
      await writer.flush();
    } finally {
      await writer.close();
    }
    const [n] = await sql`SELECT count(*)::int AS rib, count(DISTINCT peer_id)::int AS peers,
      (SELECT count(*)::int FROM route_history) AS history FROM rib`;
    // 2 VPN + 2 EVPN routes of the global peer, 2 VPN routes of each RD-instance peer.
    assertEquals([n.rib, n.peers, n.history], [8, 3, 8]);
    const peers = await sql`SELECT peer_type, rd FROM peers ORDER BY peer_type, rd`;
    assertEquals(peers.map((p) => `${p.peer_type}|${p.rd}`), ["0|", "1|0:100:5", "1|2:100:5"]);
    const rib = await sql`SELECT p.rd AS peer_rd, r.afi, r.safi, r.rd, r.route_key, r.labels
      FROM rib r JOIN peers p ON p.id = r.peer_id WHERE p.peer_type = 0
      ORDER BY r.safi, r.rd`;
    assertEquals(
      rib.map((r) => [r.afi, r.safi, r.rd, r.route_key, r.labels]),
      [
        [25, 70, "0:100:5", "2|0:100:5|10|00:11:22:33:44:55|10.0.0.1", [1000]],
        [25, 70, "2:100:5", "2|2:100:5|10|00:11:22:33:44:55|10.0.0.1", [1000]],
        [1, 128, "0:100:5", "10.0.0.0/24", [16]],
        [1, 128, "2:100:5", "10.0.0.0/24", [17]],
      ].sort((a, b) => Number(a[1]) - Number(b[1])),
    );
  },
);
