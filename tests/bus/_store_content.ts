/**
 * What two stores fed the same BMP input must agree on, row by row, and waits for it.
 *
 * @module
 */

import type postgres from "postgres";
import { m320Stream, writeAll } from "../e2e/_m320.ts";
import { type Served, until } from "../e2e/_serve.ts";

/**
 * What both stores must agree on: the outage test's fingerprint with every row named by
 * its router and peer (several peers share prefixes here), and the routers' state.
 */
export async function content(sql: postgres.Sql): Promise<Record<string, unknown>> {
  const [row] = await sql`
    WITH p AS (SELECT p.id, concat_ws('/', r.key, p.peer_type, p.rd, p.address, p.table_name,
        p.post_policy, p.adj_rib_out) AS name FROM peers p JOIN routers r ON r.id = p.router_id)
    SELECT
      (SELECT count(*) FROM route_history)::int AS history,
      (SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (SELECT concat_ws('|', p.name, h.prefix,
        h.path_id, h.withdrawn, h.attr_id, h.time) AS x FROM route_history h JOIN p
        ON p.id = h.peer_id) t) AS history_md5,
      (SELECT count(*) FROM rib)::int AS rib,
      (SELECT count(*) FROM rib WHERE withdrawn)::int AS rib_withdrawn,
      (SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (SELECT concat_ws('|', p.name, b.route_key,
        b.withdrawn, b.attr_id, b.first_seen, b.last_change) AS x FROM rib b JOIN p
        ON p.id = b.peer_id) t) AS rib_md5,
      (SELECT count(*) FROM path_attrs)::int AS attr_sets,
      (SELECT string_agg(x, ',' ORDER BY x) FROM (SELECT concat_ws('|', name, pp.state) AS x
        FROM peers pp JOIN p USING (id)) t) AS peers,
      (SELECT string_agg(x, ',' ORDER BY x) FROM (SELECT concat_ws('|', p.name, e.event,
        e.reason_name, e.routes_withdrawn) AS x FROM peer_events e JOIN p ON p.id = e.peer_id) t)
        AS peer_events,
      (SELECT count(*) FROM stats_reports)::int AS stats,
      (SELECT string_agg(concat_ws('|', key, connected, sys_name), ',' ORDER BY key)
        FROM routers) AS routers`;
  return { ...row };
}

/** The fingerprint once it holds still for 1.5 s (a collector's batches have committed). */
export async function settled(sql: postgres.Sql): Promise<Record<string, unknown>> {
  let last = "";
  for (let i = 0; i < 120; i++) {
    const now = JSON.stringify(await content(sql));
    if (now === last && !now.includes('"rib":0,')) return JSON.parse(now);
    last = now;
    await new Promise((r) => setTimeout(r, 1500));
  }
  throw new Error(`the store did not settle: ${last}`);
}

/** Waits until the consumer's database has `want`; the last fingerprint seen on failure. */
export async function converges(
  sql: postgres.Sql,
  want: Record<string, unknown>,
  ms: number,
  wanted: postgres.Sql,
): Promise<void> {
  let last: Record<string, unknown> = {};
  try {
    await until(
      async () => {
        last = await content(sql).catch(() => ({}));
        return JSON.stringify(last) === JSON.stringify(want);
      },
      ms,
      () =>
        `the consumer's store to equal serve's:\n${JSON.stringify(last)}\n${JSON.stringify(want)}`,
    );
  } catch (e) {
    // Which RIB rows differ, when they do.
    const q = (x: postgres.Sql) =>
      x`SELECT concat_ws('|', r.key, p.address, b.route_key, b.withdrawn, b.attr_id, b.first_seen,
        b.last_change) AS x FROM rib b JOIN peers p ON p.id = b.peer_id
        JOIN routers r ON r.id = p.router_id`;
    const a = new Set((await q(sql)).map((r) => r.x as string));
    const b = new Set((await q(wanted)).map((r) => r.x as string));
    const only = (x: Set<string>, y: Set<string>) => [...x].filter((v) => !y.has(v)).slice(0, 5);
    throw new Error(
      `${(e as Error).message}\nconsume only: ${only(a, b).join("\n")}\n` +
        `serve only: ${only(b, a).join("\n")}`,
    );
  }
}

/**
 * Sends the M320 to each collector on a connection left open (the router stays connected,
 * as in the outage test); the caller closes them.
 */
export async function sendM320(collectors: Served[]): Promise<Deno.Conn[]> {
  const stream = await m320Stream();
  const conns: Deno.Conn[] = [];
  for (const s of collectors) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    await writeAll(conn, stream);
    conns.push(conn);
  }
  return conns;
}

/** Rows of `route_history`. */
export async function historyRows(sql: postgres.Sql): Promise<number> {
  return (await sql`SELECT count(*)::int AS n FROM route_history`)[0].n;
}
