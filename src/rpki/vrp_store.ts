/**
 * Writes a source's VRPs into `rpki_vrps` and where it stands into `rpki_sources`
 * (migration 0010), one transaction per serial: a reset, a file or the expire rule
 * replaces the source's set whole, a serial update applies its announcements and
 * withdrawals. A reader (the validation views) sees the set before or after an update,
 * never between.
 *
 * Rows travel as three arrays per statement (`unnest`), so a full set of 500,000 VRPs is
 * a few statements, not 500,000 parameters; PostgreSQL and the embedded store take the
 * same SQL.
 *
 * @module
 */

import type { ReservedSql, Sql } from "postgres";
import { transaction } from "../store/transaction.ts";
import type { RpkiState, VrpUpdate } from "./rtr_session.ts";
import type { Vrp } from "./vrp.ts";

/** Rows per statement. */
const CHUNK = 50_000;

/** The `rpki_sources` row of a source (undefined fields stay NULL). */
export interface SourceRow {
  state: RpkiState;
  version?: number;
  sessionId?: number;
  serial?: number;
  vrps: number;
  refresh?: number;
  retry?: number;
  expire?: number;
  /** When the set last changed (ms since epoch). */
  updatedAt?: number;
  error?: string;
}

function columns(vrps: Vrp[], from: number, to: number): [string[], number[], string[]] {
  const p: string[] = [], m: number[] = [], a: string[] = [];
  for (let i = from; i < to; i++) {
    p.push(vrps[i].prefix);
    m.push(vrps[i].maxLength);
    a.push(String(vrps[i].asn));
  }
  return [p, m, a];
}

async function insert(tx: ReservedSql, source: string, vrps: Vrp[]): Promise<void> {
  for (let i = 0; i < vrps.length; i += CHUNK) {
    const [p, m, a] = columns(vrps, i, Math.min(vrps.length, i + CHUNK));
    await tx.unsafe(
      `INSERT INTO rpki_vrps (source, prefix, max_length, asn)
       SELECT $1, p, m, a FROM unnest($2::cidr[], $3::int2[], $4::int8[]) AS v(p, m, a)
       ON CONFLICT DO NOTHING`,
      [source, p, m, a] as never[],
    );
  }
}

async function remove(tx: ReservedSql, source: string, vrps: Vrp[]): Promise<void> {
  for (let i = 0; i < vrps.length; i += CHUNK) {
    const [p, m, a] = columns(vrps, i, Math.min(vrps.length, i + CHUNK));
    await tx.unsafe(
      `DELETE FROM rpki_vrps r USING unnest($2::cidr[], $3::int2[], $4::int8[]) AS v(p, m, a)
       WHERE r.source = $1 AND r.prefix = v.p AND r.max_length = v.m AND r.asn = v.a`,
      [source, p, m, a] as never[],
    );
  }
}

async function upsertSource(tx: ReservedSql, source: string, row: SourceRow): Promise<void> {
  const n = (v: number | undefined) => v ?? null;
  await tx.unsafe(
    `INSERT INTO rpki_sources (source, protocol_version, session_id, serial, state, vrps,
       refresh_s, retry_s, expire_s, updated_at, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (source) DO UPDATE SET protocol_version = EXCLUDED.protocol_version,
       session_id = EXCLUDED.session_id, serial = EXCLUDED.serial, state = EXCLUDED.state,
       vrps = EXCLUDED.vrps, refresh_s = EXCLUDED.refresh_s, retry_s = EXCLUDED.retry_s,
       expire_s = EXCLUDED.expire_s, updated_at = EXCLUDED.updated_at, error = EXCLUDED.error`,
    [
      source,
      n(row.version),
      n(row.sessionId),
      n(row.serial),
      row.state,
      row.vrps,
      n(row.refresh),
      n(row.retry),
      n(row.expire),
      row.updatedAt === undefined ? null : new Date(row.updatedAt),
      row.error ?? null,
    ] as never[],
  );
}

/**
 * Applies one update to `source` and writes its row, in one transaction.
 *
 * @param replaces other sources this one takes over (an RTR client moving to a fallback
 *   cache): their VRPs and rows go in the same transaction
 */
export async function storeVrpUpdate(
  sql: Sql,
  source: string,
  update: VrpUpdate,
  row: SourceRow,
  replaces: string[] = [],
): Promise<void> {
  await transaction(sql, async (tx) => {
    if (update.kind !== "serial") {
      await tx.unsafe(`DELETE FROM rpki_vrps WHERE source = ANY($1::text[])`, [
        [source, ...replaces],
      ] as never[]);
      if (replaces.length) {
        await tx.unsafe(`DELETE FROM rpki_sources WHERE source = ANY($1::text[])`, [
          replaces,
        ] as never[]);
      }
      if (update.kind === "reset") await insert(tx, source, update.vrps);
    } else {
      await remove(tx, source, update.withdrawn);
      await insert(tx, source, update.announced);
    }
    await upsertSource(tx, source, row);
  });
}

/** Writes only the row of `source` (a state change with no set change). */
export async function storeSourceRow(sql: Sql, source: string, row: SourceRow): Promise<void> {
  await transaction(sql, (tx) => upsertSource(tx, source, row));
}

/**
 * Drops every source not in `keep` (one removed from RPKI_RTR / RPKI_VRP_FILE): its
 * VRPs would otherwise go on deciding validation states. Returns the dropped names.
 */
export async function pruneSources(sql: Sql, keep: string[]): Promise<string[]> {
  return await transaction(sql, async (tx) => {
    const gone = await tx.unsafe(
      `SELECT source FROM rpki_sources WHERE NOT source = ANY($1::text[])
       UNION SELECT DISTINCT source FROM rpki_vrps WHERE NOT source = ANY($1::text[])`,
      [keep] as never[],
    );
    const names = gone.map((r) => String(r.source));
    if (names.length) {
      await tx.unsafe(`DELETE FROM rpki_vrps WHERE source = ANY($1::text[])`, [names] as never[]);
      await tx.unsafe(`DELETE FROM rpki_sources WHERE source = ANY($1::text[])`, [
        names,
      ] as never[]);
    }
    return names;
  });
}

/** The VRPs of `source` as stored (canonical text, as `cidr` prints it). */
export async function readVrps(sql: Sql, source: string): Promise<Vrp[]> {
  const rows = await sql.unsafe(
    `SELECT prefix::text AS prefix, max_length, asn::text AS asn FROM rpki_vrps
     WHERE source = $1 ORDER BY prefix, max_length, asn`,
    [source],
  );
  return rows.map((r) => ({
    prefix: String(r.prefix),
    maxLength: Number(r.max_length),
    asn: Number(r.asn),
  }));
}
