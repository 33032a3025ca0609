/**
 * Counts over an MRT file for `bmpmon decode --summary`: records by type, errors, and
 * per family the routes announced and withdrawn and the distinct routes (peer, RD,
 * prefix, path id). A RIB entry counts as an announcement.
 *
 * @module
 */

import { familyName } from "../bgp/constants.ts";
import { forEachRoute } from "../bgp/routes.ts";
import type { Nlri } from "../bgp/nlri/types.ts";
import { type FamilyCounts, routeKey } from "../bmp/summary.ts";
import { MrtType } from "./constants.ts";
import type { MrtError } from "./errors.ts";
import type { MrtRecord } from "./types.ts";

/** The `--summary --json` object of MRT input. */
export interface MrtSummary {
  /** Records by kind: `peer_index_table`, `rib`, `table_dump`, `bgp4mp_message`,
   * `bgp4mp_state_change`, `unknown` (the `_ET` forms count with BGP4MP). */
  records: Record<string, number>;
  errors: number;
  /** Errors by code. */
  error_codes: Record<string, number>;
  families: Record<string, FamilyCounts>;
}

/** Accumulates an {@linkcode MrtSummary} record by record. */
export class MrtSummaryBuilder {
  readonly #records: Record<string, number> = {
    peer_index_table: 0,
    rib: 0,
    table_dump: 0,
    bgp4mp_message: 0,
    bgp4mp_state_change: 0,
    unknown: 0,
  };
  #errors = 0;
  readonly #codes: Record<string, number> = {};
  readonly #families = new Map<
    string,
    { announced: number; withdrawn: number; keys: Set<string> }
  >();

  #route(afi: number, safi: number, withdrawn: boolean, peer: string, n: Nlri): void {
    const name = familyName(afi, safi);
    let f = this.#families.get(name);
    if (!f) this.#families.set(name, f = { announced: 0, withdrawn: 0, keys: new Set() });
    if (withdrawn) f.withdrawn++;
    else f.announced++;
    f.keys.add(peer + "|" + routeKey(n));
  }

  /** Counts one record. `scope` separates files in the distinct-route count. */
  add(rec: MrtRecord, scope = ""): void {
    const b = rec.body;
    const bgp4mp = rec.header.type === MrtType.Bgp4mp || rec.header.type === MrtType.Bgp4mpEt;
    const kind = bgp4mp && b.kind !== "unknown" ? `bgp4mp_${b.kind}` : b.kind;
    this.#records[kind]++;
    switch (b.kind) {
      case "rib":
        for (const e of b.entries) {
          const peer = `${scope}|${e.peer?.address ?? `#${e.peerIndex}`}`;
          const n = e.pathId === undefined ? b.nlri : { ...b.nlri, pathId: e.pathId };
          this.#route(b.afi, b.safi, false, peer, n);
        }
        return;
      case "table_dump":
        this.#route(b.afi, 1, false, `${scope}|${b.peerAddress}`, { prefix: b.prefix });
        return;
      case "message":
        if ("update" in b.message) {
          const peer = `${scope}|${b.peerAddress}`;
          forEachRoute(b.message.update, (afi, safi, w, n) => this.#route(afi, safi, w, peer, n));
        }
    }
  }

  /** Counts one error. */
  addError(e: MrtError): void {
    this.#errors++;
    this.#codes[e.code] = (this.#codes[e.code] ?? 0) + 1;
  }

  /** The summary so far. */
  result(): MrtSummary {
    const families: Record<string, FamilyCounts> = {};
    for (const [k, f] of this.#families) {
      families[k] = {
        announced: f.announced,
        withdrawn: f.withdrawn,
        unique_prefixes: f.keys.size,
      };
    }
    return {
      records: { ...this.#records },
      errors: this.#errors,
      error_codes: { ...this.#codes },
      families,
    };
  }
}
