/**
 * Which database errors are worth retrying (the server or the connection went away, or a
 * transaction lost a race) and how long to wait between attempts.
 *
 * @module
 */

/** Code of the error {@linkcode withDeadline} rejects with. */
export const ATTEMPT_TIMEOUT = "ATTEMPT_TIMEOUT";

const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTCONN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  ATTEMPT_TIMEOUT,
]);

/**
 * True for errors after which the same statement may succeed later: connection loss or
 * refusal, SQLSTATE class 08 (connection exception), 57P01–57P03 (server shutting down,
 * starting up), 53300 (too many connections), 40001/40P01 (serialization, deadlock).
 *
 * @example
 * ```ts
 * import { isRetryable } from "./retry.ts";
 * if (!isRetryable(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))) throw new Error();
 * if (isRetryable(Object.assign(new Error("x"), { code: "22P02" }))) throw new Error();
 * ```
 */
export function isRetryable(e: unknown): boolean {
  if (e instanceof Deno.errors.ConnectionRefused || e instanceof Deno.errors.ConnectionReset) {
    return true;
  }
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== "string") return false;
  return CONNECTION_CODES.has(code) || code.startsWith("08") ||
    ["57P01", "57P02", "57P03", "53300", "40001", "40P01"].includes(code);
}

/** Delay before retry `attempt` (0-based): 100 ms doubling to at most 5 s. */
export function backoffMs(attempt: number): number {
  return Math.min(5_000, 100 * 2 ** Math.min(attempt, 10));
}

/**
 * `p`, or a retryable {@linkcode ATTEMPT_TIMEOUT} error after `ms`: a statement whose
 * connection died mid-way may never settle (seen: a COPY whose socket was closed), and a
 * write must not wait for it forever.
 */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          Object.assign(new Error(`${what}: no answer in ${ms} ms`), { code: ATTEMPT_TIMEOUT }),
        ),
      ms,
    );
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** `p`, or `otherwise` once `ms` have passed (shutdown waits that may give up). */
export function within<T>(p: Promise<T>, ms: number, otherwise: T): Promise<T> {
  return withDeadline(p, ms, "wait").catch((e) => {
    if ((e as { code?: unknown })?.code === ATTEMPT_TIMEOUT) return otherwise;
    throw e;
  });
}

/** Longest a write may take before it counts as lost with its connection (then retried). */
export const ATTEMPT_MS = 60_000;

/**
 * Runs database writes until they succeed, and tracks the outage while any of them waits
 * to be retried (what the spool looks at to decide between inline writes and spooling).
 *
 * @example
 * ```ts
 * import { Retrier } from "./retry.ts";
 * const retry = new Retrier();
 * const n = await retry.run(() => Promise.resolve(1));
 * if (n !== 1 || !retry.healthy || retry.outageSince !== undefined) throw new Error();
 * ```
 */
export class Retrier {
  /** Writes waiting to be retried. */
  #retrying = 0;
  #outageSince?: number;
  readonly #onError?: (e: unknown) => void;

  /** @param onError called with the first retryable error of each write */
  constructor(onError?: (e: unknown) => void) {
    this.#onError = onError;
  }

  /** False while writes fail for want of a database and wait to be retried. */
  get healthy(): boolean {
    return this.#retrying === 0;
  }

  /** When the current database outage began (ms since epoch), or undefined. */
  get outageSince(): number | undefined {
    return this.#outageSince;
  }

  /**
   * Runs `fn` until it succeeds or fails for a reason other than a lost database (then
   * throws); each attempt gets {@linkcode ATTEMPT_MS}.
   *
   * @param fn one attempt; `attempt` is 0 the first time
   * @returns what `fn` returned
   */
  async run<T>(fn: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0;; attempt++) {
      try {
        const r = await withDeadline(fn(attempt), ATTEMPT_MS, "database write");
        if (attempt > 0) this.#recovered();
        return r;
      } catch (e) {
        if (!isRetryable(e)) {
          if (attempt > 0) this.#recovered();
          throw e;
        }
        if (attempt === 0) {
          if (this.#retrying++ === 0) this.#outageSince = Date.now();
          this.#onError?.(e);
        }
        await new Promise((r) => setTimeout(r, backoffMs(attempt)));
      }
    }
  }

  #recovered(): void {
    if (--this.#retrying === 0) this.#outageSince = undefined;
  }
}
