/**
 * Flowspec, RTC, SR Policy and MUP routes in the store (issue 16): migration 0012 upgrades a
 * database in place, and the writer puts each family into rib/route_history with its key and
 * decoded NLRI, shown by v_flowspec, v_flowspec_history, v_rtc, v_sr_policies and v_mup; a
 * withdrawal and a Peer Down withdraw them like routes.
 */

import postgres, { type Sql } from "postgres";
import { openEmbedded } from "../../src/store/embedded/mod.ts";
import { assert, assertEquals } from "../_assert.ts";
import { migrate } from "../../src/store/migrate.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import type { BmpMessage } from "../../src/bmp/message.ts";
import {
  asPath,
  attr,
  cat,
  decodeBmp,
  extCommunities,
  fromHex,
  ip,
  mpReach,
  mpUnreach,
  origin,
  peerDown,
  rd0,
  routeMonitoring,
  u16,
  u32,
  update,
} from "../_build.ts";
import { dbTest } from "./_db.ts";
import { insertOneRoute, MIGRATIONS, migrationsBefore, tableColumns } from "./_migrations.ts";

const OURS = "0012_more_families.sql";

dbTest(
  "migration 0012 adds nlri and tunnel_encap to a database in use, keeping its rows",
  async (sql) => {
    const old = await migrationsBefore(OURS);
    try {
      const first = await migrate(sql, { timescaledb: false, dir: old.dir });
      assert(first.applied.length > 0 && !first.applied.includes(OURS));
      await insertOneRoute(sql);
      await sql`INSERT INTO route_history (time, router_id, peer_id, afi, safi, prefix,
        withdrawn, attr_id) VALUES (now(), 1, 1, 1, 1, '10.0.0.0/8', false, 7)`;
      const before = {
        rib: await tableColumns(sql, "rib"),
        history: await tableColumns(sql, "route_history"),
        attrs: await tableColumns(sql, "path_attrs"),
        routes: await sql`SELECT * FROM v_routes`,
      };
      const second = await migrate(sql, { timescaledb: false });
      assertEquals(second.applied[0], OURS); // later files follow it (0013: BGP-LS)
      assertEquals(await tableColumns(sql, "rib"), [...before.rib, "nlri"]);
      assertEquals(await tableColumns(sql, "route_history"), [...before.history, "nlri"]);
      // (0013 adds bgp_ls after it)
      const attrs = await tableColumns(sql, "path_attrs");
      assertEquals(attrs.slice(0, before.attrs.length + 1), [...before.attrs, "tunnel_encap"]);
      assertEquals([...await sql`SELECT * FROM v_routes`], [...before.routes]);
      const [r] = await sql`SELECT nlri FROM rib`;
      assertEquals(r.nlri, null);
      for (const v of ["v_flowspec", "v_flowspec_history", "v_rtc", "v_sr_policies", "v_mup"]) {
        assertEquals((await sql.unsafe(`SELECT * FROM ${v}`)).length, 0, v);
      }
      await sql.unsafe(await Deno.readTextFile(new URL(OURS, MIGRATIONS))); // idempotent
    } finally {
      await old.remove();
    }
  },
);

const BASE = [origin(0), asPath([65002])];
const sub = (type: number, ...v: number[][]) => {
  const b = v.flat();
  return cat([type], type >= 128 ? u16(b.length) : [b.length], b);
};
const srPolicyEncap = () => {
  const segs = sub(128, [0], [...sub(9, [0, 0], u32(1))], [...sub(1, [0, 0], u32(16002 << 12))]);
  const b = cat(sub(12, [0, 0], u32(100)), sub(13, [0, 0], u32(3000 << 12)), segs);
  return attr(23, cat(u16(15), u16(b.length), b), 0xc0);
};

/** One UPDATE per family, as routers send them. */
const FLOW4 = fromHex("0b0118c0000203810604815" + "0"); // destination 192.0.2.0/24 protocol ==6 port ==80
const FLOW_VPN = cat([14], rd0(65000, 1), fromHex("0120c6336401")); // rd, destination 198.51.100.1/32
const RTC = cat([96], u32(65002), [0, 2, 0xfd, 0xe8, 0, 0, 0, 100]);
const SRP = cat([96], u32(2), u32(100), ip("10.0.0.9"));
const MUP = cat([1], u16(1), [12], rd0(100, 100), [24, 10, 1, 0]);

function announcements(): Uint8Array[] {
  return [
    update({
      attrs: [
        ...BASE,
        mpReach(1, 133, [], [FLOW4]),
        extCommunities([...fromHex("8006000048435000")]),
      ],
    }),
    update({ attrs: [...BASE, mpReach(1, 134, [], [FLOW_VPN])] }),
    update({ attrs: [...BASE, mpReach(1, 132, ip("192.0.2.2"), [RTC])] }),
    update({
      attrs: [
        ...BASE,
        mpReach(1, 73, ip("192.0.2.2"), [SRP]),
        extCommunities([1, 2, ...ip("192.0.2.77"), 0, 0]),
        srPolicyEncap(),
      ],
    }),
    update({ attrs: [...BASE, mpReach(1, 85, ip("192.0.2.2"), [MUP])] }),
  ];
}

async function write(writer: StoreWriter, routerId: number, m: BmpMessage) {
  const wait = writer.write(routerId, m);
  if (wait) await wait;
}

