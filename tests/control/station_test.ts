/**
 * Against a live `bmpmon serve` (ROUTER_HOLDDOWN=3/10s/20s, dual-stack listener): a router
 * that reconnects 4 times within 10 s is held down, counted and shown (`show clients`,
 * `show station`, `/metrics`) while a second router (another address, ::1) is served all
 * along; that second router's capture has 18 peers, whose last messages
 * `show client ID peer PEER messages` gives, most of them long out of the router's ring.
 */

import type { ClientInfo, HeldRouterInfo, MessageInfo, Station } from "../../src/control/api.ts";
import { ControlClient } from "../../src/control/client.ts";
import { messageLine } from "../../src/control/line.ts";
import { RECENT_MESSAGES } from "../../src/control/tap.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { DATABASE_URL, serve, type Served, until } from "../e2e/_serve.ts";
import { bytesOf, loadCapture, modelOf } from "./_capture.ts";
import { cli, cliOk } from "./_live.ts";

const NAME = "hold-down, show station and show client X peer Y messages against a live collector";
const FLAPPER = "::ffff:127.0.0.1";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function sendAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/** True when the collector closed `conn` (end of stream or reset). */
async function closedByPeer(conn: Deno.Conn): Promise<boolean> {
  try {
    return (await conn.read(new Uint8Array(64))) === null;
  } catch {
    return true;
  }
}

function fieldsOf(text: string): Map<string, string> {
  return new Map(
    text.trim().split("\n").map((l) => {
      const i = l.indexOf(":");
      return [l.slice(0, i), l.slice(i + 1).trim()];
    }),
  );
}

