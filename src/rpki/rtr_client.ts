/**
 * `RPKI_RTR=host:port[,host:port]`: the TCP edge of the RTR session. The caches are
 * tried in order and the first that answers serves; after any disconnect the list is
 * tried again from the first, so the preferred cache takes over again when it returns.
 * Between rounds the client waits 1 s, doubling up to the Retry interval (RFC 8210 §6).
 *
 * Everything the cache sends goes through {@linkcode RtrSession}, which never throws, so
 * a broken cache ends only its own connection: BMP ingestion shares nothing with it but
 * the database pool, and store writes run one at a time off the read loop.
 *
 * @module
 */

import {
  RtrSession,
  type SessionLog,
  type SessionStatus,
  type SessionStep,
  type VrpUpdate,
} from "./rtr_session.ts";
import type { RtrVersion } from "./rtr_pdu.ts";
import { type RtrEndpoint, rtrSourceName } from "./rtr_endpoint.ts";

export { parseRtrEndpoints, type RtrEndpoint, rtrSourceName } from "./rtr_endpoint.ts";

/** Where the client hands its results. */
export interface RtrClientSink {
  /**
   * Stores an update (or, without one, the new state) of `source`; `replaces` are the
   * sources it takes over. Throwing marks the store out of date: the next write is the
   * whole current set.
   */
  write(
    source: string,
    update: VrpUpdate | undefined,
    status: SessionStatus,
    replaces: string[],
  ): Promise<void>;
  log(level: SessionLog["level"], message: string, fields: Record<string, unknown>): void;
}

/** Options of {@linkcode RtrClient}. */
export interface RtrClientOptions {
  /** Timeout of one connection attempt, ms (5000). */
  connectTimeoutMs?: number;
  /** Clock resolution of the refresh, retry and expire timers, ms (1000). */
  tickMs?: number;
  /** First wait between rounds, ms (1000). */
  minBackoffMs?: number;
  /** Version to start with (1). */
  version?: RtrVersion;
}

/** The RTR client of one `RPKI_RTR` list. */
export class RtrClient {
  readonly endpoints: RtrEndpoint[];
  readonly session: RtrSession;
  #sink: RtrClientSink;
  #opts: Required<Omit<RtrClientOptions, "version">>;
  /** The source whose rows hold the set (the cache that last sent a reset). */
  #source: string;
  #endpoint?: RtrEndpoint;
  #conn?: Deno.TcpConn;
  #stopped = false;
  #wake?: () => void;
  #loop?: Promise<void>;
  #chain: Promise<void> = Promise.resolve();
  #storeStale = false;
  #written = "";
  #closeReason?: string;

