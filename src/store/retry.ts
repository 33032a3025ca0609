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
