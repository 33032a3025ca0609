/**
 * pmacct test 205 (6WIND/FRR Loc-RIB): two UPDATEs carry AS_PATH `02 01 fd e8`, 2-byte
 * ASNs in a 4-byte AS session. Issue 10: they are read as AS 65000, flagged `recovered`
 * (cause `as-path-size`), and their VPNv4 route is announced, where it used to be treated
 * as withdrawn with AS_PATH discarded. The flag reaches the stored attribute set.
 */

import type { RouteMonitoringMessage } from "../../src/bmp/message.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { readCapture } from "../../src/io/file.ts";
import { migrate } from "../../src/store/migrate.ts";
import { routeRows } from "../../src/store/rows/route.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { assert, assertEquals } from "../_assert.ts";
import { HAS_SHARED, shared, sharedTest } from "../_data.ts";
import { dbTest } from "../store/_db.ts";

const FILE = "bmp/pmacct-tests/205-BMP-6wind-FRR-peer_down/traffic-00.pcap";

async function messages() {
  const cap = await readCapture(shared(FILE));
  const out: RouteMonitoringMessage[] = [];
  for (const flow of cap.flows) {
    for (const it of readBmpStream(flow.data)) {
      if (it.message?.kind === "route_monitoring") out.push(it.message);
    }
  }
  return out;
}

const isRecovered = (m: RouteMonitoringMessage) =>
  m.update.problems.some((p) => p.action === "recovered");

sharedTest("pmacct 205: the 2-byte AS_PATH is recovered as AS 65000 and flagged", async () => {
  const rec = (await messages()).filter(isRecovered);
  assertEquals(rec.length, 2);
  for (const m of rec) {
    const u = m.update;
    assertEquals(u.attributes.asPath, [{ type: 2, asns: [65000] }]);
    assertEquals(u.treatAsWithdraw, undefined);
    assertEquals(u.problems.map((p) => [p.action, p.cause, p.attribute]), [
      ["recovered", "as-path-size", 2],
    ]);
    // pmacct's output-bmp-00.json prints this route's RD as "2:4226809914:19" too.
    assertEquals(u.attributes.mpReach?.nlri, [
      { prefix: "192.0.2.19/32", rd: "2:4226809914:19", labels: [16] },
    ]);
    // The history row is an announcement whose attribute set carries the flag.
    const rows = routeRows(m, 1, 1);
    assertEquals(rows.map((r) => r.withdrawn), [false]);
    assertEquals(rows[0].attrs?.problems, u.problems);
  }
  // One Loc-RIB peer and one post-policy view of the same route.
  assertEquals(rec.map((m) => m.peer.peerType).sort(), [0, 3]);
});

if (HAS_SHARED) {
  dbTest("pmacct 205: the recovered AS_PATH and its flag are stored in path_attrs", async (sql) => {
    await migrate(sql, { timescaledb: false });
    const writer = await StoreWriter.open(sql, { lanes: 1, batchRows: 500 });
    const routerId = await writer.router("pmacct-205", "127.0.0.1");
    const cap = await readCapture(shared(FILE));
    for (const flow of cap.flows) {
      for (const it of readBmpStream(flow.data)) {
        if (!it.message) continue;
        const wait = writer.write(routerId, it.message);
        if (wait) await wait;
      }
    }
    await writer.close();
    const rows = await sql`SELECT h.withdrawn, a.as_path, a.problems
      FROM route_history h JOIN path_attrs a ON a.id = h.attr_id
      WHERE a.problems @> '[{"action": "recovered"}]'::jsonb`;
    assertEquals(rows.length, 2);
    for (const r of rows) {
      assertEquals([r.withdrawn, r.as_path.map(Number)], [false, [65000]]);
      assert(r.problems.some((p: { cause?: string }) => p.cause === "as-path-size"));
    }
  });
}
