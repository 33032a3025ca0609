/**
 * The router side of an RTR session (RFC 8210 §8, with RFC 6810 version 0), without
 * I/O: the TCP edge feeds it bytes and the clock, and sends what it returns.
 *
 * ```text
 * connect ──► Reset Query (no data, or after an error) / Serial Query (session, serial)
 * Cache Response ─► IPv4/IPv6 Prefix… (Router Key ignored) ─► End of Data: one update
 * Cache Reset (to a Serial Query) ─► Reset Query on the same connection
 * Serial Notify, or Refresh interval since End of Data ─► Serial Query
 * ```
 *
 * The VRP set outlives connections: after a drop it stays in use until the Expire
 * interval (RFC 8210 §6) passes with no End of Data, then it is dropped (`expired`) and
 * the store reports every route unknown. An update is handed out only at End of Data, so
 * a half-received one never reaches the store. Any PDU that breaks the protocol gets the
 * Error Report RFC 8210 §10 calls for and closes the connection; the next one starts
 * over with a Reset Query. Nothing here throws on what the cache sends.
 *
 * Memory: the current set is one `Set` of key strings (about 100 bytes per VRP with its
 * entry, so some 50 MB for today's global 500,000), which is what lets a withdrawal of
 * an unknown record or a duplicate announcement be detected as §10 requires.
 *
 * @module
 */

import { DecodeError } from "../wire/errors.ts";
import {
  decodeRtrPdu as decode,
  encodeRtrPdu,
  RTR_ERROR_CODES,
  RtrFramer,
  type RtrPdu,
  type RtrVersion,
} from "./rtr_pdu.ts";
import { type Vrp, vrpKey, vrpOfKey } from "./vrp.ts";
import { PendingUpdate } from "./_rtr_update.ts";
import {
  cacheErrorAction,
  ERROR_NAMES,
  errorReportFor,
  ProtocolFault,
  readErrorReport,
  unexpected,
} from "./_rtr_fault.ts";

import {
  type RpkiState,
  RTR_DEFAULT_TIMERS,
  type SessionStatus,
  type SessionStep,
} from "./rtr_session_types.ts";

export type { VrpUpdate } from "./_rtr_update.ts";
export * from "./rtr_session_types.ts";

const E = RTR_ERROR_CODES;

/** The RTR session state machine of one source. */
export class RtrSession {
  #framer = new RtrFramer();
  #set = new Set<string>();
  #hasData = false;
  #version: RtrVersion = 1;
  /** The version was agreed on this connection (a Cache Response or Cache Reset came). */
  #negotiated = false;
  #connected = false;
  #resetNeeded = true;
  #sessionId?: number;
  #serial?: number;
  #timers: { refresh: number; retry: number; expire: number } = { ...RTR_DEFAULT_TIMERS };
  #updatedAt?: number;
  #dataSince?: number;
  #state: RpkiState = "syncing";
  #error?: string;
  /** The query in flight: when it went and which kind. */
  #query?: { at: number; kind: "reset" | "serial" };
  /** The response being received (after Cache Response, before End of Data). */
  #pending?: PendingUpdate;
  #counts = { resetQueries: 0, serialQueries: 0, resets: 0, serials: 0 };

  /** @param version the version to start with (1; 0 to speak RFC 6810 only) */
  constructor(version: RtrVersion = 1) {
    this.#version = version;
  }

