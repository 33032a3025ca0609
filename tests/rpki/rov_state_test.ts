/**
 * rpki_state() and rpki_validation() (migration 0011) against the rules of RFC 6811 §2 on
 * crafted VRPs, the `unknown` state without a usable source, v_routes' rpki_state column
 * and rpki_record_changes() / rpki_changes.
 */

import { assertEquals } from "../_assert.ts";
import { migrate } from "../../src/store/migrate.ts";
import { dbTest } from "../store/_db.ts";
import { craftPeers, craftRoutes, craftVrps } from "./_rov_rows.ts";

const VRPS: [string, number, number][] = [
  ["10.0.0.0/8", 16, 65001],
  ["10.0.0.0/8", 8, 0], // AS 0 (RFC 6483 §4): covers, never matches
  ["10.2.0.0/16", 24, 65002],
  ["10.3.0.0/16", 16, 0],
  ["2001:db8::/32", 48, 65003],
];

dbTest("rpki_state() follows RFC 6811 §2: covered, origin, max length, AS 0, NONE", async (sql) => {
  await migrate(sql, { timescaledb: false });
  await craftVrps(sql, VRPS);
  // The same VRP from a second source counts once (rpki_validation lists it once).
  await craftVrps(sql, [["10.0.0.0/8", 16, 65001]], "rtr:127.0.0.1:323");
  const cases: [string, number | null, string, string | null][] = [
    ["10.1.0.0/16", 65001, "valid", null], // max length 16 = masklen
    ["10.1.1.0/24", 65001, "invalid", "length"], // only its AS's VRP is too short
    ["10.1.0.0/16", 65009, "invalid", "as"],
    ["11.0.0.0/8", 65001, "not-found", null],
    ["10.2.3.0/24", 65002, "valid", null], // several VRPs cover; one matches
    ["10.2.3.0/25", 65002, "invalid", "length"],
    ["10.2.3.0/24", 65001, "invalid", "length"], // 10/8 AS65001 covers but is max /16
    ["10.3.0.0/16", 0, "invalid", "as"], // origin 0 never matches an AS 0 VRP
    ["10.3.0.0/16", 65001, "valid", null], // 10/8 max /16 of AS65001
    ["10.1.0.0/16", null, "invalid", "as"], // NONE (AS_SET last) is never valid
    ["12.0.0.0/8", null, "not-found", null],
    ["2001:db8:1::/48", 65003, "valid", null],
    ["2001:db8:1::/49", 65003, "invalid", "length"],
    ["2001:db9::/32", 65003, "not-found", null],
    ["10.0.0.0/7", 65001, "not-found", null], // less specific than every VRP
  ];
  for (const [prefix, origin, state, reason] of cases) {
    const [r] = await sql`SELECT rpki_state(${prefix}::inet, ${origin}::bigint) AS s,
      (rpki_validation(${prefix}::inet, ${origin}::bigint)).*`;
    assertEquals([r.s, r.state, r.reason], [state, state, reason], `${prefix} AS${origin}`);
  }
  const [v] = await sql`SELECT vrps FROM rpki_validation('10.1.1.0/24', 65001)`;
  assertEquals(v.vrps, [
    { prefix: "10.0.0.0/8", max_length: 16, asn: 65001 },
    { prefix: "10.0.0.0/8", max_length: 8, asn: 0 },
  ]);
  const cov = await sql`SELECT text(vrp_prefix) AS p, max_length, asn::int, sources
    FROM rpki_covering_vrps('10.1.1.0/24')`;
  assertEquals(cov.map((c) => [c.p, c.max_length, c.asn, c.sources]), [
    ["10.0.0.0/8", 8, 0, ["file:test.json"]],
    ["10.0.0.0/8", 16, 65001, ["file:test.json", "rtr:127.0.0.1:323"]],
  ]);
});

