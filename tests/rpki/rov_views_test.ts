/**
 * v_rpki_invalid and the hijack and leak suspect views of migration 0011 on crafted
 * routes: each lists what it should and leaves out the look-alikes its rule excludes.
 */

import { assertEquals } from "../_assert.ts";
import { migrate } from "../../src/store/migrate.ts";
import { dbTest } from "../store/_db.ts";
import { craftPeers, craftRoutes, craftVrps } from "./_rov_rows.ts";

dbTest("v_rpki_invalid lists invalid announcements with VRPs, peers and since", async (sql) => {
  await migrate(sql, { timescaledb: false });
  await craftPeers(sql);
  await craftVrps(sql, [["10.0.0.0/8", 16, 65001], ["10.2.0.0/16", 16, 0]]);
  const t0 = "2026-11-30T10:00:00Z";
  await craftRoutes(sql, [
    { prefix: "10.1.0.0/16", path: "64500 65001" }, // valid
    { prefix: "10.1.1.0/24", path: "64500 65001", firstSeen: t0 }, // invalid: length
    { prefix: "10.1.1.0/24", path: "64501 65001", peer: 2 },
    { prefix: "10.5.0.0/16", path: "64500 65666" }, // invalid: AS
    { prefix: "10.2.0.0/16", path: "64500 65002" }, // AS 0 + 10/8 max 16 of 65001: AS
    { prefix: "10.6.0.0/16", path: "64500 65666", withdrawn: true }, // not current
    { prefix: "11.0.0.0/8", path: "64500 65666" }, // not found
  ]);
  const rows = await sql`SELECT text(prefix) AS p, origin_as::int AS o, reason, vrps, peers,
    peer_ids, routes::int, since FROM v_rpki_invalid ORDER BY prefix`;
  assertEquals(rows.map((r) => [r.p, r.o, r.reason, r.peer_ids, r.routes]), [
    ["10.1.1.0/24", 65001, "length", [1, 2], 2],
    ["10.2.0.0/16", 65002, "as", [1], 1],
    ["10.5.0.0/16", 65666, "as", [1], 1],
  ]);
  assertEquals(rows[0].peers, ["192.0.2.1 @ r1", "192.0.2.2 @ r1"]);
  assertEquals(rows[0].vrps, [{ prefix: "10.0.0.0/8", max_length: 16, asn: 65001 }]);
  // Not recorded yet: since = the earliest announcement of its routes.
  assertEquals(new Date(rows[0].since).toISOString(), new Date(t0).toISOString());
  await sql`SELECT rpki_record_changes()`;
  const [after] = await sql`SELECT since FROM v_rpki_invalid WHERE prefix = '10.1.1.0/24'`;
  assertEquals(new Date(after.since).toISOString(), new Date(t0).toISOString());
});

dbTest(
  "v_suspect_subprefix: a more-specific with another origin than its covering prefix",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    await craftPeers(sql);
    await craftVrps(sql, [["192.0.2.0/24", 24, 65001]]);
    await craftRoutes(sql, [
      { prefix: "198.51.0.0/16", path: "64500 65001" },
      { prefix: "198.51.100.0/24", path: "64500 65001" }, // same origin: fine
      { prefix: "198.51.101.0/24", path: "64500 65666" }, // another origin: suspect
      { prefix: "198.51.101.128/25", path: "64500 65666" }, // covered by the /24 of 65666
      { prefix: "198.51.102.0/24", path: "64500 {65777}" }, // origin from a one-ASN set
      { prefix: "203.0.0.0/16", path: "64500 65002" },
      { prefix: "203.0.113.0/24", path: "64500 65003", withdrawn: true }, // not current
      { prefix: "2001:db8::/32", path: "64500 65004" },
      { prefix: "2001:db8:1::/48", path: "64500 65005", peer: 2 },
    ]);
    const rows = await sql`SELECT text(prefix) AS p, origin_as::int AS o,
    text(covering_prefix) AS c, covering_origins, peers::int FROM v_suspect_subprefix
    ORDER BY prefix`;
    assertEquals(rows.map((r) => [r.p, r.o, r.c, r.covering_origins.map(Number)]), [
      ["198.51.101.0/24", 65666, "198.51.0.0/16", [65001]],
      ["198.51.102.0/24", 65777, "198.51.0.0/16", [65001]],
      ["2001:db8:1::/48", 65005, "2001:db8::/32", [65004]],
    ]);
  },
);

