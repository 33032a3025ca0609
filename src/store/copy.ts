/**
 * PostgreSQL `COPY ... FROM STDIN` text format, written into one reused, growable buffer.
 *
 * ```text
 * row    = field ("\t" field)* "\n"
 * field  = "\N" (NULL) | text with "\\" "\t" "\n" "\r" escaped as \\ \t \n \r
 * array  = "{" elem ("," elem)* "}"   elem quoted ("...", with \" and \\) when it is empty,
 *          "NULL", or holds { } , " \ or white space; then escaped as a field
 * bytea  = "\\x" hex (the hex format's backslash escaped for COPY)
 * ```
 *
 * Strings are written as UTF-8. A lone UTF-16 surrogate becomes U+FFFD, as `TextEncoder`
 * does. PostgreSQL `text` cannot hold U+0000, so a NUL character in a decoded string is
 * stored as U+FFFD (the replacement character that already marks undecodable bytes);
 * every other string round-trips byte for byte.
 *
 * @module
 */

import type { Writable } from "node:stream";

const BACKSLASH = 0x5c;
const TAB = 0x09;
const NEWLINE = 0x0a;
const HEX = new TextEncoder().encode("0123456789abcdef");

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
 * import { arrayElement } from "./copy.ts";
 * if (arrayElement("65000:1") !== "65000:1") throw new Error("unexpected");
 * if (arrayElement('a"b') !== '"a\\"b"') throw new Error("unexpected");
 * if (arrayElement("null") !== '"null"') throw new Error("unexpected");
 * ```
 */
export function arrayElement(s: string): string {
  if (s.length > 0 && !ARRAY_SPECIAL.test(s) && s.toLowerCase() !== "null") return s;
  return '"' + s.replace(/["\\]/g, "\\$&") + '"';
}

/**
 * A PostgreSQL array literal of strings (`{a,"b c"}`), before COPY escaping.
 *
 * @example
 * ```ts
 * import { textArrayLiteral } from "./copy.ts";
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
 * import { jsonWithoutNul } from "./copy.ts";
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
 * import { withoutNul } from "./copy.ts";
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
 * Builds COPY text rows in one growable buffer that is reused batch after batch.
 *
 * Each field method writes the field separator itself; {@linkcode CopyBuffer.end} closes
 * the row.
 *
 * @example
 * ```ts
 * import { CopyBuffer } from "./copy.ts";
 * const b = new CopyBuffer(16);
 * b.int(1).text("a\tb").nul().textArray(["x", "y z"]).end();
 * if (new TextDecoder().decode(b.bytes()) !== '1\ta\\tb\t\\N\t{x,"y z"}\n') {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export class CopyBuffer {
  #buf: Uint8Array;
  #len = 0;
  #rowStart = true;
  #rows = 0;

  /** @param initialSize bytes allocated up front; the buffer doubles when full */
  constructor(initialSize = 1 << 20) {
    this.#buf = new Uint8Array(initialSize);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  /** Rows ended so far. */
  get rows(): number {
    return this.#rows;
  }

  /** Capacity of the underlying buffer. */
  get capacity(): number {
    return this.#buf.length;
  }

  /** The rows written, as a view on the buffer (valid until the next write or reset). */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  /** Forgets the rows, keeping the memory. */
  reset(): void {
    this.#len = 0;
    this.#rows = 0;
    this.#rowStart = true;
  }

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  #sep(): void {
    if (this.#rowStart) this.#rowStart = false;
    else {
      this.#ensure(1);
      this.#buf[this.#len++] = TAB;
    }
  }

  /** Ends the current row. */
  end(): this {
    this.#ensure(1);
    this.#buf[this.#len++] = NEWLINE;
    this.#rowStart = true;
    this.#rows++;
    return this;
  }

  /** A NULL field. */
  nul(): this {
    this.#ensure(3);
    const b = this.#buf;
    if (this.#rowStart) this.#rowStart = false;
    else b[this.#len++] = TAB;
    b[this.#len++] = BACKSLASH;
    b[this.#len++] = 0x4e; // N
    return this;
  }

  /** A text field, escaped; NULL for `undefined` or `null`. */
  text(s: string | null | undefined): this {
    if (s == null) return this.nul();
    this.#sep();
    this.#str(s);
    return this;
  }

  /**
   * A field whose text needs no escaping (digits, addresses, timestamps): written as
   * single bytes, one per UTF-16 unit. NULL for `undefined` or `null`.
   */
  raw(s: string | null | undefined): this {
    if (s == null) return this.nul();
    const n = s.length;
    this.#ensure(n + 1);
    const b = this.#buf;
    let p = this.#len;
    if (this.#rowStart) this.#rowStart = false;
    else b[p++] = TAB;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.#len = p;
    return this;
  }

  /** An integer or bigint field; NULL for `undefined` or `null`. */
  int(v: number | bigint | null | undefined): this {
    if (v == null) return this.nul();
    return this.raw(typeof v === "number" ? String(v) : v.toString());
  }

  /** A boolean field (`t`/`f`); NULL for `undefined` or `null`. */
  bool(v: boolean | null | undefined): this {
    if (v == null) return this.nul();
    this.#sep();
    this.#ensure(1);
    this.#buf[this.#len++] = v ? 0x74 : 0x66;
    return this;
  }

  /** An array of integers; NULL for `undefined` or `null`. */
  intArray(a: readonly (number | bigint)[] | null | undefined): this {
    if (a == null) return this.nul();
    return this.raw("{" + a.join(",") + "}");
  }

  /** An array of strings, elements quoted as needed; NULL for `undefined` or `null`. */
  textArray(a: readonly string[] | null | undefined): this {
    if (a == null) return this.nul();
    return this.text(textArrayLiteral(a));
  }

  /** A `json`/`jsonb` field from any JSON-serialisable value; NULL for `undefined`/`null`. */
  json(v: unknown): this {
    if (v == null) return this.nul();
    return this.text(jsonWithoutNul(JSON.stringify(v, bigintAsNumber)));
  }

  /** A `bytea` field in hex format; NULL for `undefined` or `null`. */
  bytea(v: Uint8Array | null | undefined): this {
    if (v == null) return this.nul();
    this.#sep();
    this.#ensure(3 + v.length * 2);
    const b = this.#buf;
    let p = this.#len;
    b[p++] = BACKSLASH;
    b[p++] = BACKSLASH;
    b[p++] = 0x78; // x
    for (let i = 0; i < v.length; i++) {
      b[p++] = HEX[v[i] >> 4];
      b[p++] = HEX[v[i] & 15];
    }
    this.#len = p;
    return this;
  }

  /**
   * Appends `src.bytes()[start, end)`, COPY text of whole fields, to the current row.
   * With {@linkcode CopyBuffer.length} taken before and after writing a row, this copies
   * a row into a second buffer without encoding it again.
   */
  appendFrom(src: CopyBuffer, start: number, end: number): this {
    this.#sep();
    this.#ensure(end - start);
    this.#buf.set(src.#buf.subarray(start, end), this.#len);
    this.#len += end - start;
    return this;
  }

  /** Appends bytes that already are COPY text (fields and separators) to the current row. */
  append(bytes: Uint8Array): this {
    this.#sep();
    this.#ensure(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
    return this;
  }

  #str(s: string): void {
    const n = s.length;
    // Worst case 3 bytes per UTF-16 unit (an escape is 2 bytes, a surrogate pair 4 for 2).
    this.#ensure(n * 3);
    const b = this.#buf;
    let p = this.#len;
    for (let i = 0; i < n; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        if (c === BACKSLASH) {
          b[p++] = BACKSLASH;
          b[p++] = BACKSLASH;
        } else if (c === TAB) {
          b[p++] = BACKSLASH;
          b[p++] = 0x74; // t
        } else if (c === NEWLINE) {
          b[p++] = BACKSLASH;
          b[p++] = 0x6e; // n
        } else if (c === 0x0d) {
          b[p++] = BACKSLASH;
          b[p++] = 0x72; // r
        } else if (c === 0) {
          b[p++] = 0xef; // U+FFFD
          b[p++] = 0xbf;
          b[p++] = 0xbd;
        } else b[p++] = c;
      } else if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 63);
      } else {
        if (c >= 0xd800 && c <= 0xdfff) {
          const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
          if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
            c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
            i++;
            b[p++] = 0xf0 | (c >> 18);
            b[p++] = 0x80 | ((c >> 12) & 63);
            b[p++] = 0x80 | ((c >> 6) & 63);
            b[p++] = 0x80 | (c & 63);
            continue;
          }
          c = 0xfffd;
        }
        b[p++] = 0xe0 | (c >> 12);
        b[p++] = 0x80 | ((c >> 6) & 63);
        b[p++] = 0x80 | (c & 63);
      }
    }
    this.#len = p;
  }
}

function bigintAsNumber(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? (v <= Number.MAX_SAFE_INTEGER ? Number(v) : v.toString()) : v;
}

/**
 * Writes `bytes` to a COPY IN stream in chunks, waiting for `drain` whenever the stream
 * reports backpressure.
 *
 * @param stream the writable returned by postgres.js `sql\`COPY ... FROM STDIN\`.writable()`
 * @param bytes COPY text rows (complete lines)
 * @param chunkSize largest piece handed to the stream at once
 */
