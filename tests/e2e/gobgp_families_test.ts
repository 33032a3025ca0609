/**
 * Acceptance of issue 16 with a real sender: gobgpd A monitors its session with gobgpd B over
 * BMP (pre-policy, post-policy, Loc-RIB) into `bmpmon serve`. B originates Flowspec (IPv4,
 * IPv6, IPv4 VPN) and MUP routes with the `gobgp` CLI, and SR Policy through its gRPC API
 * (`_gobgp_api.ts`: Debian's gobgp 3.x CLI cannot originate it); router C sends an RTC
 * membership the same way, on a session of its own. Each must reach v_flowspec / v_mup /
 * v_sr_policies / v_rtc exactly as injected in every view that carries it (`_gobgp_families.ts`);
 * then one route of each kind is withdrawn, and B and C shut their sessions: Peer Down
 * withdraws the rest. Needs DATABASE_URL and gobgpd/gobgp; otherwise ignored, saying why.
 *
 * @module
 */

import type postgres from "postgres";
import { assertEquals } from "../_assert.ts";
import { gobgpAvailable } from "./_gobgp.ts";
import { type Injected, injected } from "./_gobgp_families.ts";
import { Daemon, freePort, gobgp, tail, until as untilRouter } from "./_gobgpd.ts";
import { dbTest, serve, until } from "./_serve.ts";

type Sql = postgres.Sql;

// GoBGP sends a peer with RTC negotiated only the routes whose route targets it asked for
// (RFC 4684), whatever their family: RTC gets a session of its own, from router C.
const FAMILIES = [
  "ipv4-flowspec",
  "ipv6-flowspec",
  "l3vpn-ipv4-flowspec",
  "ipv4-srpolicy",
  "ipv4-mup",
];
const RTC_FAMILIES = ["rtc"];

/** SQL per view: the row fields compared with `Injected.want`, and the key column. */
const VIEW_SQL: Record<Injected["view"], { key: string; fields: string }> = {
  v_flowspec: { key: "rule", fields: "afi, safi, rd, actions" },
  v_mup: {
    key: "route_key",
    fields:
      `route_type_name, rd, prefix::text AS prefix, teid::int, qfi, host(endpoint) AS endpoint,
      host(next_hop) AS next_hop, ext_communities`,
  },
  v_sr_policies: {
    key: "route_key",
    fields: `host(headend) AS headend, distinguisher::int, color::int, host(endpoint) AS endpoint,
      preference::int, binding_sid, priority,
      (SELECT jsonb_agg((SELECT jsonb_agg((s->>'label')::int) FROM jsonb_array_elements(l->'segments') s))
        FROM jsonb_array_elements(segment_lists) l) AS labels,
      (SELECT jsonb_agg((l->>'weight')::int) FROM jsonb_array_elements(segment_lists) l) AS weights`,
  },
  v_rtc: { key: "membership", fields: "origin_as::int, route_target, bits" },
};

const VIEW_OF = `CASE WHEN loc_rib THEN 'locRib' WHEN post_policy THEN 'post' ELSE 'pre' END`;

/** Live rows: `<view>|<sql view>|<key>` → fields. */
async function liveRows(sql: Sql): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const [v, q] of Object.entries(VIEW_SQL)) {
    const rows = await sql.unsafe(
      `SELECT ${VIEW_OF} AS bmp_view, ${q.key} AS key, ${q.fields} FROM ${v} WHERE NOT adj_rib_out`,
    );
    for (const { bmp_view, key, ...fields } of rows) out.set(`${bmp_view}|${v}|${key}`, fields);
  }
  return out;
}

function pick(row: Record<string, unknown>, want: Record<string, unknown>) {
  return Object.fromEntries(Object.keys(want).map((k) => [k, row[k] ?? null]));
}

interface Router {
  asn: number;
  address: string;
  port: number;
  api: number;
}

function neighbor(me: Router, peer: Router, families: string[], active: boolean): string {
  const afis = families.map((f) =>
    `  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = "${f}"\n`
  ).join("");
  return `[[neighbors]]
  [neighbors.config]
    neighbor-address = "${peer.address}"
    peer-as = ${peer.asn}
  [neighbors.transport.config]
    local-address = "${me.address}"
    ${active ? `remote-port = ${peer.port}` : "passive-mode = true"}
${afis}`;
}

function config(me: Router, neighbors: string, bmp?: { port: number }): string {
  return `[global.config]
  as = ${me.asn}
  router-id = "${me.address}"
  port = ${me.port}
  local-address-list = ["${me.address}"]
${
    bmp
      ? `[[bmp-servers]]
  [bmp-servers.config]
    address = "127.0.0.1"
    port = ${bmp.port}
    route-monitoring-policy = "all"
`
      : ""
  }
${neighbors}`;
}

const VIEWS = ["pre", "post", "locRib"];