Deno.test({
  name: DATABASE_URL ? NAME : `${NAME} (skipped: no DATABASE_URL)`,
  ignore: !DATABASE_URL,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const flapper = await loadCapture(fixture("gobgp-frr-lab/gobgp-3.10-pre-100.bmp"));
    const many = await loadCapture(fixture("netgauze/peers-with-different-caps/example.pcap"));
    const half = Math.floor(many.messages.length / 2);
    const version = JSON.parse(
      await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
    ).version;
    const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-station-" });
    const metricsPort = freePort();
    const client = new ControlClient(dataDir);
    let s: Served | undefined;
    const open: Deno.Conn[] = [];
    try {
      s = await serve({
        DATA_DIR: dataDir,
        BMP_LISTEN_HOST: "::",
        ROUTER_HOLDDOWN: "3/10s/20s",
        METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
      });
      const port = s.port;
      const list = () => client.request<ClientInfo[]>("GET", "/clients");
      // The other router, from ::1: half its capture now, the rest while the first is held.
      const other = await Deno.connect({ hostname: "::1", port });
      open.push(other);
      await sendAll(other, bytesOf(many, 0, half));
      let idOther = 0;
      await until(
        async () => {
          idOther = (await list()).find((c) => c.address === "::1" && c.messages === half)?.id ?? 0;
          return idOther > 0;
        },
        30_000,
        "the other router's first half",
      );

      await t.step("a router that reconnects 4 times within 10 s is held down", async () => {
        const t0 = Date.now();
        // The first connection and two reconnects are served; each session ends by the
        // router's doing (a flap). The third end holds the address down.
        for (let i = 1; i <= 3; i++) {
          const conn = await Deno.connect({ hostname: "127.0.0.1", port });
          await sendAll(conn, flapper.data);
          await until(
            async () => (await list()).some((c) => c.address === FLAPPER && c.messages === 76),
            10_000,
            `session ${i} counted`,
          );
          conn.close();
          await until(
            async () => !(await list()).some((c) => c.address === FLAPPER),
            10_000,
            `session ${i} ended`,
          );
        }
        // Reconnects 3 and 4: closed at once.
        for (let i = 0; i < 2; i++) {
          const conn = await Deno.connect({ hostname: "127.0.0.1", port });
          await sendAll(conn, flapper.data).catch(() => {});
          assert(await closedByPeer(conn), "refused");
          conn.close();
        }
        assert(Date.now() - t0 < 10_000, `the reconnects took ${Date.now() - t0} ms`);
        const held = await client.request<HeldRouterInfo[]>("GET", "/holddowns");
        assertEquals(held.map((h) => [h.address, h.flaps, h.refused, h.holddowns]), [
          [FLAPPER, 3, 2, 1],
        ]);
        assert(held[0].left_s > 0 && held[0].left_s <= 20, String(held[0].left_s));
        // One log line for the hold, one for its first refusal.
        const log = served().log.flatMap((l) => {
          try {
            return [JSON.parse(l)];
          } catch {
            return [];
          }
        });
        assertEquals(
          log.filter((j) => j.message === "router held down").map((j) => j.properties.address),
          [FLAPPER],
        );
        assertEquals(
          log.filter((j) => j.properties?.limit === "held_down").map((j) => j.properties.address),
          [FLAPPER],
        );
      });

      await t.step("the other router is served meanwhile", async () => {
        await sendAll(other, bytesOf(many, half, many.messages.length));
        await until(
          async () => {
            const c = (await list()).find((c) => c.id === idOther);
            return c?.messages === many.messages.length;
          },
          30_000,
          "the other router's second half",
        );
        const m = modelOf(many.messages);
        const c = (await list()).find((c) => c.id === idOther)!;
        assertEquals([c.messages, c.bytes, c.peers], [m.messages, m.bytes, m.peers.size]);
      });

      await t.step("show clients lists the held-down router", async () => {
        const text = await cliOk(dataDir, "show", "clients");
        console.log(`$ bmpmon show clients\n${text}`);
        const [connected, held] = text.trim().split("\n\n");
        assert(connected.includes("[::1]:"), connected);
        assert(!connected.includes(FLAPPER), connected);
        const lines = held.split("\n");
        assertEquals(
          lines[0],
          "held down (ROUTER_HOLDDOWN): new connections refused until the hold ends",
        );
        assertEquals(lines[1].split(/\s{2,}/), [
          "Address",
          "Since",
          "Left",
          "Flaps",
          "Refused",
          "Hold-downs",
        ]);
        const row = lines[2].trim().split(/\s{2,}/);
        assertEquals([row[0], ...row.slice(3)], [FLAPPER, "3", "2", "1"]);
        // --json keeps its shape: the connections only.
        const json = JSON.parse(await cliOk(dataDir, "show", "clients", "--json")) as ClientInfo[];
        assertEquals(json.map((c) => c.id), [idOther]);
      });

      await t.step("show station", async () => {
        const st = JSON.parse(await cliOk(dataDir, "show", "station", "--json")) as Station;
        assertEquals(st.version, version);
        assertEquals(st.listen, { address: "::", port });
        assertEquals(st.clients, { current: 1, max: 1000, max_per_address: 10 });
        assertEquals(st.holddown, { setting: "3/10s/20s", flaps: 3, period_s: 10, hold_s: 20 });
        assertEquals(st.held_down.map((h) => [h.address, h.refused]), [[FLAPPER, 2]]);
        assertEquals([st.store.kind, st.store.state], ["postgresql", "ok"]);
        assertEquals(st.spool.mode, "inline");
        assertEquals(st.bus, { kind: "none", state: "none" });
        assert(st.uptime_s >= 0 && st.started_at.endsWith("Z"));
        const stationText = await cliOk(dataDir, "show", "station");
        console.log(`$ bmpmon show station\n${stationText}`);
        const text = fieldsOf(stationText);
        assertEquals(text.get("version"), version);
        assertEquals(text.get("listening"), `[::]:${port}`);
        assertEquals(text.get("clients"), "1 current, max 1,000, 10 per address");
        assertEquals(text.get("hold-down"), "3 flaps in 10s: held 20s");
        assert(text.get("held down")!.startsWith(`${FLAPPER} (`), text.get("held down"));
        assert(text.get("held down")!.endsWith(" left, 3 flaps, 2 refused)"));
        assert(text.get("store")!.startsWith("postgresql ok"));
        assertEquals(text.get("bus"), "none");
      });

      await t.step("/metrics counts the hold-down and the refusals", async () => {
        const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        const value = (series: string) => {
          const line = body.split("\n").find((l) => l.startsWith(series + " "));
          return line === undefined ? undefined : Number(line.slice(series.length + 1));
        };
        assertEquals(value(`bmpmon_router_holddowns_total{router="${FLAPPER}"}`), 1);
        assertEquals(value("bmpmon_routers_held_down"), 1);
        assertEquals(value('bmpmon_router_connections_refused_total{limit="held_down"}'), 2);
        assertEquals(value('bmpmon_router_connections_refused_total{limit="not_allowed"}'), 0);
        assertEquals(value("bmpmon_router_sessions_total"), 4, "3 flapping sessions + the other");
      });

      await t.step("show client ID peer PEER messages", async () => {
        const peers = [
          ...new Map(
            many.messages.flatMap((x) => ("peer" in x.m ? [[x.m.peer.key, x.m.peer]] : [])),
          ).values(),
        ];
        assertEquals(peers.length, 18);
        const routerRing = many.messages.slice(-RECENT_MESSAGES);
        let beyond = 0;
        for (const p of peers) {
          const mine = many.messages.filter((x) => "peer" in x.m && x.m.peer.key === p.key);
          if (!mine.some((x) => routerRing.includes(x))) beyond++;
          const got = await client.request<MessageInfo[]>(
            "GET",
            `/clients/${idOther}/peers/${encodeURIComponent(p.address)}/messages?n=16`,
          );
          assertEquals(
            got.map((g) => [g.kind, g.length, g.line]),
            mine.slice(-16).map((x) => [x.m.kind, x.end - x.start, messageLine(x.m)]),
            p.address,
          );
        }
        assert(beyond >= 5, `${beyond} peers have no message among the router's last 64`);
        // The CLI, for an IPv6 peer with several messages: --last and the text lines.
        const v6 = peers.find((p) => p.address === "2001:db8:56::1")!;
        const mine = many.messages.filter((x) => "peer" in x.m && x.m.peer.key === v6.key);
        assert(mine.length > 3);
        const args = ["show", "client", String(idOther), "peer", v6.address, "messages"];
        const json = JSON.parse(await cliOk(dataDir, ...args, "--last", "3", "--json"));
        assertEquals(
          json.map((g: MessageInfo) => g.line),
          mine.slice(-3).map((x) => messageLine(x.m)),
        );
        const text = (await cliOk(dataDir, ...args, "--last", "3")).trim().split("\n");
        assertEquals(text.map((l) => l.slice(14)), mine.slice(-3).map((x) => messageLine(x.m)));
        const none = await cli(
          dataDir,
          "show",
          "client",
          String(idOther),
          "peer",
          "192.0.2.99",
          "messages",
        );
        assertEquals([none.code, none.stderr.trim()], [
          1,
          `bmpmon: client ${idOther} has no peer 192.0.2.99`,
        ]);
      });

      await t.step("the hold ends and the router is accepted again", async () => {
        await until(
          async () => (await client.request<HeldRouterInfo[]>("GET", "/holddowns")).length === 0,
          25_000,
          "the hold to end",
        );
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        open.push(conn);
        await sendAll(conn, flapper.data);
        await until(
          async () => (await list()).some((c) => c.address === FLAPPER && c.messages === 76),
          10_000,
          "the router accepted",
        );
        const st = await client.request<Station>("GET", "/station");
        assertEquals([st.clients.current, st.held_down.length], [2, 0]);
      });
    } finally {
      for (const c of open) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await s?.stop();
      await Deno.remove(dataDir, { recursive: true });
    }

    function served(): Served {
      return s!;
    }
  },
});
