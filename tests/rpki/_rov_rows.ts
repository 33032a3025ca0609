/**
 * Test helper: crafted RIB rows for the origin validation and suspect views, written
 * straight into a migrated database.
 *
 * @module
 */

import type { Sql } from "postgres";

/** A route to craft: prefix, AS path (text form of src/bgp/attributes/as_path.ts). */
export interface Crafted {
  prefix: string;
  path: string;
  peer?: number;
  otc?: number;
  withdrawn?: boolean;
  firstSeen?: string;
}

let nextAttr = 1;

/** Router 1 with peers 1 (192.0.2.1, AS 64500) and 2 (192.0.2.2, AS 64501), both post-policy. */
export async function craftPeers(sql: Sql, roles: Record<number, number> = {}): Promise<void> {
  await sql`INSERT INTO routers (id, key) VALUES (1, 'r1')`;
  for (const [id, asn] of [[1, 64500], [2, 64501]]) {
    const caps = roles[id] === undefined ? null : {
      sent: [],
      received: [{ code: 9, name: "role", role: roles[id] }],
    };
    await sql`INSERT INTO peers (id, router_id, peer_type, address, asn, post_policy, capabilities)
      VALUES (${id}, 1, 0, ${`192.0.2.${id}`}, ${asn}, false, ${caps ? sql.json(caps) : null})`;
  }
}

/** The origin as the writer computes it: last ASN of a final sequence or one-ASN set. */
function originOf(path: string): number | null {
  const last = path.trim().split(" ").at(-1) ?? "";
  const m = /^\{?(\d+)\}?$/.exec(last);
  return m ? Number(m[1]) : null;
}

/** Writes `routes` into path_attrs and rib (and an announcement each in route_history). */
export async function craftRoutes(sql: Sql, routes: Crafted[]): Promise<void> {
  for (const r of routes) {
    const id = nextAttr++;
    const asns = r.path.replace(/[{}()[\]]/g, " ").split(/[ ,]+/).filter(Boolean).map(Number);
    const origin = originOf(r.path);
    const time = r.firstSeen ?? new Date().toISOString();
    await sql`INSERT INTO path_attrs (id, origin, as_path, as_path_text, origin_as, otc)
      VALUES (${id}, 0, ${asns}, ${r.path}, ${origin}, ${r.otc ?? null})`;
    await sql`INSERT INTO rib (peer_id, afi, safi, rd, route_key, path_id, prefix, attr_id,
        origin_as, first_seen, last_change, withdrawn)
      VALUES (${r.peer ?? 1}, ${r.prefix.includes(":") ? 2 : 1}, 1, '', ${r.prefix}, 0,
        ${r.prefix}, ${id}, ${origin}, ${time}, ${time}, ${r.withdrawn ?? false})`;
    await sql`INSERT INTO route_history (time, router_id, peer_id, afi, safi, rd, prefix,
        withdrawn, attr_id, origin_as)
      VALUES (${time}, 1, ${r.peer ?? 1}, ${r.prefix.includes(":") ? 2 : 1}, 1, NULL, ${r.prefix},
        false, ${id}, ${origin})`;
  }
}

/** VRPs of one source, which is made current (or `state`). */
export async function craftVrps(
  sql: Sql,
  vrps: [string, number, number][],
  source = "file:test.json",
  state = "current",
): Promise<void> {
  for (const [prefix, maxLength, asn] of vrps) {
    await sql`INSERT INTO rpki_vrps (source, prefix, max_length, asn)
      VALUES (${source}, ${prefix}, ${maxLength}, ${asn})`;
  }
  await sql`INSERT INTO rpki_sources (source, state, vrps) VALUES (${source}, ${state}, ${vrps.length})
    ON CONFLICT (source) DO UPDATE SET state = excluded.state`;
}
