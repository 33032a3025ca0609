/**
 * PostgreSQL frontend/backend protocol 3 framing, as far as the embedded store's server
 * needs it: splitting a client's byte stream into messages, building a few messages,
 * reading the transaction status of the last ReadyForQuery, and giving a client's
 * prepared statements and portals names of their own in the shared session.
 *
 * @module
 */

/** Codes of the untyped messages a client may open a connection with. */
export const PROTOCOL_3 = 196608;
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Joins byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A typed message: type byte, int32 length (itself included), body. */
export function message(type: string, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const m = new Uint8Array(5 + body.length);
  m[0] = type.charCodeAt(0);
  new DataView(m.buffer).setInt32(1, 4 + body.length);
  m.set(body, 5);
  return m;
}

/** A simple Query message. */
export function query(sql: string): Uint8Array {
  return message("Q", enc.encode(sql + "\0"));
}

/** CopyInResponse: text or binary, no per-column formats (clients do not read them). */
export function copyInResponse(binary: boolean): Uint8Array {
  return message("G", new Uint8Array([binary ? 1 : 0, 0, 0]));
}

/** CopyFail with a reason. */
export function copyFail(reason: string): Uint8Array {
  return message("f", enc.encode(reason + "\0"));
}

/** An ErrorResponse: severity, SQLSTATE, message. */
export function errorResponse(severity: string, code: string, text: string): Uint8Array {
  return message("E", enc.encode(`S${severity}\0V${severity}\0C${code}\0M${text}\0\0`));
}

/**
 * Length of the complete message at `buf[off]`: typed when `typed`, else a startup-phase
 * message (int32 length first). 0 when more bytes are needed; -1 when the length is bad.
 */
export function messageLength(buf: Uint8Array, off: number, typed: boolean): number {
  const head = typed ? 5 : 4;
  if (buf.length - off < head) return 0;
  const v = new DataView(buf.buffer, buf.byteOffset + off);
  const len = typed ? 1 + v.getInt32(1) : v.getInt32(0);
  if (len < head - (typed ? 1 : 0) || len > 1 << 30) return -1;
  return buf.length - off >= len ? len : 0;
}

/** The int32 code of a startup-phase message (protocol version or request code). */
export function startupCode(m: Uint8Array): number {
  return new DataView(m.buffer, m.byteOffset).getInt32(4);
}

/** The SQL text of a Query message. */
export function queryText(m: Uint8Array): string {
  return dec.decode(m.subarray(5, m.length - 1));
}

/** Types of the backend messages in `out`, with their offsets. */
function* backendMessages(out: Uint8Array): Generator<[type: number, off: number, len: number]> {
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let off = 0; off + 5 <= out.length;) {
    const len = 1 + v.getInt32(off + 1);
    yield [out[off], off, len];
    off += len;
  }
}

/**
 * The transaction status of the last ReadyForQuery in `out`: "I" idle, "T" in a
 * transaction, "E" in a failed one; undefined when there is none.
 */
export function readyStatus(out: Uint8Array): string | undefined {
  let status: number | undefined;
  for (const [type, off] of backendMessages(out)) {
    if (type === 0x5a) status = out[off + 5];
  }
  return status === undefined ? undefined : String.fromCharCode(status);
}

/** `out` without its first message of `type` (the real CopyInResponse, already sent). */
export function withoutFirst(out: Uint8Array, type: string): Uint8Array {
  const t = type.charCodeAt(0);
  for (const [ty, off, len] of backendMessages(out)) {
    if (ty === t) return concat([out.subarray(0, off), out.subarray(off + len)]);
  }
  return out;
}

function cstring(m: Uint8Array, off: number): [string, number] {
  const end = m.indexOf(0, off);
  if (end < 0) throw new RangeError("Cannot read a protocol string: no NUL");
  return [dec.decode(m.subarray(off, end)), end + 1];
}

/**
 * Renames a client's prepared statements and portals in Parse, Bind, Describe, Close and
 * Execute messages: a non-empty name N becomes `prefix + N`, so that clients sharing one
 * session cannot see or clash with each other's names. Other messages come back as they
 * are.
 *
 * @returns the message and, for Parse and Close of a statement, the statement's new name
 */
export function renameObjects(
  m: Uint8Array,
  prefix: string,
): { message: Uint8Array; parsed?: string; closed?: string } {
  const type = String.fromCharCode(m[0]);
  const names: number[] = []; // how many names, after `skip` bytes
  let skip = 0;
  if (type === "P" || type === "E") names.push(1);
  else if (type === "B") names.push(2);
  else if (type === "D" || type === "C") {
    skip = 1;
    names.push(1);
  } else return { message: m };
  let off = 5 + skip;
  const parts: Uint8Array[] = [m.subarray(5, off)];
  const renamed: string[] = [];
  for (let i = 0; i < names[0]; i++) {
    const [name, next] = cstring(m, off);
    const n = name === "" ? "" : prefix + name;
    renamed.push(n);
    parts.push(enc.encode(n + "\0"));
    off = next;
  }
  parts.push(m.subarray(off));
  const out = message(type, concat(parts));
  if (type === "P" && renamed[0]) return { message: out, parsed: renamed[0] };
  if (type === "C" && m[5] === 0x53 && renamed[0]) return { message: out, closed: renamed[0] };
  return { message: out };
}

/** A Close message for the prepared statement `name`. */
export function closeStatement(name: string): Uint8Array {
  return message("C", concat([new Uint8Array([0x53]), enc.encode(name + "\0")]));
}

const NAME = String.raw`(?:"(?:[^"]|"")*"|[\p{L}_][\p{L}\p{N}_$]*)`;
/** `COPY table [(columns)] FROM STDIN`: a table (maybe schema-qualified), never a query. */
const COPY_FROM_STDIN = new RegExp(
  String.raw`^\s*copy\s+${NAME}(?:\s*\.\s*${NAME})?\s*(?:\([^)]*\))?\s*from\s+stdin\b`,
  "iu",
);

/** Whether a simple query starts a `COPY ... FROM STDIN`, and in binary format. */
export function copyFromStdin(sql: string): { binary: boolean } | undefined {
  const s = sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, " ");
  if (!COPY_FROM_STDIN.test(s)) return undefined;
  return { binary: /\bformat\s+'?binary\b|\b(with|stdin)\s+binary\b/i.test(s) };
}
