import { assertEquals } from "../_assert.ts";
import { fixtureMessages } from "../_data.ts";
import { migrate } from "../../src/store/migrate.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { dbTest } from "./_db.ts";

dbTest(
  "a Peer Up right after a Peer Down leaves the peer up (writes keep arrival order)",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    const messages = await fixtureMessages("gobgp-frr-lab/gobgp-3.10-pre-100.bmp");
    const up = messages.find((m) => m.kind === "peer_up")!;
    const downAt = messages.findIndex((m) => m.kind === "peer_down");
    const writer = await StoreWriter.open(sql);
    const routerId = await writer.router("192.0.2.1", "192.0.2.1");
    // Routes, then the Peer Down (which waits for their batches), then at once a new Peer Up.
    for (const m of messages.slice(0, downAt + 1)) await writer.write(routerId, m);
    await writer.write(routerId, up);
    await writer.close();
    const [{ state }] = await sql`SELECT state FROM peers`;
    assertEquals(state, "up");
    const events = await sql`SELECT event FROM peer_events ORDER BY time, event`;
    assertEquals(events.length, 3);
  },
);