export async function writeCopyData(
  stream: Writable,
  bytes: Uint8Array,
  chunkSize = 256 * 1024,
): Promise<void> {
  for (let off = 0; off < bytes.length; off += chunkSize) {
    const piece = bytes.subarray(off, Math.min(bytes.length, off + chunkSize));
    if (!stream.write(piece)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          stream.off("error", onError);
          resolve();
        };
        const onError = (e: unknown) => {
          stream.off("drain", onDrain);
          reject(e);
        };
        stream.once("drain", onDrain);
        stream.once("error", onError);
      });
    }
  }
}

/** A minimal query interface: postgres.js `sql`, reserved connections and transactions fit. */
export interface CopySql {
  unsafe(query: string): PromiseLike<unknown> & { writable(): Promise<Writable> };
}

/**
 * Ends a COPY IN stream and waits until the server has accepted the data.
 *
 * postgres.js 3.4 never settles a COPY stream the server rejects after `CopyDone`
 * (porsager/postgres#1173): its end callback is not called and the server error is
 * dropped. So an empty probe query goes on the same connection behind the COPY: it has
 * no CommandComplete, which would run the stale callback, so when the probe has answered
 * and the end callback has not run, the COPY failed.
 *
 * @throws {Error} "Cannot COPY into TARGET: ..." when the server rejected the data
 */
