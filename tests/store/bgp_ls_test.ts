/**
 * BGP-LS in the store (issue 16, part 2): migration 0013 upgrades a database in place, and
 * the writer puts node, link and prefix NLRI into rib/route_history with their key, the
 * decoded NLRI and the BGP-LS attribute (path_attrs.bgp_ls), shown by ls_nodes, ls_links,
 * ls_prefixes, ls_history and the edge list v_ls_topology; a withdrawal and a Peer Down
 * withdraw them like routes.
 */

import { assert, assertEquals } from "../_assert.ts";
import { migrate } from "../../src/store/migrate.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import type { BmpMessage } from "../../src/bmp/message.ts";
import {
  asPath,
  attr,
  cat,
  decodeBmp,
  ip4,
  mpReach,
  mpUnreach,
  origin,
  peerDown,
  routeMonitoring,
  text,
  u16,
  u32,
  update,
} from "../_build.ts";
import { isisNode, lsHead, lsNlri, lsTlv } from "../bgp/nlri/_bgp_ls.ts";
import { dbTest } from "./_db.ts";
import {
  addLaterColumns,
  insertOneRoute,
  MIGRATIONS,
  migrationsBefore,
  tableColumns,
} from "./_migrations.ts";

const OURS = "0013_bgp_ls.sql";
const VIEWS = ["ls_nodes", "ls_links", "ls_prefixes", "ls_history", "v_ls_topology"];

dbTest(
  "migration 0013 adds path_attrs.bgp_ls and the BGP-LS views to a database in use",
  async (sql) => {
    const old = await migrationsBefore(OURS);
    try {
      const first = await migrate(sql, { timescaledb: false, dir: old.dir });
      assert(first.applied.length > 0 && !first.applied.includes(OURS));
      await insertOneRoute(sql);
      const before = {
        attrs: await tableColumns(sql, "path_attrs"),
        rib: await tableColumns(sql, "rib"),
        routes: await sql`SELECT * FROM v_routes`,
      };
      const second = await migrate(sql, { timescaledb: false });
      assertEquals(second.applied[0], OURS);
      assertEquals(await tableColumns(sql, "path_attrs"), [...before.attrs, "bgp_ls"]);
      assertEquals(await tableColumns(sql, "rib"), before.rib);
      assertEquals([...await sql`SELECT * FROM v_routes`], [...before.routes]);
      const [a] = await sql`SELECT bgp_ls FROM path_attrs`;
      assertEquals(a.bgp_ls, null);
      for (const v of VIEWS) assertEquals((await sql.unsafe(`SELECT * FROM ${v}`)).length, 0, v);
      await sql.unsafe(await Deno.readTextFile(new URL(OURS, MIGRATIONS))); // idempotent
    } finally {
      await old.remove();
    }
  },
);

dbTest(
  "today's writer writes into a database of before 0013 once its columns are added",
  async (sql) => {
    const old = await migrationsBefore(OURS);
    try {
      await migrate(sql, { timescaledb: false, dir: old.dir });
      // 0013's column, and those of the migrations after it (0017's spool sources).
      const added = await addLaterColumns(sql, OURS);
      assertEquals(added.filter((q) => q.includes("bgp_ls")).length, 1, added.join("\n"));
      const writer = await StoreWriter.open(sql, { lanes: 1 });
      try {
        const routerId = await writer.router("r1", "192.0.2.1");
        await write(
          writer,
          routerId,
          decodeBmp(routeMonitoring(update({ attrs: nodeUpdate(1, "r1") }))),
        );
        await writer.flush();
      } finally {
        await writer.close();
      }
      const [r] = await sql`SELECT r.route_key, a.bgp_ls ->> 'nodeName' AS name FROM rib r
      JOIN path_attrs a ON a.id = r.attr_id`;
      assertEquals([r.route_key, r.name], [
        "node:isis-l2:0:local[as=65000,bgpls=0,rid=0000.0000.0001]",
        "r1",
      ]);
    } finally {
      await old.remove();
    }
  },
);

const BASE = [origin(0), asPath([65002])];
const NH = ip4("192.0.2.1");
const ls = (...tlvs: Uint8Array[]) => attr(29, cat(...tlvs), 0x80);

function nodeUpdate(n: number, name: string) {
  const node = lsNlri(1, lsHead(2), isisNode(n));
  return [...BASE, mpReach(16388, 71, NH, [node]), ls(lsTlv(1026, text(name)))];
}

/** IS-IS L2 link from system ID `a` to `b`, with IGP metric `metric`. */
const link = (a: number, b: number) =>
  lsNlri(
    2,
    lsHead(2),
    isisNode(a),
    isisNode(b, 257),
    lsTlv(259, ip4(`10.${a}.${b}.1`)),
    lsTlv(260, ip4(`10.${a}.${b}.2`)),
  );
const linkUpdate = (a: number, b: number, metric: number) => [
  ...BASE,
  mpReach(16388, 71, NH, [link(a, b)]),
  ls(
    lsTlv(1092, u32(metric * 10)),
    lsTlv(1095, [0, 0, metric]),
    lsTlv(1089, [0x4c, 0xee, 0x6b, 0x28]),
  ),
];
const PREFIX = lsNlri(3, lsHead(2), isisNode(1), lsTlv(265, [24, 10, 0, 1]));