dbTest("rpki_state() is unknown while no source is current or stale", async (sql) => {
  await migrate(sql, { timescaledb: false });
  const state = async () =>
    (await sql`SELECT rpki_state('10.1.0.0/16', 65001) AS s`)[0].s as string;
  assertEquals(await state(), "unknown"); // no source configured
  await craftVrps(sql, [["10.0.0.0/8", 16, 65001]], "rtr:a", "syncing");
  assertEquals(await state(), "unknown");
  await sql`UPDATE rpki_sources SET state = 'stale'`;
  assertEquals(await state(), "valid");
  await sql`UPDATE rpki_sources SET state = 'expired'`;
  assertEquals(await state(), "unknown");
  await sql`UPDATE rpki_sources SET state = 'current'`;
  await sql`DELETE FROM rpki_vrps`;
  assertEquals(await state(), "not-found"); // current with no VRPs: nothing covers
});

dbTest(
  "v_routes.rpki_state and rpki_rib_states() agree; rpki_changes records VRP and route changes",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    await craftPeers(sql);
    await craftRoutes(sql, [
      { prefix: "10.1.0.0/16", path: "64500 65001" },
      { prefix: "10.1.1.0/24", path: "64500 65001" },
      { prefix: "10.9.0.0/16", path: "64500 {65001}" }, // AS_SET last: origin NONE
      { prefix: "11.0.0.0/8", path: "64500 65004" },
      { prefix: "2001:db8:1::/48", path: "64500 65003", peer: 2 },
    ]);
    const states = async () =>
      Object.fromEntries((await sql`SELECT text(prefix) AS p, rpki_state FROM v_routes`)
        .map((r) => [r.p, r.rpki_state]));
    assertEquals((await sql`SELECT rpki_record_changes() AS n`)[0].n, "0"); // unknown: nothing
    await craftVrps(sql, VRPS);
    const first = await states();
    assertEquals(first, {
      "10.1.0.0/16": "valid",
      "10.1.1.0/24": "invalid",
      "10.9.0.0/16": "invalid",
      "11.0.0.0/8": "not-found",
      "2001:db8:1::/48": "valid",
    });
    const set = await sql`SELECT text(prefix) AS p, state FROM rpki_rib_states()`;
    assertEquals(Object.fromEntries(set.map((r) => [r.p, r.state])), first);

    // First run: the snapshot only.
    assertEquals((await sql`SELECT rpki_record_changes() AS n`)[0].n, "0");
    assertEquals((await sql`SELECT count(*)::int AS n FROM rpki_route_states`)[0].n, 5);
    // The VRPs change: 10.1.1.0/24 becomes valid, 11/8 invalid.
    await sql`UPDATE rpki_vrps SET max_length = 24 WHERE prefix = '10.0.0.0/8' AND asn = 65001`;
    await sql`INSERT INTO rpki_vrps VALUES ('file:test.json', '11.0.0.0/8', 8, 65005)`;
    // The route changes: 2001:db8:1::/48 now from AS 65009 (invalid by AS).
    await sql`UPDATE path_attrs SET origin_as = 65009, as_path_text = '64500 65009'
    WHERE as_path_text = '64500 65003'`;
    await sql`UPDATE rib SET last_change = now() WHERE prefix = '2001:db8:1::/48'`;
    // A new invalid route appears, an invalid one goes away.
    await craftRoutes(sql, [{ prefix: "10.2.0.0/16", path: "64500 65009" }]);
    await sql`UPDATE rib SET withdrawn = true WHERE prefix = '10.9.0.0/16'`;
    assertEquals((await sql`SELECT rpki_record_changes() AS n`)[0].n, "5");
    const changes = await sql`SELECT text(prefix) AS p, old_state, new_state, cause,
    old_origin_as::int AS o1, origin_as::int AS o2 FROM rpki_changes ORDER BY prefix`;
    assertEquals(changes.map((c) => [c.p, c.old_state, c.new_state, c.cause, c.o1, c.o2]), [
      ["10.1.1.0/24", "invalid", "valid", "vrps", 65001, 65001],
      ["10.2.0.0/16", null, "invalid", "route", null, 65009],
      ["10.9.0.0/16", "invalid", null, "route", null, null],
      ["11.0.0.0/8", "not-found", "invalid", "vrps", 65004, 65004],
      ["2001:db8:1::/48", "valid", "invalid", "route", 65003, 65009],
    ]);
    // Nothing changed since: nothing recorded.
    assertEquals((await sql`SELECT rpki_record_changes() AS n`)[0].n, "0");
  },
);