/** The README's queries of these views (README.md, "Schema and queries"). */
const README_QUERIES = [
  `SELECT a AS action, count(*) AS rules, array_agg(DISTINCT rule) AS sample
FROM v_flowspec, unnest(actions) a WHERE NOT post_policy AND NOT loc_rib GROUP BY a ORDER BY rules DESC`,
  `SELECT time, router, peer, action, rule, actions FROM v_flowspec_history
WHERE rule LIKE 'destination 192.0.2.0/24%' ORDER BY time`,
  `SELECT headend, color, endpoint, preference, binding_sid,
  (SELECT jsonb_agg(s -> 'label') FROM jsonb_array_elements(segment_lists -> 0 -> 'segments') s) AS labels
FROM v_sr_policies WHERE loc_rib ORDER BY headend, color, preference DESC`,
  `SELECT peer, membership, origin_as, route_target FROM v_rtc WHERE NOT post_policy ORDER BY peer`,
  `SELECT rd, prefix, teid, qfi, endpoint FROM v_mup WHERE route_type_name = 't1st'`,
];

dbTest(
  "StoreWriter keeps Flowspec, RTC, SR Policy and MUP routes; withdrawals and Peer Down end them",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    await scenario(sql);
  },
);

Deno.test({
  name: "embedded store (PGlite): Flowspec, RTC, SR Policy and MUP routes, withdrawn by Peer Down",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "bmpmon-families-" });
    const store = await openEmbedded({ dataDir: dir });
    const sql = postgres({ ...store.connection, max: 4, onnotice: () => {} });
    try {
      await migrate(sql);
      await scenario(sql);
    } finally {
      await sql.end();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function scenario(sql: Sql): Promise<void> {
  const writer = await StoreWriter.open(sql, { lanes: 1 });
  try {
    const routerId = await writer.router("r1", "192.0.2.1");
    for (const u of announcements()) await write(writer, routerId, decodeBmp(routeMonitoring(u)));
    await writer.flush();

    const flow = await sql`SELECT afi, safi, rd, rule, actions, components FROM v_flowspec
      ORDER BY safi`;
    assertEquals(flow.map((r) => [r.afi, r.safi, r.rd, r.rule, r.actions]), [
      [1, 133, null, "destination 192.0.2.0/24 protocol ==6 port ==80", ["traffic-rate:0:200000"]],
      [1, 134, "0:65000:1", "destination 198.51.100.1/32", ["accept"]],
    ]);
    assertEquals(flow[0].components[2], { type: 4, ops: [{ and: false, op: "==", value: 80 }] });
    const [rtc] = await sql`SELECT membership, origin_as::int, route_target, bits,
      host(next_hop) AS nh FROM v_rtc`;
    assertEquals({ ...rtc }, {
      membership: "65002:rt:65000:100",
      origin_as: 65002,
      route_target: "rt:65000:100",
      bits: 96,
      nh: "192.0.2.2",
    });
    const [sr] = await sql`SELECT host(headend) AS headend, distinguisher::int, color::int,
      host(endpoint) AS endpoint, preference::int, binding_sid, segment_lists FROM v_sr_policies`;
    assertEquals({ ...sr }, {
      headend: "192.0.2.77",
      distinguisher: 2,
      color: 100,
      endpoint: "10.0.0.9",
      preference: 100,
      binding_sid: "3000",
      segment_lists: [{
        weight: 1,
        segments: [{ type: "A", flags: 0, label: 16002, tc: 0, s: false, ttl: 0 }],
      }],
    });
    const [mup] = await sql`SELECT rd, route_type_name, prefix::text FROM v_mup`;
    assertEquals({ ...mup }, { rd: "0:100:100", route_type_name: "isd", prefix: "10.1.0.0/24" });
    const [nulls] = await sql`SELECT count(*)::int AS n FROM rib WHERE prefix IS NOT NULL`;
    assertEquals(nulls.n, 0);
    const byAction = await sql.unsafe(README_QUERIES[0]);
    assertEquals(byAction.map((r) => [r.action, Number(r.rules)]).sort(), [
      ["accept", 1],
      ["traffic-rate:0:200000", 1],
    ]);
    for (const q of README_QUERIES.slice(1)) assertEquals((await sql.unsafe(q)).length >= 0, true);
    assertEquals((await sql.unsafe(README_QUERIES[3])).map((r) => r.membership), [
      "65002:rt:65000:100",
    ]);

    // The unicast flowspec rule is withdrawn, then the peer goes down: nothing is left.
    await write(
      writer,
      routerId,
      decodeBmp(routeMonitoring(update({ attrs: [mpUnreach(1, 133, [FLOW4])] }))),
    );
    await writer.flush();
    assertEquals((await sql`SELECT rule FROM v_flowspec`).map((r) => r.rule), [
      "destination 198.51.100.1/32",
    ]);
    const log = await sql`SELECT action, rule, actions FROM v_flowspec_history
      WHERE safi = 133 ORDER BY time, action`;
    assertEquals(log.map((r) => [r.action, r.rule, r.actions]), [
      ["announce", "destination 192.0.2.0/24 protocol ==6 port ==80", ["traffic-rate:0:200000"]],
      ["withdraw", "destination 192.0.2.0/24 protocol ==6 port ==80", null],
    ]);
    await write(writer, routerId, decodeBmp(peerDown(2, u16(0))));
    await writer.flush();
    const [left] = await sql`SELECT count(*) FILTER (WHERE NOT withdrawn)::int AS live,
      count(*)::int AS all FROM rib`;
    assertEquals([left.live, left.all], [0, 5]);
    for (const v of ["v_flowspec", "v_rtc", "v_sr_policies", "v_mup"]) {
      assertEquals((await sql.unsafe(`SELECT * FROM ${v}`)).length, 0, v);
    }
  } finally {
    await writer.close();
  }
}
