/**
 * End to end (issue 16, part 2): a router sends BGP-LS over BMP to a running `bmpmon
 * serve`; the nodes, links and prefixes reach ls_nodes, ls_links, ls_prefixes and
 * v_ls_topology, and a withdrawal and the Peer Down withdraw them.
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import * as b from "../_build.ts";
import {
  isisLink,
  isisNode,
  linkAttrs,
  lsHead,
  lsNlri,
  lsTlv,
  ospfPrefix4,
} from "../bgp/nlri/_bgp_ls.ts";
import { dbTest, serve, until } from "./_serve.ts";

const NH = b.ip4("192.0.2.1");
const BASE = [b.origin(0), b.asPath([65002])];
const ls = (...t: Uint8Array[]) => b.attr(29, b.cat(...t), 0x80);
const rm = (attrs: Uint8Array[]) => b.routeMonitoring(b.update({ attrs }));

dbTest(
  "serve stores BGP-LS sent over BMP and withdraws it on withdrawal and Peer Down",
  async () => {
    const s = await serve();
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
      const caps = [b.capMp(16388, 71), b.capAs4(65002)];
      await conn.write(b.cat(
        b.initiation(b.tlv(2, b.text("ls-router"))),
        b.peerUp(b.open({ myAs: 65001, caps }), b.open({ myAs: 65002, caps })),
        rm([
          ...BASE,
          b.mpReach(16388, 71, NH, [lsNlri(1, lsHead(2), isisNode(1))]),
          ls(lsTlv(1026, b.text("p1"))),
        ]),
        rm([
          ...BASE,
          b.mpReach(16388, 71, NH, [lsNlri(1, lsHead(2), isisNode(2))]),
          ls(lsTlv(1026, b.text("p2"))),
        ]),
        rm([...BASE, b.mpReach(16388, 71, NH, [isisLink()]), ls(linkAttrs())]),
        rm([...BASE, b.mpReach(16388, 71, NH, [ospfPrefix4()]), ls(lsTlv(1155, b.u32(20)))]),
      ));
      const sql = s.sql;
      const count = async (v: string) =>
        (await sql.unsafe(`SELECT count(*)::int AS n FROM ${v}`))[0].n;
      await until(
        async () =>
          (await count("ls_nodes")) === 2 && (await count("ls_links")) === 1 &&
          (await count("ls_prefixes")) === 1,
        30_000,
        "the BGP-LS rows",
      );
      const topo = await sql`SELECT local_name, remote_name, igp_metric::int, te_metric::int,
      host(interface_address) AS ifa, host(neighbor_address) AS nba FROM v_ls_topology`;
      assertEquals(topo.map((r) => ({ ...r })), [
        {
          local_name: "p1",
          remote_name: "p2",
          igp_metric: 10,
          te_metric: 100,
          ifa: "10.1.2.1",
          nba: "10.1.2.2",
        },
      ]);
      const [p] =
        await sql`SELECT protocol, prefix::text, prefix_metric::int, ospf_route_type FROM ls_prefixes`;
      assertEquals({ ...p }, {
        protocol: "ospfv2",
        prefix: "10.0.0.0/24",
        prefix_metric: 20,
        ospf_route_type: 1,
      });

      await conn.write(rm([b.mpUnreach(16388, 71, [isisLink()])]));
      await until(async () => (await count("ls_links")) === 0, 30_000, "the link withdrawn");
      assertEquals(await count("ls_nodes"), 2);
      await conn.write(b.peerDown(2, b.u16(0)));
      await until(
        async () => (await count("ls_nodes")) === 0 && (await count("ls_prefixes")) === 0,
        30_000,
        "the Peer Down withdrawal",
      );
      const [h] = await sql`SELECT count(*) FILTER (WHERE action = 'announce')::int AS a,
      count(*) FILTER (WHERE action = 'withdraw')::int AS w FROM ls_history`;
      // The explicit withdrawal is in the history; a Peer Down marks the rib rows withdrawn
      // (and is a peer event), without a history row per route.
      assertEquals([h.a, h.w], [4, 1]);
      const [rib] = await sql`SELECT count(*)::int AS n, count(*) FILTER (WHERE withdrawn)::int AS w
      FROM rib WHERE afi = 16388`;
      assertEquals([rib.n, rib.w], [4, 4]);
      conn.close();
    } finally {
      await s.stop();
    }
  },
);
