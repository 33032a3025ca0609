/**
 * The SQL of a route batch, and {@linkcode commitBatch}: one transaction per batch.
 *
 * ```text
 * COPY bmpmon_attrs_stage      new attribute sets      → INSERT path_attrs ON CONFLICT DO NOTHING
 * COPY route_history           every NLRI
 * COPY bmpmon_rib_stage        last row of each route, → INSERT rib (routes new to it)
 *                              its first time
 *                                                      → INSERT rib ... ON CONFLICT DO UPDATE
 * INSERT spool_lanes           the lane's spool mark, if the batch has spooled routes
 * COMMIT
 * ```
 *
 * Staging lives in per-connection temp tables ({@linkcode prepareStaging}). This module
 * is where the schema meets the write path: a change of either starts here.
 *
 * @module
 */

import type { ReservedSql } from "postgres";
import { ATTR_COLUMNS, ROUTE_COLUMNS, STAGE_COLUMNS } from "./_encode.ts";
import type { Batch } from "./batch.ts";
import { copyIn } from "./copy_in.ts";
import { type LaneMark, writeLaneMark } from "./spool_marks.ts";

/** Staging lives in temp tables (no WAL); give them room in local buffers first. */
export async function prepareStaging(conn: ReservedSql): Promise<void> {
  await conn.unsafe(`SET temp_buffers = '128MB'`);
  await conn.unsafe(`CREATE TEMP TABLE IF NOT EXISTS bmpmon_rib_stage
    (LIKE route_history, route_key text COLLATE "C", new_to_rib boolean, first_time timestamptz,
      kept_attr_id bigint, kept_origin_as bigint, kept_labels integer[])
    ON COMMIT DELETE ROWS`);
  await conn.unsafe(`CREATE TEMP TABLE IF NOT EXISTS bmpmon_attrs_stage
    (LIKE path_attrs INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`);
}

// The stage's `new_to_rib`: the route is not in the RIB yet (src/store/first_load.ts);
// `first_time`: its first row in the batch (the stage holds the last), its first_seen;
// `kept_*`: a withdrawal's announcement earlier in the batch (Batch.kept). A withdrawn row
// keeps the set of the route's last announcement, from the batch or else from the RIB, and
// never a treat-as-withdraw's own set (RFC 7606): the same rows whatever the batch sizes.
const RIB_FROM_STAGE = `
INSERT INTO rib AS r (peer_id, afi, safi, rd, route_key, path_id, prefix, labels, attr_id,
  origin_as, evpn_route_type, evpn_esi, evpn_ethernet_tag, evpn_mac, evpn_ip, evpn_gateway,
  nlri, first_seen, last_change, withdrawn, withdrawn_time)
SELECT peer_id, afi, safi, coalesce(rd, ''), route_key, coalesce(path_id, 0), prefix,
  CASE WHEN withdrawn AND kept_attr_id IS NOT NULL THEN kept_labels ELSE labels END,
  CASE WHEN withdrawn THEN kept_attr_id ELSE attr_id END,
  CASE WHEN withdrawn THEN kept_origin_as ELSE origin_as END,
  evpn_route_type, evpn_esi, evpn_ethernet_tag, evpn_mac, evpn_ip,
  evpn_gateway, nlri, first_time, time, withdrawn, CASE WHEN withdrawn THEN time END
FROM bmpmon_rib_stage`;

/** Routes new to the RIB: a plain insert (no conflict arbitration, ≈ 25 % cheaper). */
const INSERT_RIB = `${RIB_FROM_STAGE} WHERE new_to_rib`;

const ON_CONFLICT = `
ON CONFLICT (prefix, peer_id, path_id, afi, safi, rd, route_key) DO UPDATE SET
  labels = CASE WHEN excluded.withdrawn AND excluded.attr_id IS NULL THEN r.labels
    ELSE excluded.labels END,
  attr_id = CASE WHEN excluded.withdrawn AND excluded.attr_id IS NULL THEN r.attr_id
    ELSE excluded.attr_id END,
  origin_as = CASE WHEN excluded.withdrawn AND excluded.attr_id IS NULL THEN r.origin_as
    ELSE excluded.origin_as END,
  last_change = excluded.last_change,
  withdrawn = excluded.withdrawn,
  withdrawn_time = excluded.withdrawn_time`;

