/**
 * The HTTP listeners of `serve` (metrics, looking glass): one `Deno.serve` on a
 * configured address, whose failure to bind is a configuration error naming the variable.
 *
 * @module
 */

import { ConfigError } from "./config.ts";

/** A bound listener. */
export interface HttpListener {
  addr: Deno.NetAddr;
  /** Stops accepting and waits for the requests under way. */
  stop(): Promise<void>;
}

/**
 * Listens on `addr` with `handler`, resolving once bound.
 *
 * @throws {ConfigError} `VAR=host:port: cannot listen: …` when the address cannot be bound
 */
export async function listenHttp(
  variable: string,
  addr: { hostname: string; port: number },
  handler: (req: Request) => Response | Promise<Response>,
): Promise<HttpListener> {
  const { promise, resolve } = Promise.withResolvers<Deno.NetAddr>();
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
      hostname: addr.hostname,
      port: addr.port,
      onListen: (a) => resolve(a as Deno.NetAddr),
    }, handler);
  } catch (e) {
    throw new ConfigError(
      `${variable}=${addr.hostname}:${addr.port}: cannot listen: ${(e as Error).message}`,
    );
  }
  return { addr: await promise, stop: () => server.shutdown() };
}
