/**
 * PostgreSQL text forms: array literals, and the U+0000 that PostgreSQL `text` and
 * `jsonb` cannot hold. A NUL character in a decoded string is stored as U+FFFD (the
 * replacement character that already marks undecodable bytes); every other string
 * round-trips byte for byte.
 *
 * ```text
 * array  = "{" elem ("," elem)* "}"   elem quoted ("...", with \" and \\) when it is empty,
 *          "NULL", or holds { } , " \ or white space
 * ```
 *
 * @module
 */

import type { BmpMessage } from "../bmp/message.ts";

/** Characters that force quoting of an array element (besides an empty or NULL element). */
const ARRAY_SPECIAL = /[{}",\\\s]/;

/**
 * Quotes one element of a PostgreSQL array literal when it needs it.
 *
 * @param s the element
 * @returns `s`, or `"s"` with `"` and `\` backslash-escaped
 *
 * @example
 * ```ts
 * import { arrayElement } from "./pg_text.ts";
 * if (arrayElement("65000:1") !== "65000:1") throw new Error("unexpected");
 * if (arrayElement('a"b') !== '"a\\"b"') throw new Error("unexpected");
 * if (arrayElement("null") !== '"null"') throw new Error("unexpected");
 * ```
 */
export function arrayElement(s: string): string {
  if (isPlainElement(s)) return s;
  return '"' + s.replace(/["\\]/g, "\\$&") + '"';
}

/**
 * Whether `s` goes into an array literal unquoted: not empty, not `NULL` in any case, and
 * without the characters of {@linkcode ARRAY_SPECIAL}. ASCII is checked by code (no regular
 * expression or lower-case copy per element); other text by the expression.
 *
 * @example
 * ```ts
 * import { isPlainElement } from "./pg_text.ts";
 * if (!isPlainElement("65000:1") || isPlainElement("a b") || isPlainElement("Null")) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export function isPlainElement(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  if (n === 4 && s.toLowerCase() === "null") return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return !ARRAY_SPECIAL.test(s);
    // { } " , \ and the ASCII white space of \s: space, \t \n \v \f \r.
    if (
      c === 0x7b || c === 0x7d || c === 0x22 || c === 0x2c || c === 0x5c || c === 0x20 ||
      (c >= 0x09 && c <= 0x0d)
    ) return false;
  }
  return true;
}

/**
 * A PostgreSQL array literal of strings (`{a,"b c"}`), before COPY escaping.
 *
 * @example
 * ```ts
 * import { textArrayLiteral } from "./pg_text.ts";
 * if (textArrayLiteral(["a", "b c"]) !== '{a,"b c"}') throw new Error("unexpected");
 * ```
 */
export function textArrayLiteral(a: readonly string[]): string {
  let s = "{";
  for (let i = 0; i < a.length; i++) s += (i ? "," : "") + arrayElement(a[i]);
  return s + "}";
}

/**
 * Replaces the JSON escape `\u0000` (which `jsonb` rejects) by `\ufffd`, leaving an
 * escaped backslash followed by `u0000` alone.
 *
 * @example
 * ```ts
 * import { jsonWithoutNul } from "./pg_text.ts";
 * if (jsonWithoutNul(JSON.stringify("a\0b")) !== '"a\\ufffdb"') throw new Error("unexpected");
 * if (jsonWithoutNul(JSON.stringify("\\u0000")) !== '"\\\\u0000"') throw new Error("unexpected");
 * ```
 */
export function jsonWithoutNul(json: string): string {
  if (!json.includes("\\u0000")) return json;
  return json.replace(
    /(\\+)u0000/g,
    (m, bs: string) => bs.length % 2 === 1 ? bs.slice(0, -1) + "\\ufffd" : m,
  );
}

/**
 * `v` with U+0000 replaced by U+FFFD in every string it holds (plain objects and arrays
 * are walked; other values are kept). What COPY does for text, for the values that go to
 * PostgreSQL as statement parameters or `jsonb`. Copies only what changes: without a NUL,
 * `v` itself comes back.
 *
 * @example
 * ```ts
 * import { withoutNul } from "./pg_text.ts";
 * const m = { name: "a\0b", n: 1n, list: ["ok"] };
 * const c = withoutNul(m);
 * if (c.name !== "a\ufffdb" || c.list !== m.list || withoutNul(c) !== c) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export function withoutNul<T>(v: T): T {
  if (typeof v === "string") return (v.includes("\0") ? v.replaceAll("\0", "\ufffd") : v) as T;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = withoutNul(v[i]);
      if (x !== v[i]) (out ??= v.slice())[i] = x;
    }
    return (out ?? v) as T;
  }
  if (v === null || typeof v !== "object" || Object.getPrototypeOf(v) !== Object.prototype) {
    return v;
  }
  let out: Record<string, unknown> | undefined;
  for (const [k, x] of Object.entries(v)) {
    const y = withoutNul(x);
    if (y !== x) (out ??= { ...v } as Record<string, unknown>)[k] = y;
  }
  return (out ?? v) as T;
}

/**
 * A BMP message as the store takes it: PostgreSQL text and `jsonb` cannot hold U+0000, so
 * its strings go in with U+FFFD instead (the mapping COPY uses). Route Monitoring carries
 * strings only in its BMPv4 TLVs, so its routes are not walked.
 */
export function storable(m: BmpMessage): BmpMessage {
  if (m.kind !== "route_monitoring") return withoutNul(m);
  return m.tlvs ? { ...m, tlvs: withoutNul(m.tlvs) } : m;
}
