/**
 * The values of the BUS_* variables (src/config.ts validates them with these): the NATS
 * servers of BUS_URL, durations (BUS_MAX_AGE) and byte sizes (BUS_MAX_BYTES).
 *
 * @module
 */

/** One NATS server of BUS_URL. */
export interface BusServer {
  /** As given: `nats://host:port` or `tls://host:port`. */
  url: string;
  hostname: string;
  port: number;
  tls: boolean;
}

/**
 * Parses BUS_URL: comma-separated `nats://HOST[:PORT]` or `tls://HOST[:PORT]` (port 4222
 * by default).
 *
 * @example
 * ```ts
 * import { parseBusUrls } from "./settings.ts";
 * const [a, b] = parseBusUrls("nats://n1:4222, tls://[::1]");
 * if (a.port !== 4222 || a.tls || b.hostname !== "::1" || !b.tls) throw new Error();
 * ```
 * @throws {Error} for anything else
 */
export function parseBusUrls(v: string): BusServer[] {
  const out: BusServer[] = [];
  for (const part of v.split(",").map((s) => s.trim()).filter((s) => s)) {
    const m = /^(nats|tls):\/\/(?:\[([^\]]+)\]|([^:/@\s\[\]]+))(?::(\d{1,5}))?\/?$/.exec(part);
    const port = m?.[4] ? Number(m[4]) : 4222;
    if (!m || port < 1 || port > 65535) {
      throw new Error(
        `cannot read "${part}": must be nats://HOST:PORT or tls://HOST:PORT, comma-separated ` +
          "(credentials go in BUS_USER/BUS_PASSWORD, BUS_TOKEN or BUS_CREDS_FILE)",
      );
    }
    out.push({ url: part, hostname: m[2] ?? m[3], port, tls: m[1] === "tls" });
  }
  if (out.length === 0) throw new Error("must list at least one nats://HOST:PORT");
  return out;
}

/**
 * Parses a duration like `7d`, `12h`, `30m`, `90s` (or `0`: none) into milliseconds.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./settings.ts";
 * if (parseDuration("2h") !== 7_200_000 || parseDuration("7x") !== undefined) throw new Error();
 * ```
 */
export function parseDuration(v: string): number | undefined {
  const m = /^(\d+)\s*(ms|s|m|h|d|w)?$/.exec(v.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 }[m[2] ?? "s"]!;
  if (m[2] === undefined && m[1] !== "0") return undefined;
  return Number(m[1]) * unit;
}

/**
 * Parses a byte size like `10G`, `500M`, `4096`, or `-1` (no limit); K, M, G, T are
 * powers of 1024.
 *
 * @example
 * ```ts
 * import { parseByteSize } from "./settings.ts";
 * if (parseByteSize("2K") !== 2048 || parseByteSize("-1") !== -1) throw new Error();
 * ```
 */
export function parseByteSize(v: string): number | undefined {
  if (v.trim() === "-1") return -1;
  const m = /^(\d+)\s*([KMGT])?i?B?$/i.exec(v.trim());
  if (!m) return undefined;
  const shift = { "": 0, K: 10, M: 20, G: 30, T: 40 }[(m[2] ?? "").toUpperCase()]!;
  const n = Number(m[1]) * 2 ** shift;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