export async function endCopy(stream: Writable, sql: CopySql, target = "table"): Promise<void> {
  let ended = false;
  let streamError: unknown;
  stream.once("error", (e) => streamError = e);
  // postgres.js sends CopyDone from the stream's final hook and refuses queries on the
  // connection until then: the probe may go once that hook has run.
  const s = stream as unknown as { _final(cb: (e?: Error) => void): void };
  const final = s._final;
  const finalRan = new Promise<void>((resolve) => {
    s._final = (cb) => {
      final.call(stream, cb);
      resolve();
    };
  });
  stream.end(() => ended = true);
  await Promise.race([finalRan, new Promise((r) => stream.once("error", r))]);
  let probeError: unknown;
  try {
    await sql.unsafe("");
  } catch (e) {
    probeError = e;
  }
  // The end callback runs from a stream event; give it a turn of the event loop.
  if (!ended) await new Promise((r) => setTimeout(r, 0));
  if (ended && !streamError && !probeError) return;
  const cause = streamError ?? probeError;
  const detail = streamError instanceof Error
    ? streamError.message
    : "the server rejected the data (postgres.js does not pass its error on)";
  throw new Error(`Cannot COPY into ${target}: ${detail}`, { cause });
}

/**
 * Runs `COPY <target> FROM STDIN` on `sql` with the rows of `buf`.
 *
 * @param sql a postgres.js reserved connection or transaction; given a pool, a
 *   connection is reserved for the COPY (the probe of {@linkcode endCopy} must follow the
 *   COPY on its connection)
 * @param target table and column list, e.g. `route_history (time, peer_id)`
 * @param buf the rows (nothing is sent when it is empty)
 * @throws {Error} "Cannot COPY into TARGET: ..." when the server rejects a row
 */
export async function copyIn(sql: CopySql, target: string, buf: CopyBuffer): Promise<void> {
  if (buf.length === 0) return;
  const pool = sql as CopySql & {
    reserve?: () => Promise<CopySql & { release(): void }>;
    release?: unknown;
    savepoint?: unknown;
  };
  if (typeof pool.reserve === "function" && !pool.release && !pool.savepoint) {
    const conn = await pool.reserve();
    try {
      return await copyIn(conn, target, buf);
    } finally {
      conn.release();
    }
  }
  const stream = await sql.unsafe(`COPY ${target} FROM STDIN`).writable();
  await writeCopyData(stream, buf.bytes());
  await endCopy(stream, sql, target);
}