async function write(writer: StoreWriter, routerId: number, m: BmpMessage) {
  const wait = writer.write(routerId, m);
  if (wait) await wait;
}

/** The README's query: the IGP topology from BGP-LS (README.md, "Schema and queries"). */
const README_QUERY = `SELECT protocol, coalesce(local_name, local_node) AS from_node,
  coalesce(remote_name, remote_node) AS to_node, igp_metric, te_metric,
  max_bandwidth * 8 / 1e9 AS gbps
FROM v_ls_topology WHERE NOT post_policy AND NOT adj_rib_out ORDER BY from_node, to_node`;

dbTest(
  "StoreWriter keeps BGP-LS nodes, links and prefixes; withdrawals and Peer Down end them",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    const writer = await StoreWriter.open(sql, { lanes: 1 });
    try {
      const routerId = await writer.router("r1", "192.0.2.1");
      const updates = [
        nodeUpdate(1, "p1"),
        nodeUpdate(2, "p2"),
        linkUpdate(1, 2, 10),
        linkUpdate(2, 1, 10),
        linkUpdate(2, 3, 30), // node 3 is not announced: its name stays NULL
        [
          ...BASE,
          mpReach(16388, 71, NH, [PREFIX]),
          ls(lsTlv(1155, u32(5)), lsTlv(1158, [0x40, 0, 0, 0], u32(1))),
        ],
      ];
      for (const u of updates) {
        await write(
          writer,
          routerId,
          decodeBmp(routeMonitoring(update({ attrs: u }))),
        );
      }
      await writer.flush();

      const nodes = await sql`SELECT protocol, igp_router_id, node_name, asn::int FROM ls_nodes
      ORDER BY igp_router_id`;
      assertEquals(nodes.map((r) => [r.protocol, r.igp_router_id, r.node_name, r.asn]), [
        ["isis-l2", "0000.0000.0001", "p1", 65000],
        ["isis-l2", "0000.0000.0002", "p2", 65000],
      ]);
      const links = await sql`SELECT local_igp_router_id AS l, remote_igp_router_id AS r,
      host(interface_address) AS ifa, igp_metric::int, te_metric::int, max_bandwidth
      FROM ls_links ORDER BY l, r`;
      assertEquals(
        links.map((r) => [r.l, r.r, r.ifa, r.igp_metric, r.te_metric, r.max_bandwidth]),
        [
          ["0000.0000.0001", "0000.0000.0002", "10.1.2.1", 10, 100, 1.25e8],
          ["0000.0000.0002", "0000.0000.0001", "10.2.1.1", 10, 100, 1.25e8],
          ["0000.0000.0002", "0000.0000.0003", "10.2.3.1", 30, 300, 1.25e8],
        ],
      );
      const [p] = await sql`SELECT prefix::text, prefix_metric::int, prefix_sids FROM ls_prefixes`;
      assertEquals([p.prefix, p.prefix_metric, p.prefix_sids], ["10.0.1.0/24", 5, [
        { flags: 0x40, algorithm: 0, index: 1 },
      ]]);
      const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
      assert(readme.includes(README_QUERY), "the README's query is the one tested");
      const topo = await sql.unsafe(README_QUERY);
      assertEquals(
        topo.map((r) => [r.from_node, r.to_node, Number(r.igp_metric), Number(r.gbps)]),
        [
          ["p1", "p2", 10, 1],
          ["p2", "0000.0000.0003", 30, 1], // node 3 has no Node NLRI: no name
          ["p2", "p1", 10, 1],
        ],
      );

      // The link 2 -> 3 is withdrawn, then the peer goes down: nothing is left.
      await write(
        writer,
        routerId,
        decodeBmp(routeMonitoring(update({ attrs: [mpUnreach(16388, 71, [link(2, 3)])] }))),
      );
      await writer.flush();
      assertEquals(
        (await sql`SELECT remote_node FROM v_ls_topology ORDER BY remote_node`).map((r) =>
          r.remote_node
        ),
        [
          "0000.0000.0001",
          "0000.0000.0002",
        ],
      );
      const log =
        await sql`SELECT kind, action, nlri #>> '{remoteNode,igpRouterId}' AS remote FROM ls_history
      WHERE kind = 'link' AND nlri #>> '{remoteNode,igpRouterId}' = '0000.0000.0003' ORDER BY time, action`;
      assertEquals(log.map((r) => [r.kind, r.action, r.remote]), [
        ["link", "announce", "0000.0000.0003"],
        ["link", "withdraw", "0000.0000.0003"],
      ]);
      await write(writer, routerId, decodeBmp(peerDown(2, u16(0))));
      await writer.flush();
      const [left] = await sql`SELECT count(*) FILTER (WHERE NOT withdrawn)::int AS live,
      count(*)::int AS all FROM rib WHERE afi = 16388`;
      assertEquals([left.live, left.all], [0, 6]);
      for (const v of ["ls_nodes", "ls_links", "ls_prefixes", "v_ls_topology"]) {
        assertEquals((await sql.unsafe(`SELECT * FROM ${v}`)).length, 0, v);
      }
    } finally {
      await writer.close();
    }
  },
);
