/**
 * PostgreSQL `COPY ... FROM STDIN` text format, written into one reused, growable buffer.
 *
 * ```text
 * row    = field ("\t" field)* "\n"
 * field  = "\N" (NULL) | text with "\\" "\t" "\n" "\r" escaped as \\ \t \n \r
 * array  = an array literal of `pg_text.ts`, then escaped as a field
 * bytea  = "\\x" hex (the hex format's backslash escaped for COPY)
 * ```
 *
 * Strings are written as UTF-8. A lone UTF-16 surrogate becomes U+FFFD, as `TextEncoder`
 * does. A NUL character becomes U+FFFD too (`pg_text.ts`); every other string round-trips
 * byte for byte.
 *
 * @module
 */

import { isPlainElement, jsonWithoutNul, textArrayLiteral } from "./pg_text.ts";

const BACKSLASH = 0x5c;
const TAB = 0x09;
const NEWLINE = 0x0a;
const HEX = new TextEncoder().encode("0123456789abcdef");

/**
 * Builds COPY text rows in one growable buffer that is reused batch after batch.
 *
 * Each field method writes the field separator itself; {@linkcode CopyBuffer.end} closes
 * the row.
 *
 * @example
 * ```ts
 * import { CopyBuffer } from "./copy_buffer.ts";
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
    // Most fields are small non-negative integers (ids, families, ASNs): their digits go
    // straight into the buffer, with no string per field.
    if (typeof v === "number" && v >= 0 && v <= 0xffffffff && v === Math.floor(v)) {
      this.#ensure(11);
      const b = this.#buf;
      let p = this.#len;
      if (this.#rowStart) this.#rowStart = false;
      else b[p++] = TAB;
      let n = 1;
      for (let x = v; x >= 10; x = Math.floor(x / 10)) n++;
      p += n;
      for (let i = 1, x = v; i <= n; i++, x = Math.floor(x / 10)) b[p - i] = 0x30 + x % 10;
      this.#len = p;
      return this;
    }
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
    for (let i = 0; i < a.length; i++) {
      if (!isPlainElement(a[i])) return this.text(textArrayLiteral(a));
    }
    // No element needs quoting (communities and the like): written as they are, with no
    // literal string built first.
    this.#sep();
    this.#ensure(1);
    this.#buf[this.#len++] = 0x7b; // {
    for (let i = 0; i < a.length; i++) {
      if (i) {
        this.#ensure(1);
        this.#buf[this.#len++] = 0x2c; // ,
      }
      this.#str(a[i]);
    }
    this.#ensure(1);
    this.#buf[this.#len++] = 0x7d; // }
    return this;
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
