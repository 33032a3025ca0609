/**
 * Several `bmpmon consume` processes sharing one stream (`CONSUME_MEMBER=i/N`).
 *
 * Each member reads the whole stream and stores the messages of the routers a hash of
 * their address gives it, skipping the others'. A router's messages, across all of its
 * connections and edges, so go to one member and stay in stream order, which the RIB
 * needs; the members write in parallel, each with its own lanes and its own spool marks
 * (`spool_lanes`/`spool_applied` rows under source `bus:<stream>:i/N`, migration 0017).
 * Reading what others store costs a member only the bytes: a skipped message is not
 * decoded.
 *
 * The members' count is fixed for a stream in a database: with another count, routers
 * would move to members whose marks never saw their messages and be written twice, so a
 * start with another count is refused.
 *
 * @module
 */

import type { Sql } from "postgres";
import { ConfigError } from "../config.ts";

/** This member, 1-based, of `count`. */
export interface Member {
  index: number;
  count: number;
}

/**
 * The member (1 to `count`) that stores the messages of the router at `address`: FNV-1a
 * of the address, so every member and every release agree.
 *
 * @example
 * ```ts
 * import { memberOf } from "./membership.ts";
 * if (memberOf("192.0.2.1", 1) !== 1) throw new Error();
 * const m = memberOf("192.0.2.1", 2);
 * if (m !== memberOf("192.0.2.1", 2) || m < 1 || m > 2) throw new Error();
 * ```
 */
export function memberOf(address: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) {
    h ^= address.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return ((h >>> 0) % count) + 1;
}

/** The spool marks' source of member `m` of `stream`. */
export function markSource(stream: string, m: Member): string {
  return `bus:${stream}:${m.index}/${m.count}`;
}

/** The position file's name under DATA_DIR/consume (a lone member keeps `<stream>.json`). */
export function positionName(stream: string, m: Member): string {
  return m.count === 1 ? `${stream}.json` : `${stream}.${m.index}of${m.count}.json`;
}

/**
 * Refuses a member whose count differs from the one this database was consumed with, and
 * takes over the marks a consume wrote before migration 0017 (source '') when this
 * DATA_DIR's position file is from then (`legacyPosition`: it names no source), so that
 * its first start after the upgrade re-writes nothing.
 *
 * @throws {ConfigError} for another count
 */
export async function claimMarks(
  sql: Sql,
  stream: string,
  m: Member,
  legacyPosition: boolean,
): Promise<void> {
  const prefix = `bus:${stream}:`;
  const sources = await sql`SELECT source FROM spool_lanes WHERE starts_with(source, ${prefix})
    UNION SELECT DISTINCT source FROM spool_applied WHERE starts_with(source, ${prefix})`;
  for (const { source } of sources) {
    const count = Number(String(source).split("/")[1]);
    if (count !== m.count) {
      throw new ConfigError(
        `CONSUME_MEMBER=${m.index}/${m.count}: this database was consumed from stream ` +
          `${stream} by ${count} member(s); start ${count} (CONSUME_MEMBER=1/${count} …) or ` +
          "a fresh database",
      );
    }
  }
  const mine = markSource(stream, m);
  if (!legacyPosition || m.count !== 1 || sources.length > 0) return;
  await sql.begin(async (tx) => {
    await tx`UPDATE spool_lanes SET source = ${mine} WHERE source = ''`;
    await tx`UPDATE spool_applied SET source = ${mine} WHERE source = ''`;
  });
}