  /** The session as the store and the metrics show it. */
  status(): SessionStatus {
    return {
      state: this.#state,
      version: this.#version,
      sessionId: this.#sessionId,
      serial: this.#serial,
      vrps: this.#set.size,
      ...this.#timers,
      updatedAt: this.#updatedAt,
      error: this.#error,
      counts: { ...this.#counts },
    };
  }

  /** The current set (for a full rewrite of the store after a failed write). */
  vrps(): Vrp[] {
    return [...this.#set].map(vrpOfKey);
  }

  /** How long to wait before the next connection attempt at most (the Retry interval), ms. */
  get retryMs(): number {
    return this.#timers.retry * 1000;
  }

  /** The next query must be a Reset Query (a different cache is about to serve). */
  requireReset(): void {
    this.#resetNeeded = true;
  }

  /** A connection is up: returns the first query. */
  connected(now: number): SessionStep {
    this.#framer.reset();
    this.#connected = true;
    this.#negotiated = false;
    this.#pending = undefined;
    if (this.#dataSince === undefined) this.#dataSince = now;
    if (!this.#hasData) this.#state = "syncing";
    const step = this.#step();
    step.send.push(this.#queryPdu(now));
    return step;
  }

  /** The connection ended (either side): the update being received is dropped. */
  disconnected(now: number, reason?: string): SessionStep {
    this.#connected = false;
    this.#query = undefined;
    this.#pending = undefined;
    this.#framer.reset();
    if (reason) this.#error = reason;
    if (this.#state === "current" || this.#state === "syncing") {
      this.#state = this.#hasData ? "stale" : "syncing";
    }
    return this.tick(now);
  }

  /**
   * Moves the clock: a Serial Query once the Refresh interval has passed, a close when a
   * query went unanswered for the Retry interval, and the expire rule.
   */
  tick(now: number): SessionStep {
    const step = this.#step();
    const t = this.#timers;
    if (this.#hasData && this.#updatedAt !== undefined && now - this.#updatedAt > t.expire * 1000) {
      this.#expire(step, now);
    } else if (
      !this.#hasData && this.#state !== "expired" && this.#dataSince !== undefined &&
      now - this.#dataSince > t.expire * 1000 && this.#state !== "error"
    ) {
      // Never had data for a whole Expire interval: say so rather than "syncing" forever.
      this.#state = "error";
      this.#error ??= "no data from the cache";
    }
    if (!this.#connected) return step;
    if (this.#query && now - this.#query.at > t.retry * 1000) {
      step.close = `no answer to the ${this.#query.kind} query within ${t.retry} s`;
      this.#error = step.close;
      return step;
    }
    if (
      !this.#query && this.#negotiated && this.#updatedAt !== undefined &&
      now - this.#updatedAt >= t.refresh * 1000
    ) {
      step.send.push(this.#queryPdu(now));
    }
    if (
      this.#state === "current" && this.#updatedAt !== undefined &&
      now - this.#updatedAt > (t.refresh + t.retry) * 1000
    ) {
      this.#state = "stale";
    }
    return step;
  }

  /** Feeds bytes read from the connection. */
  receive(chunk: Uint8Array, now: number): SessionStep {
    const step = this.#step();
    if (!this.#connected) return step;
    let pdus: Uint8Array[];
    try {
      pdus = this.#framer.push(chunk);
    } catch (e) {
      this.#fault(
        step,
        new ProtocolFault(E.CORRUPT_DATA, chunk.subarray(0, 8), (e as Error).message),
      );
      return step;
    }
    for (const bytes of pdus) {
      try {
        this.#handle(bytes, step, now);
      } catch (e) {
        const fault = e instanceof ProtocolFault ? e : new ProtocolFault(
          e instanceof DecodeError && e.code === "bad-type"
            ? E.UNSUPPORTED_PDU_TYPE
            : E.CORRUPT_DATA,
          bytes,
          (e as Error).message,
        );
        this.#fault(step, fault);
      }
      if (step.close) break;
    }
    return step;
  }

  #step(): SessionStep {
    return { send: [], updates: [], log: [] };
  }

  #queryPdu(now: number): Uint8Array {
    const serial = !this.#resetNeeded && this.#hasData && this.#sessionId !== undefined &&
      this.#serial !== undefined;
    this.#query = { at: now, kind: serial ? "serial" : "reset" };
    this.#counts[serial ? "serialQueries" : "resetQueries"]++;
    return encodeRtrPdu(
      serial
        ? { type: 1, version: this.#version, sessionId: this.#sessionId!, serial: this.#serial! }
        : { type: 2, version: this.#version },
    );
  }

  #expire(step: SessionStep, now: number): void {
    const age = Math.round((now - this.#updatedAt!) / 1000);
    step.log.push({
      level: "warn",
      message:
        "RPKI VRPs expired: no data from the cache for {age_s} s (Expire {expire_s} s), every route is now unknown",
      fields: { age_s: age, expire_s: this.#timers.expire, dropped: this.#set.size },
    });
    this.#set.clear();
    this.#hasData = false;
    this.#resetNeeded = true;
    this.#state = "expired";
    this.#error = `expired after ${age} s without data`;
    step.updates.push({ kind: "expire" });
    if (this.#connected) {
      // A Serial Query in flight, or its response, would apply to the dropped set.
      this.#query = undefined;
      this.#pending = undefined;
      step.close = this.#error;
    }
  }

  /** Sends the Error Report (never in answer to one) and closes; the next connection resets. */
  #fault(step: SessionStep, f: ProtocolFault): void {
    const name = ERROR_NAMES[f.code] ?? String(f.code);
    if (f.code >= 0) {
      step.send.push(errorReportFor(this.#version, f));
    }
    step.log.push({
      level: "error",
      message: "RTR session reset: {error}",
      fields: {
        error: f.message,
        error_report: f.code >= 0 ? name : "none (an Error Report came)",
      },
    });
    this.#resetNeeded = true;
    this.#pending = undefined;
    this.#error = f.message;
    step.close = f.message;
  }

  #handle(bytes: Uint8Array, step: SessionStep, now: number): void {
    const version = bytes[0];
    if (version !== this.#version) {
      if (version > 1) {
        if (bytes[1] === 10) {
          throw new ProtocolFault(-1, bytes, `Error Report of version ${version}`);
        }
        throw new ProtocolFault(E.UNSUPPORTED_PROTOCOL_VERSION, bytes, `PDU of version ${version}`);
      }
      if (this.#negotiated || version > this.#version) {
        if (bytes[1] !== 10) {
          const what = `PDU of version ${version} in a version ${this.#version} session`;
          throw new ProtocolFault(E.UNEXPECTED_PROTOCOL_VERSION, bytes, what);
        }
        return this.#errorReport(bytes, step);
      }
      if (bytes[1] !== 10) {
        // A version 0 cache answered a version 1 query: downgrade (RFC 8210 §7).
        step.log.push({ level: "info", message: "RTR cache speaks version 0: downgrading" });
        this.#version = 0;
        this.#resetNeeded = true;
      }
    }
    const pdu = bytes[1] === 10 ? undefined : decode(bytes);
    if (!pdu) return this.#errorReport(bytes, step);
    switch (pdu.type) {
      case 0:
        // Ignored until the version is agreed (§7), and while a query is in flight.
        if (this.#negotiated && !this.#query && !this.#pending) step.send.push(this.#queryPdu(now));
        return;
      case 3:
        if (!this.#query || this.#pending) throw unexpected(bytes, "Cache Response");
        if (this.#query.kind === "serial" && pdu.sessionId !== this.#sessionId) {
          throw new ProtocolFault(
            E.CORRUPT_DATA,
            bytes,
            `Cache Response for session ${pdu.sessionId}, not ${this.#sessionId}`,
          );
        }
        this.#negotiated = true;
        this.#sessionId = pdu.sessionId;
        this.#pending = new PendingUpdate(this.#query.kind);
        return;
      case 4:
      case 6:
        if (!this.#pending) throw unexpected(bytes, "Prefix");
        return this.#pending.add(bytes, pdu.announce, vrpKey(pdu), this.#set);
      case 9:
        if (!this.#pending) throw unexpected(bytes, "Router Key");
        return; // BGPsec router keys: not used by origin validation.
      case 7:
        if (!this.#pending) throw unexpected(bytes, "End of Data");
        if (pdu.sessionId !== this.#sessionId) {
          throw new ProtocolFault(
            E.CORRUPT_DATA,
            bytes,
            `End of Data for session ${pdu.sessionId}, not ${this.#sessionId}`,
          );
        }
        return this.#endOfData(pdu, step, now);
      case 8:
        if (this.#query?.kind !== "serial" || this.#pending) throw unexpected(bytes, "Cache Reset");
        this.#negotiated = true;
        this.#resetNeeded = true;
        step.log.push({
          level: "info",
          message: "RTR cache reset: sending a Reset Query",
          fields: {},
        });
        step.send.push(this.#queryPdu(now));
        return;
      default:
        throw new ProtocolFault(E.UNSUPPORTED_PDU_TYPE, bytes, `PDU type ${pdu.type} from a cache`);
    }
  }

  #endOfData(pdu: Extract<RtrPdu, { type: 7 }>, step: SessionStep, now: number): void {
    const p = this.#pending!;
    const { update, set } = p.apply(this.#set);
    this.#set = set;
    step.updates.push(update);
    if (p.kind === "reset") this.#counts.resets++;
    else this.#counts.serials++;
    if (pdu.refresh !== undefined) {
      this.#timers = { refresh: pdu.refresh || 1, retry: pdu.retry || 1, expire: pdu.expire || 1 };
    }
    this.#serial = pdu.serial;
    this.#pending = undefined;
    this.#query = undefined;
    this.#hasData = true;
    this.#resetNeeded = false;
    this.#updatedAt = now;
    this.#state = "current";
    this.#error = undefined;
    step.log.push({
      level: "info",
      message: "RTR {kind} update applied: serial {serial}, {vrps} VRPs",
      fields: {
        kind: p.kind,
        serial: pdu.serial,
        vrps: this.#set.size,
        changes: p.size,
        version: this.#version,
      },
    });
  }

  #errorReport(bytes: Uint8Array, step: SessionStep): void {
    const { code, name, text } = readErrorReport(bytes);
    const action = cacheErrorAction(code, bytes[0], this.#version, this.#negotiated);
    if (action === "fault") {
      const why = `cache sent Error Report: ${name}${text ? `: ${text}` : ""}`;
      return this.#fault(step, new ProtocolFault(-1, bytes, why));
    }
    const fallback = action === "fallback";
    step.log.push({
      level: fallback ? "info" : "warn",
      message: fallback
        ? "RTR cache does not speak version 1: retrying with version 0"
        : "RTR cache has no data yet",
      fields: { text },
    });
    if (fallback) {
      this.#version = 0;
      this.#resetNeeded = true;
    } else this.#error = "cache: no data available";
    step.close = fallback ? "version 0 fallback" : this.#error;
  }
}
