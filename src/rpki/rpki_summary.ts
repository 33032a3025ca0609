/**
 * The `rpki` part of `GET /summary`, read from `rpki_sources`: what the validation in
 * SQL uses is what the store holds, so the summary reads the store, not the client.
 *
 * @module
 */

import type { RpkiSourceSummary } from "../control/api.ts";
import type { ReadQuery } from "../control/query.ts";

/** The RPKI sources in the store, or one `error` entry when the store does not answer. */
export async function rpkiSummary(query: ReadQuery): Promise<RpkiSourceSummary[]> {
  try {
    const r = await query(
      `SELECT source, state, vrps, serial, protocol_version,
         round(extract(epoch FROM now() - updated_at))::int8 AS age_s, error
       FROM rpki_sources ORDER BY source`,
    );
    return r.rows.map(([source, state, vrps, serial, version, age, error]) => ({
      source: String(source),
      state: String(state),
      vrps: Number(vrps),
      serial: serial === null ? null : Number(serial),
      protocol_version: version === null ? null : Number(version),
      age_s: age === null ? null : Number(age),
      error: error === null ? null : String(error),
    }));
  } catch (e) {
    return [{
      source: "store",
      state: "error",
      vrps: 0,
      serial: null,
      protocol_version: null,
      age_s: null,
      error: `cannot read rpki_sources: ${(e as Error).message}`,
    }];
  }
}