const UPSERT_RIB = `${RIB_FROM_STAGE} WHERE NOT new_to_rib ${ON_CONFLICT}`;

/** When a route taken for new was not: every route of the batch through the upsert. */
const UPSERT_RIB_ALL = `${RIB_FROM_STAGE} ${ON_CONFLICT}`;

const INSERT_ATTRS = `INSERT INTO path_attrs (${ATTR_COLUMNS.join(", ")})
SELECT ${ATTR_COLUMNS.join(", ")} FROM bmpmon_attrs_stage ON CONFLICT (id) DO NOTHING`;

/** Time of a batch transaction per step, ms. */
export type CommitSteps = Record<
  "attrs" | "history" | "stage" | "insert" | "upsert" | "commit",
  number
>;

/** What {@linkcode commitBatch} reports to, and asks of, its lane. */
export interface CommitHooks {
  /** Summed into per step. */
  steps: CommitSteps;
  /** The lane's spool mark with the batch in (called only for a batch with spooled routes). */
  markAfter: () => LaneMark;
  /** Whose marks the lane's is (`WriterOptions.markSource`). */
  markSource: string;
  /** A route taken for new to the RIB was in it: the batch went through the upsert. */
  firstLoadMiss: () => void;
}

/**
 * Writes batch `b` of lane `lane` in one transaction on `conn`; `b.stage` must be filled
 * ({@linkcode Batch.stageRows}). Sets `b.firstLoaded`.
 *
 * @throws the failed statement's error, after a ROLLBACK
 */
export async function commitBatch(
  conn: ReservedSql,
  lane: number,
  b: Batch,
  hooks: CommitHooks,
): Promise<void> {
  const steps = hooks.steps;
  let t = performance.now();
  const step = (k: keyof CommitSteps) => {
    const now = performance.now();
    steps[k] += now - t;
    t = now;
  };
  await conn.unsafe("BEGIN");
  try {
    if (b.attrs.length > 0) {
      await copyIn(conn, `bmpmon_attrs_stage (${ATTR_COLUMNS.join(", ")})`, b.attrs);
      await conn.unsafe(INSERT_ATTRS);
    }
    step("attrs");
    await copyIn(conn, `route_history (${ROUTE_COLUMNS.join(", ")})`, b.hist);
    step("history");
    await copyIn(
      conn,
      `bmpmon_rib_stage (${STAGE_COLUMNS.join(", ")}, new_to_rib, first_time, kept_attr_id, ` +
        "kept_origin_as, kept_labels)",
      b.stage,
    );
    step("stage");
    let upsert = b.newRows < b.keys.length ? UPSERT_RIB : "";
    if (b.newRows > 0) {
      await conn.unsafe("SAVEPOINT first_load");
      try {
        await conn.unsafe(INSERT_RIB);
        await conn.unsafe("RELEASE SAVEPOINT first_load");
        b.firstLoaded = true;
      } catch (e) {
        // A route taken for new was in the RIB (written by someone else, or a hash
        // that was not ours): this batch and the views' later ones take the upsert.
        if ((e as { code?: string }).code !== "23505") throw e;
        await conn.unsafe("ROLLBACK TO SAVEPOINT first_load");
        hooks.firstLoadMiss();
        b.firstLoaded = false;
        upsert = UPSERT_RIB_ALL;
      }
    }
    step("insert");
    if (upsert) await conn.unsafe(upsert);
    step("upsert");
    if (b.maxSeq) await writeLaneMark(conn, hooks.markSource, lane, hooks.markAfter());
    await conn.unsafe("COMMIT");
    step("commit");
  } catch (e) {
    await conn.unsafe("ROLLBACK").catch(() => {});
    throw e;
  }
}
