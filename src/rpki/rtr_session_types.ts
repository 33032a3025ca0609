/**
 * The types of the RTR session's contract with its edge (`rtr_session.ts`): the steps it
 * returns, its status, and the states a source can be in.
 *
 * @module
 */

import type { RtrVersion } from "./rtr_pdu.ts";
import type { VrpUpdate } from "./_rtr_update.ts";

/** Where a source's set stands (the `rpki_sources.state` values). */
export type RpkiState = "syncing" | "current" | "stale" | "expired" | "error";

/** Timer defaults of RFC 8210 §6, seconds (version 0 caches send none). */
export const RTR_DEFAULT_TIMERS = { refresh: 3600, retry: 600, expire: 7200 } as const;

/** One message for the log. */
export interface SessionLog {
  level: "info" | "warn" | "error";
  message: string;
  fields?: Record<string, unknown>;
}

/** What the edge must do after a call. */
export interface SessionStep {
  /** PDUs to write, in order. */
  send: Uint8Array[];
  /** Set changes to store, in order. */
  updates: VrpUpdate[];
  log: SessionLog[];
  /** Close the connection (after writing `send`), and why. */
  close?: string;
}

/** A snapshot of the session for the store's `rpki_sources` row and the metrics. */
export interface SessionStatus {
  state: RpkiState;
  version: RtrVersion;
  sessionId?: number;
  serial?: number;
  vrps: number;
  refresh: number;
  retry: number;
  expire: number;
  /** `now` of the last End of Data, ms. */
  updatedAt?: number;
  error?: string;
  /** Reset and Serial Queries sent, and updates applied of each kind. */
  counts: { resetQueries: number; serialQueries: number; resets: number; serials: number };
}
