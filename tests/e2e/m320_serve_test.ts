/**
 * Full table through `bmpmon serve`: the Juniper M320 stream (707,576 IPv4 prefixes, the
 * last messages withdrawing 103.81.24.0/24-103.81.27.0/24) sent on one router connection
 * that stays open, then a Peer Down for its peer.
 */

import { readInput } from "../../src/io/file.ts";
import { assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { dbTest, serve, until } from "./_serve.ts";

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
}

/**
 * A Peer Down (reason 2, FSM event 0) with the per-peer header of the message at `off`,
 * stamped now as a router would (the store withdraws routes older than the Peer Down).
 */
function peerDownLike(stream: Uint8Array, off: number): Uint8Array {
  const m = new Uint8Array(6 + 42 + 3);
  const dv = new DataView(m.buffer);
  m[0] = 3;
  dv.setUint32(1, m.length);
  m[5] = 2;
  m.set(stream.subarray(off + 6, off + 48), 6);
  dv.setUint32(6 + 34, Math.floor(Date.now() / 1000));
  dv.setUint32(6 + 38, 0);
  m[48] = 2;
  return m;
}

dbTest(
  "serve: M320 full table lands in v_routes, history and RIB; Peer Down withdraws it all",
  async () => {
    const stream = await readInput(fixture("juniper-m320/m320.bmp.xz"));
    // The first Route Monitoring message gives the peer's header.
    let off = 0;
    while (stream[off + 5] !== 0) {
      off += new DataView(stream.buffer, stream.byteOffset).getUint32(
        off + 1,
      );
    }
    const s = await serve();
    let failed = false;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    try {
      const t0 = performance.now();
      await writeAll(conn, stream);
      const count = async (q: string) => (await s.sql.unsafe(q))[0].n as number;
      await until(
        async () => (await count(`SELECT count(*)::int AS n FROM route_history`)) >= 707_580,
        240_000,
        "707,580 history rows",
      );
      console.log(
        `M320 through serve: ${
          ((performance.now() - t0) / 1000).toFixed(1)
        } s to commit 707,580 rows`,
      );
      assertEquals(await count(`SELECT count(*)::int AS n FROM route_history`), 707_580);
      assertEquals(
        await count(
          `SELECT count(*)::int AS n FROM v_routes WHERE host(peer) = '10.0.2.2' AND afi = 1 AND safi = 1`,
        ),
        707_572,
      );
      const withdrawn = await s
        .sql`SELECT prefix::text AS p FROM rib WHERE withdrawn ORDER BY prefix`;
      assertEquals(withdrawn.map((r) => r.p), [
        "103.81.24.0/24",
        "103.81.25.0/24",
        "103.81.26.0/24",
        "103.81.27.0/24",
      ]);
      assertEquals(await count(`SELECT count(*)::int AS n FROM rib`), 707_576);

      await writeAll(conn, peerDownLike(stream, off));
      await until(
        async () => (await count(`SELECT count(*)::int AS n FROM v_routes`)) === 0,
        60_000,
        "all routes withdrawn",
      );
      assertEquals(await count(`SELECT count(*)::int AS n FROM rib WHERE withdrawn`), 707_576);
      const [ev] = await s.sql`SELECT event, reason FROM peer_events WHERE event = 'down'`;
      assertEquals([ev.event, ev.reason], ["down", 2]);
    } catch (e) {
      failed = true;
      throw new Error(`${(e as Error).message}\nserve log:\n${s.log.slice(-10).join("\n")}`, {
        cause: e,
      });
    } finally {
      conn.close();
      const code = await s.stop();
      if (!failed) assertEquals(code, 0, "serve exits 0 on SIGTERM");
    }
  },
);
