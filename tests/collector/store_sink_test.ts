import { assertEquals } from "../_assert.ts";
import { fixtureMessages } from "../_data.ts";
import { RouterConnection } from "../../src/collector/server.ts";
import { StoreSink } from "../../src/collector/store_sink.ts";
import { migrate } from "../../src/store/migrate.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { dbTest } from "../store/_db.ts";

dbTest(
  "a router that reconnects gets its row back once its previous session is closed",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    const all = await fixtureMessages("gobgp-frr-lab/gobgp-3.10-pre-100.bmp");
    // The session up to its routes, without its Peer Down: the disconnect closes the peer.
    const session = all.slice(0, all.findIndex((m) => m.kind === "peer_down"));
    const raw = new Uint8Array(0);
    const writer = await StoreWriter.open(sql);
    const sink = new StoreSink(writer);
    const first = new RouterConnection(1, "192.0.2.1", 40001);
    await sink.routerUp(first);
    for (const m of session) await sink.write(first, m, raw);
    await writer.flush();
    const [{ routes }] = await sql`SELECT count(*)::int AS routes FROM rib WHERE NOT withdrawn`;
    // The reconnect arrives while the old session's disconnect is still being written.
    const closing = sink.routerDown(first, "closed by router");
    const second = new RouterConnection(2, "192.0.2.1", 40002);
    await sink.routerUp(second);
    for (const m of session) await sink.write(second, m, raw);
    await closing;
    await writer.close();
    const routers = await sql`SELECT key, connected FROM routers`;
    assertEquals(routers.map((r) => [r.key, r.connected]), [["192.0.2.1", true]]);
    const [{ now }] = await sql`SELECT count(*)::int AS now FROM rib WHERE NOT withdrawn`;
    assertEquals(now, routes, "the new session's routes are current, not withdrawn with the old");
    const [{ state }] = await sql`SELECT state FROM peers`;
    assertEquals(state, "up");
  },
);