dbTest(
  "gobgpd originates Flowspec, MUP, SR Policy and RTC over BMP: stored as injected, then withdrawn",
  async () => {
    const s = await serve();
    const dir = await Deno.makeTempDir({ prefix: "bmpmon-families-" });
    const daemons: Daemon[] = [];
    const a = {
      asn: 65001,
      address: "127.0.0.1",
      port: freePort("127.0.0.1"),
      api: freePort("127.0.0.1"),
    };
    const b = {
      asn: 65002,
      address: "127.0.0.2",
      port: freePort("127.0.0.2"),
      api: freePort("127.0.0.1"),
    };
    const c = {
      asn: 65003,
      address: "127.0.0.3",
      port: freePort("127.0.0.3"),
      api: freePort("127.0.0.1"),
    };
    const deadline = Date.now() + 90_000;
    const alive = () => daemons.forEach((d) => d.assertRunning());
    try {
      const toA = neighbor(a, b, FAMILIES, true) + neighbor(a, c, RTC_FAMILIES, true);
      await Deno.writeTextFile(`${dir}/a.toml`, config(a, toA, { port: s.port }));
      await Deno.writeTextFile(`${dir}/b.toml`, config(b, neighbor(b, a, FAMILIES, false)));
      await Deno.writeTextFile(`${dir}/c.toml`, config(c, neighbor(c, a, RTC_FAMILIES, false)));
      for (const [name, r] of [["b", b], ["c", c], ["a", a]] as const) {
        daemons.push(
          new Daemon(name, `${dir}/${name}.log`, [
            "-f",
            `${dir}/${name}.toml`,
            "--api-hosts",
            `127.0.0.1:${r.api}`,
            "--pprof-disable",
            "--log-plain",
          ], 120),
        );
      }
      for (const peer of [b, c]) {
        await untilRouter(`the BGP session A-${peer.address}`, deadline, alive, async () => {
          const n = JSON.parse(await gobgp(a.api, ["neighbor", peer.address, "-j"], 2000));
          const st = n.state?.session_state;
          return st === 6 || st === "ESTABLISHED" ? true : undefined;
        }, 250);
      }
      const api = (r: Injected) => r.from === "c" ? c.api : b.api;

      const routes = injected();
      for (const r of routes) await r.add(api(r));
      const want = (rs: Injected[]) =>
        new Map(
          rs.flatMap((r) =>
            (r.views ?? VIEWS).map((v) => [`${v}|${r.view}|${r.key}`, r.want] as const)
          ),
        );
      const settle = async (expect: Map<string, Record<string, unknown>>, what: string) => {
        await until(
          async () => {
            const got = await liveRows(s.sql);
            return got.size === expect.size && [...expect.keys()].every((k) => got.has(k));
          },
          Math.min(20_000, Math.max(1000, deadline - Date.now() - 20_000)),
          what,
        ).catch(() => {});
        const got = await liveRows(s.sql);
        assertEquals([...got.keys()].sort(), [...expect.keys()].sort(), `${what}: routes`);
        for (const [k, w] of expect) assertEquals(pick(got.get(k)!, w), w, `${what}: ${k}`);
      };
      await settle(want(routes), "announced");

      // Every route of pre-policy view in route_history once as announced.
      const [h] = await s.sql`SELECT count(*)::int AS n FROM route_history h JOIN peers p
        ON p.id = h.peer_id WHERE h.nlri IS NOT NULL AND NOT h.withdrawn AND NOT p.post_policy
        AND NOT p.loc_rib`;
      assertEquals(h.n, routes.length, "pre-policy announcements in route_history");

      for (const r of routes.filter((r) => r.withdraw)) await r.del(api(r));
      await settle(want(routes.filter((r) => !r.withdraw)), "after B's withdrawals");
      const [fw] = await s.sql`SELECT count(*)::int AS n FROM v_flowspec_history
        WHERE action = 'withdraw' AND rule = ${routes[0].key}`;
      assertEquals(fw.n, VIEWS.length, "the flowspec withdrawal in v_flowspec_history, per view");

      await gobgp(b.api, ["neighbor", a.address, "shutdown"]);
      await gobgp(c.api, ["neighbor", a.address, "shutdown"]);
      await settle(new Map(), "after Peer Down");
      const [left] = await s.sql`SELECT count(*)::int AS n FROM rib WHERE nlri IS NOT NULL`;
      const rows = routes.reduce((n, r) => n + (r.views ?? VIEWS).length, 0);
      assertEquals(left.n, rows, "rib keeps the withdrawn rows, flagged");
    } catch (e) {
      const logs = await Promise.all(
        daemons.map(async (d) => `--- ${d.name} ---\n${await tail(d.logPath)}`),
      );
      throw new Error(
        `${(e as Error).message}\n${logs.join("\n")}\n--- serve ---\n${
          s.log.slice(-15).join("\n")
        }`,
        { cause: e },
      );
    } finally {
      await Promise.all(daemons.map((d) => d.stop()));
      await s.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
  { ignore: gobgpAvailable() ? undefined : "gobgpd/gobgp not on PATH" },
);
