/**
 * The `HOST:PORT` values of the configuration: loopback-only listeners (PG_LISTEN,
 * METRICS_LISTEN) and any listener (WEB_LISTEN). `config.ts` re-exports both.
 *
 * @module
 */

/**
 * Parses a loopback `HOST:PORT` (PG_LISTEN, METRICS_LISTEN): 127.0.0.0/8, `localhost` or
 * `[::1]`.
 *
 * @throws {Error} for anything else, a port 0 or out of range
 */
export function loopbackAddress(v: string): { hostname: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(v.trim());
  const hostname = m ? (m[1] ?? m[2]) : "";
  const port = m ? Number(m[3]) : 0;
  const loopback = hostname === "localhost" || hostname === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
  if (!m || !loopback || port < 1 || port > 65535) {
    throw new Error("must be a loopback HOST:PORT such as 127.0.0.1:5433 (no authentication)");
  }
  return { hostname, port };
}

/**
 * Parses a `HOST:PORT` of any address (WEB_LISTEN): `0.0.0.0:8080`, `[::]:8080`,
 * `127.0.0.1:8080`; `loopback` tells whether only this machine can connect.
 *
 * @example
 * ```ts
 * import { listenAddress } from "./listen_address.ts";
 * const a = listenAddress("[::1]:8080");
 * if (a.hostname !== "::1" || a.port !== 8080 || !a.loopback) throw new Error("unexpected");
 * ```
 * @throws {Error} for a malformed value, a port 0 or out of range
 */
export function listenAddress(v: string): { hostname: string; port: number; loopback: boolean } {
  const m = /^(?:\[([^\]]+)\]|([^:\s\[\]]+)):(\d{1,5})$/.exec(v.trim());
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) {
    throw new Error("must be HOST:PORT such as 127.0.0.1:8080 or [::]:8080");
  }
  const hostname = m[1] ?? m[2];
  let loopback = true;
  try {
    loopbackAddress(v);
  } catch {
    loopback = false;
  }
  return { hostname, port, loopback };
}
