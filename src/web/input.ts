/**
 * Validation of what a request asks for. Everything a page passes to SQL goes through
 * here first and then as a `$n` parameter, never into the statement's text; a bad value
 * is an {@linkcode InputError}, answered with 400 and its message in the page.
 *
 * @module
 */

/** A request parameter that cannot be used: HTTP 400 with `message`. */
export class InputError extends Error {
  /** HTTP status of the answer. */
  readonly status = 400;
}

function ipv4Bytes(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p[0] === "0")) {
      return undefined;
    }
    out.push(Number(p));
  }
  return out;
}

function ipv6Valid(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return false;
  const halves = text.split("::");
  if (halves.length > 2) return false;
  let groups = 0;
  for (const [h, half] of halves.entries()) {
    if (half === "") continue;
    const g = half.split(":");
    for (const [i, x] of g.entries()) {
      const lastOfAll = h === halves.length - 1 && i === g.length - 1;
      if (lastOfAll && x.includes(".")) {
        if (!ipv4Bytes(x)) return false;
        groups += 2;
      } else if (/^[0-9a-fA-F]{1,4}$/.test(x)) groups++;
      else return false;
    }
  }
  return halves.length === 2 ? groups < 8 : groups === 8;
}

/**
 * A lookup's prefix or address, checked: IPv4 or IPv6, with an optional `/LEN` within the
 * family's width. Returns it trimmed, as PostgreSQL's `inet` takes it.
 *
 * @example
 * ```ts
 * import { parsePrefix } from "./input.ts";
 * if (parsePrefix(" 2001:db8::/32 ") !== "2001:db8::/32") throw new Error("unexpected");
 * let bad = "";
 * try { parsePrefix("10.0.0.256/8"); } catch (e) { bad = (e as Error).message; }
 * if (!bad.startsWith("not an IPv4 or IPv6")) throw new Error(bad);
 * ```
 * @throws {InputError} when it is neither
 */
export function parsePrefix(text: string | null): string {
  const t = (text ?? "").trim();
  if (t === "") throw new InputError("enter a prefix or address, e.g. 192.0.2.0/24 or 2001:db8::1");
  const shown = JSON.stringify(t.length > 60 ? `${t.slice(0, 60)}…` : t);
  const slash = t.indexOf("/");
  const addr = slash < 0 ? t : t.slice(0, slash);
  const lenText = slash < 0 ? undefined : t.slice(slash + 1);
  const v4 = ipv4Bytes(addr) !== undefined;
  if (!v4 && !ipv6Valid(addr)) {
    throw new InputError(
      `not an IPv4 or IPv6 prefix or address: ${shown} (e.g. 192.0.2.0/24 or 2001:db8::1)`,
    );
  }
  if (lenText !== undefined) {
    const max = v4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) {
      throw new InputError(`bad prefix length in ${shown}: 0 to ${max} for IPv${v4 ? 4 : 6}`);
    }
  }
  return t;
}

/** The `match` of a lookup: `longest` (default), `exact` or `longer`. */
export type Match = "longest" | "exact" | "longer";

/** Checks a lookup's `match` parameter. @throws {InputError} for another value */
export function parseMatch(text: string | null): Match {
  const t = text ?? "longest";
  if (t === "longest" || t === "exact" || t === "longer") return t;
  throw new InputError(`match must be longest, exact or longer, not ${JSON.stringify(t)}`);
}

/**
 * A whole number parameter in `[min, max]`, or `fallback` when absent.
 *
 * @throws {InputError} for anything else
 */
export function parseCount(
  name: string,
  text: string | null,
  range: { min: number; max: number; fallback: number },
): number {
  if (text === null || text === "") return range.fallback;
  const n = Number(text);
  if (!/^\d{1,9}$/.test(text) || n < range.min || n > range.max) {
    throw new InputError(`${name} must be a whole number from ${range.min} to ${range.max}`);
  }
  return n;
}

/**
 * A `since` time for the churn page: an ISO date/time, or empty for all of the history.
 *
 * @throws {InputError} for text that is not a date
 */
export function parseSince(text: string | null): string | undefined {
  const t = (text ?? "").trim();
  if (t === "") return undefined;
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) {
    throw new InputError(`since must be a date such as 2026-12-01 or 2026-12-01T12:00Z`);
  }
  const d = new Date(t.length > 10 ? t.replace(" ", "T") : `${t}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) throw new InputError(`since: no such date ${JSON.stringify(t)}`);
  return d.toISOString();
}
