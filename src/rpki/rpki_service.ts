/**
 * The RPKI sources of `bmpmon serve`: the RTR client of `RPKI_RTR` and the watcher of
 * `RPKI_VRP_FILE`, each writing its set into the store (`vrp_store.ts`) and reporting
 * its state for the metrics and `show summary`.
 *
 * @module
 */

import type { Sql } from "postgres";
import { RtrClient } from "./rtr_client.ts";
import { type RtrEndpoint, rtrSourceName } from "./rtr_endpoint.ts";
import type { RpkiState, SessionLog } from "./rtr_session.ts";
import { pruneSources, storeSourceRow, storeVrpUpdate } from "./vrp_store.ts";
import { VrpFileWatcher } from "./vrp_file.ts";

/** One source as the metrics and `show summary` see it. */
export interface RpkiSourceStatus {
  source: string;
  kind: "rtr" | "file";
  state: RpkiState;
  vrps: number;
  /** RTR only: connected to a cache now, and the session's version, id and serial. */
  connected?: boolean;
  version?: number;
  sessionId?: number;
  serial?: number;
  /** When the set last changed, ms since epoch. */
  updatedAt?: number;
  error?: string;
}

/** What {@linkcode RpkiService.start} takes. */
export interface RpkiOptions {
  rtr?: RtrEndpoint[];
  vrpFile?: string;
  log(level: SessionLog["level"], message: string, fields: Record<string, unknown>): void;
  /**
   * Called after each set change is committed (a reset, serial update, file load or the
   * expire rule): the hook for work that follows the VRPs, such as recording state changes.
   */
  onStored?(source: string, kind: "reset" | "serial" | "expire"): void;
  /** VRP file polling interval, ms (5000). */
  filePollMs?: number;
  /** RTR client timing (tests). */
  rtrTickMs?: number;
  rtrMinBackoffMs?: number;
}

/** The running RPKI sources. */
export class RpkiService {
  readonly rtr?: RtrClient;
  readonly file?: VrpFileWatcher;
  #file?: RpkiSourceStatus;

  private constructor(sql: Sql, opts: RpkiOptions) {
    if (opts.rtr?.length) {
      this.rtr = new RtrClient(opts.rtr, {
        log: opts.log,
        write: async (source, update, s, replaces) => {
          const row = {
            state: s.state,
            version: s.version,
            sessionId: s.sessionId,
            serial: s.serial,
            vrps: s.vrps,
            refresh: s.refresh,
            retry: s.retry,
            expire: s.expire,
            updatedAt: s.updatedAt,
            error: s.error,
          };
          if (update) {
            await storeVrpUpdate(sql, source, update, row, replaces);
            opts.onStored?.(source, update.kind);
          } else await storeSourceRow(sql, source, row);
        },
      }, { tickMs: opts.rtrTickMs, minBackoffMs: opts.rtrMinBackoffMs });
    }
    if (opts.vrpFile) {
      const source = `file:${opts.vrpFile}`;
      const status: RpkiSourceStatus = { source, kind: "file", state: "syncing", vrps: 0 };
      this.#file = status;
      this.file = new VrpFileWatcher(opts.vrpFile, {
        onLoad: async (f, at) => {
          if (f.skipped) {
            opts.log("warn", "VRP file {path}: {skipped} malformed entries skipped", {
              path: opts.vrpFile,
              skipped: f.skipped,
              examples: f.problems,
            });
          }
          try {
            await storeVrpUpdate(sql, source, { kind: "reset", vrps: f.vrps }, {
              state: "current",
              vrps: f.vrps.length,
              updatedAt: at,
            });
            Object.assign(status, { state: "current", vrps: f.vrps.length, updatedAt: at });
            opts.onStored?.(source, "reset");
            status.error = undefined;
            opts.log("info", "VRP file {path} loaded: {vrps} VRPs", {
              path: opts.vrpFile,
              vrps: f.vrps.length,
            });
          } catch (e) {
            status.error = `store write failed: ${(e as Error).message}`;
            status.state = "error";
            opts.log("error", "RPKI store write failed: {error}", { source, error: String(e) });
          }
        },
        onError: async (error) => {
          // The previous set stays in use: an empty one would hide every invalid route.
          Object.assign(status, { state: "error", error });
          opts.log("error", "VRP file: {error}", { path: opts.vrpFile, error });
          try {
            await storeSourceRow(sql, source, {
              state: "error",
              vrps: status.vrps,
              updatedAt: status.updatedAt,
              error,
            });
          } catch { /* the store is down: the next change tries again */ }
        },
      }, opts.filePollMs);
    }
  }

  /** Resolves once sources no longer configured are dropped and the VRP file was read. */
  ready: Promise<void> = Promise.resolve();

  /** Starts the configured sources; they load in the background (see `ready`). */
  static start(sql: Sql, opts: RpkiOptions): RpkiService {
    const s = new RpkiService(sql, opts);
    const keep: string[] = (opts.rtr ?? []).map(rtrSourceName);
    if (opts.vrpFile) keep.push(`file:${opts.vrpFile}`);
    s.ready = (async () => {
      try {
        const dropped = await pruneSources(sql, keep);
        if (dropped.length) {
          opts.log("warn", "RPKI sources no longer configured dropped: {sources}", {
            sources: dropped,
          });
        }
      } catch (e) {
        opts.log("error", "RPKI store write failed: {error}", { error: String(e) });
      }
      await s.file?.start();
    })();
    s.rtr?.start();
    return s;
  }

  /** Every configured source. */
  sources(): RpkiSourceStatus[] {
    const out: RpkiSourceStatus[] = [];
    if (this.rtr) {
      const s = this.rtr.session.status();
      out.push({
        source: this.rtr.source,
        kind: "rtr",
        state: s.state,
        vrps: s.vrps,
        connected: this.rtr.endpoint !== undefined,
        version: s.version,
        sessionId: s.sessionId,
        serial: s.serial,
        updatedAt: s.updatedAt,
        error: s.error,
      });
    }
    if (this.#file) out.push({ ...this.#file });
    return out;
  }

  /** Stops both sources and waits for their store writes. */
  async stop(): Promise<void> {
    await this.ready.catch(() => {});
    await this.rtr?.stop();
    await this.file?.stop();
  }
}