dbTest(
  "v_suspect_new_origin: an origin first seen in the window for a known prefix",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    await craftPeers(sql);
    const old = new Date(Date.now() - 3 * 86_400_000).toISOString();
    await craftRoutes(sql, [
      { prefix: "198.51.100.0/24", path: "64500 65001", firstSeen: old },
      { prefix: "198.51.100.0/24", path: "64501 65666", peer: 2 }, // new origin: suspect
      { prefix: "203.0.113.0/24", path: "64500 65002", firstSeen: old },
      { prefix: "203.0.113.0/24", path: "64501 65002", peer: 2 }, // same origin again
      { prefix: "192.0.2.0/24", path: "64500 65003" }, // new prefix: not listed
    ]);
    const rows = await sql`SELECT text(prefix) AS p, origin_as::int AS o, previous_origins,
    current FROM v_suspect_new_origin`;
    assertEquals(rows.map((r) => [r.p, r.o, r.previous_origins.map(Number), r.current]), [
      ["198.51.100.0/24", 65666, [65001], true],
    ]);
    // A window reaching back before the first announcement sees nothing new.
    const wide = await sql`SELECT * FROM suspect_new_origin(now() - interval '7 days')`;
    assertEquals(wide.length, 0);
  },
);

dbTest(
  "v_suspect_otc: OTC from a customer or RS-client, or from a peer with another AS",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    // Peer 1 announced the Customer role (3), peer 2 the Peer role (4), RFC 9234 §4.2.
    await craftPeers(sql, { 1: 3, 2: 4 });
    await sql`INSERT INTO peers (id, router_id, peer_type, address, asn, post_policy)
    VALUES (3, 1, 0, '192.0.2.3', 64502, false)`; // no Role capability
    await craftRoutes(sql, [
      { prefix: "198.51.100.0/24", path: "64500 65001", otc: 64999 }, // customer + OTC: leak
      { prefix: "198.51.101.0/24", path: "64500 65001" }, // customer, no OTC
      { prefix: "198.51.102.0/24", path: "64501 65001", peer: 2, otc: 64501 }, // peer's AS: ok
      { prefix: "198.51.103.0/24", path: "64501 65001", peer: 2, otc: 64777 }, // another AS
      { prefix: "198.51.104.0/24", path: "64502 65001", peer: 3, otc: 64777 }, // role unknown
    ]);
    const rows = await sql`SELECT text(prefix) AS p, peer_role_name, otc::int FROM v_suspect_otc
    ORDER BY prefix`;
    assertEquals(rows.map((r) => [r.p, r.peer_role_name, r.otc]), [
      ["198.51.100.0/24", "customer", 64999],
      ["198.51.103.0/24", "peer", 64777],
    ]);
  },
);

dbTest(
  "v_suspect_private_asn: private, documentation and reserved ASNs in the path",
  async (sql) => {
    await migrate(sql, { timescaledb: false });
    await craftPeers(sql);
    await craftRoutes(sql, [
      { prefix: "198.51.100.0/24", path: "3356 64512 13335" }, // RFC 6996 16-bit private
      { prefix: "198.51.101.0/24", path: "3356 4200000001" }, // RFC 6996 32-bit private
      { prefix: "198.51.102.0/24", path: "3356 {23456,13335}" }, // AS_TRANS
      { prefix: "198.51.103.0/24", path: "3356 65535 65551 4294967295" }, // RFC 7300, 5398
      { prefix: "198.51.104.0/24", path: "3356 64496" }, // RFC 5398 documentation
      { prefix: "198.51.105.0/24", path: "3356 64495 131072 4199999999" }, // all public
      { prefix: "198.51.106.0/24", path: "3356 64512", withdrawn: true },
    ]);
    const rows = await sql`SELECT text(prefix) AS p, bad_asns FROM v_suspect_private_asn
    ORDER BY prefix`;
    assertEquals(rows.map((r) => [r.p, r.bad_asns.map(Number)]), [
      ["198.51.100.0/24", [64512]],
      ["198.51.101.0/24", [4200000001]],
      ["198.51.102.0/24", [23456]],
      ["198.51.103.0/24", [65535, 65551, 4294967295]],
      ["198.51.104.0/24", [64496]],
    ]);
  },
);
