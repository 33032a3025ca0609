/**
 * `RPKI_RTR` addresses: `host:port[,host:port]`, in order of preference.
 *
 * @module
 */

/** One cache address. */
export interface RtrEndpoint {
  hostname: string;
  port: number;
}

/**
 * Parses `host:port[,host:port]` (IPv6 in brackets).
 *
 * @throws {Error} naming the first entry that is not a `host:port`
 *
 * @example
 * ```ts
 * import { parseRtrEndpoints } from "./rtr_endpoint.ts";
 * const e = parseRtrEndpoints("rpki.example:3323, [2001:db8::1]:323");
 * if (e.length !== 2 || e[1].hostname !== "2001:db8::1" || e[1].port !== 323) throw new Error();
 * ```
 */
export function parseRtrEndpoints(v: string): RtrEndpoint[] {
  const out: RtrEndpoint[] = [];
  for (const part of v.split(",")) {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:\[\],]+)):(\d{1,5})$/.exec(part.trim());
    const port = m ? Number(m[3]) : 0;
    if (!m || port < 1 || port > 65535) {
      throw new Error(`${JSON.stringify(part.trim())} is not a host:port (IPv6 as [addr]:port)`);
    }
    out.push({ hostname: m[1] ?? m[2], port });
  }
  return out;
}

/** The source name of a cache in `rpki_vrps` and the metrics: `rtr:host:port`. */
export function rtrSourceName(e: RtrEndpoint): string {
  return `rtr:${e.hostname.includes(":") ? `[${e.hostname}]` : e.hostname}:${e.port}`;
}