  constructor(endpoints: RtrEndpoint[], sink: RtrClientSink, opts: RtrClientOptions = {}) {
    this.endpoints = endpoints;
    this.#sink = sink;
    this.session = new RtrSession(opts.version ?? 1);
    this.#opts = {
      connectTimeoutMs: opts.connectTimeoutMs ?? 5000,
      tickMs: opts.tickMs ?? 1000,
      minBackoffMs: opts.minBackoffMs ?? 1000,
    };
    this.#source = rtrSourceName(endpoints[0]);
  }

  /** The source name the set is stored under. */
  get source(): string {
    return this.#source;
  }

  /** The cache connected now, if any. */
  get endpoint(): RtrEndpoint | undefined {
    return this.#conn ? this.#endpoint : undefined;
  }

  /** Starts connecting (returns at once). */
  start(): void {
    this.#queue(undefined, []);
    this.#loop = this.#run();
  }

  /** Closes the connection and waits for the pending store writes. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    try {
      this.#conn?.close();
    } catch { /* already closed */ }
    await this.#loop;
    await this.#chain;
  }

  async #run(): Promise<void> {
    let backoff = this.#opts.minBackoffMs;
    const ticker = setInterval(() => this.#apply(this.session.tick(Date.now())), this.#opts.tickMs);
    try {
      while (!this.#stopped) {
        let served = false, again = false;
        for (const e of this.endpoints) {
          if (this.#stopped) break;
          const conn = await this.#connect(e);
          if (!conn) continue;
          served = true;
          const result = await this.#serve(e, conn);
          if (result.updated) backoff = this.#opts.minBackoffMs;
          again = result.again;
          break;
        }
        if (this.#stopped) break;
        if (again) continue;
        if (!served) this.#apply(this.session.disconnected(Date.now(), "no cache answered"));
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, backoff);
          this.#wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        backoff = Math.min(backoff * 2, Math.max(this.session.retryMs, this.#opts.minBackoffMs));
      }
    } finally {
      clearInterval(ticker);
    }
  }

  async #connect(e: RtrEndpoint): Promise<Deno.TcpConn | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = Deno.connect({ hostname: e.hostname, port: e.port });
    try {
      return await Promise.race([
        attempt,
        new Promise<undefined>((resolve) =>
          timer = setTimeout(() => resolve(undefined), this.#opts.connectTimeoutMs)
        ),
      ]).then((c) => {
        if (!c) attempt.then((late) => late.close(), () => {});
        return c;
      });
    } catch (err) {
      this.#sink.log("info", "RTR cache {cache} does not answer: {error}", {
        cache: rtrSourceName(e),
        error: (err as Error).message,
      });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs one connection to its end; `again`: reconnect at once (version fallback). */
  async #serve(e: RtrEndpoint, conn: Deno.TcpConn): Promise<{ updated: boolean; again: boolean }> {
    const before = this.session.status().counts;
    const name = rtrSourceName(e);
    if (name !== this.#source) this.session.requireReset();
    this.#endpoint = e;
    this.#conn = conn;
    this.#sink.log("info", "RTR connected to {cache}", {
      cache: name,
      version: this.session.status().version,
    });
    let reason: string | undefined;
    let again = false;
    this.#closeReason = undefined;
    const buf = new Uint8Array(64 * 1024);
    try {
      let step = this.session.connected(Date.now());
      while (true) {
        reason = await this.#apply(step);
        if (reason) break;
        const n = await conn.read(buf);
        if (n === null) {
          reason = this.#closeReason ?? "the cache closed the connection";
          break;
        }
        step = this.session.receive(buf.subarray(0, n), Date.now());
        // Reading waits for the store, so a slow database cannot pile up updates.
        await this.#chain;
      }
      again = reason === "version 0 fallback";
    } catch (err) {
      reason ??= this.#closeReason ?? (err as Error).message;
    } finally {
      reason = this.#closeReason ?? reason;
      this.#conn = undefined;
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    if (!this.#stopped) {
      this.#sink.log("warn", "RTR connection to {cache} ended: {reason}", { cache: name, reason });
    }
    this.#apply(this.session.disconnected(Date.now(), again || this.#stopped ? undefined : reason));
    const after = this.session.status().counts;
    return { updated: after.resets + after.serials > before.resets + before.serials, again };
  }

  /** Writes, logs and stores what a step asks; returns its close reason. */
  async #apply(step: SessionStep): Promise<string | undefined> {
    for (const l of step.log) {
      this.#sink.log(l.level, l.message, { source: this.#source, ...l.fields });
    }
    const conn = this.#conn;
    if (conn) {
      try {
        for (const b of step.send) {
          for (let off = 0; off < b.length;) off += await conn.write(b.subarray(off));
        }
      } catch (err) {
        step.close ??= `write failed: ${(err as Error).message}`;
      }
      if (step.close) {
        // A close from the timers ends the read loop, which reports this reason.
        this.#closeReason ??= step.close;
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    }
    for (const u of step.updates) {
      const replaces: string[] = [];
      const name = this.#endpoint ? rtrSourceName(this.#endpoint) : this.#source;
      if (u.kind === "reset" && name !== this.#source) {
        replaces.push(this.#source);
        this.#source = name;
      }
      this.#queue(u, replaces);
    }
    if (!step.updates.length) this.#queue(undefined, []);
    return step.close;
  }

  /** Queues a store write; a state-only write is skipped when nothing changed. */
  #queue(update: VrpUpdate | undefined, replaces: string[]): void {
    const status = this.session.status();
    const stamp = `${status.state} ${status.error ?? ""} ${status.version}`;
    if (!update && stamp === this.#written && !this.#storeStale) return;
    this.#written = stamp;
    const source = this.#source;
    this.#chain = this.#chain.then(async () => {
      let u = update;
      // After a failed write only the whole set can bring the store back in line.
      if (this.#storeStale && u?.kind !== "reset" && u?.kind !== "expire") {
        u = { kind: "reset", vrps: this.session.vrps() };
      }
      try {
        await this.#sink.write(source, u, status, replaces);
        this.#storeStale = false;
      } catch (err) {
        if (u) this.#storeStale = true;
        this.#written = "";
        this.#sink.log("error", "RPKI store write failed: {error}", { source, error: String(err) });
      }
    });
  }
}
