/**
 * The spool: an append-only, checksummed log of what routers sent, in arrival order,
 * split into segment files under `DATA_DIR/spool/`.
 *
 * ```text
 * segment = record*            named after its first sequence number: 0000000000000042.spool
 * record  = u32 payload length, u32 CRC-32 of payload, payload
 * payload = u8 type, f64 seq, f64 time (ms since epoch), f64 connection, body
 * ```
 *
 * Records are buffered and written by one `write()` per flush (at the latest at the end
 * of the current task), so a killed process loses nothing it had read; `fsync` is
 * {@linkcode FsyncPolicy} (a power loss may lose the last interval). Opening a spool
 * checks every record and cuts each segment at its first damaged one (a torn last write).
 *
 * @module
 */

import { crc32 } from "./crc32.ts";

/** What a record holds. */
export const RecordType = {
  /** A router connected; body: JSON `{address, port}`; `conn` = this record's seq. */
  ConnUp: 1,
  /** A BMP message (whole, with its common header). */
  Message: 2,
  /** A router's connection ended; body: the reason, UTF-8. */
  ConnDown: 3,
  /** A message that rebuilds decoding state (a Peer Up) of a connection that began in an
   * earlier segment; written at the start of each segment, not stored again. */
  State: 4,
} as const;

/** One record. */
export interface SpoolRecord {
  type: number;
  seq: number;
  time: number;
  conn: number;
  body: Uint8Array;
}

/** When the spool calls fsync: every flush, once per interval, or never (the OS decides). */
export type FsyncPolicy = "always" | "interval" | "never";

/** Options of {@linkcode SpoolLog.open}. */
export interface SpoolLogOptions {
  /** Start a new segment after this many bytes (default 64 MiB). */
  segmentBytes?: number;
  fsync?: FsyncPolicy;
  /** Interval of the "interval" policy, ms (default 1000). */
  fsyncMs?: number;
  /** Called when a damaged record is cut off at open. */
  onDamage?: (file: string, offset: number, lostBytes: number) => void;
}

const HEADER = 8;
const FIXED = 25;
const SUFFIX = ".spool";

interface Segment {
  firstSeq: number;
  path: string;
  bytes: number;
}

/** An open spool directory. */
export class SpoolLog {
  readonly dir: string;
  readonly #segments: Segment[];
  readonly #segmentBytes: number;
  readonly #fsync: FsyncPolicy;
  #file: Deno.FsFile;
  #nextSeq: number;
  #buf = new Uint8Array(1 << 16);
  #len = 0;
  #scheduled = false;
  #dirty = false;
  #closed = false;
  #syncTimer?: ReturnType<typeof setInterval>;
  /** Called after a new segment is started, to append the records it must begin with. */
  onRotate?: () => void;

  private constructor(dir: string, segments: Segment[], nextSeq: number, opts: SpoolLogOptions) {
    this.dir = dir;
    this.#segments = segments;
    this.#nextSeq = nextSeq;
    this.#segmentBytes = opts.segmentBytes ?? 64 << 20;
    this.#fsync = opts.fsync ?? "interval";
    this.#file = Deno.openSync(segments.at(-1)!.path, { append: true });
    if (this.#fsync === "interval") {
      const timer = setInterval(() => this.sync(), opts.fsyncMs ?? 1000);
      Deno.unrefTimer(timer);
      this.#syncTimer = timer;
    }
  }

  /** Opens (or creates) the spool in `dir`, checking and repairing every segment. */
  static open(dir: string, opts: SpoolLogOptions = {}): SpoolLog {
    Deno.mkdirSync(dir, { recursive: true });
    const segments: Segment[] = [];
    for (const e of Deno.readDirSync(dir)) {
      if (!e.isFile || !e.name.endsWith(SUFFIX)) continue;
      const firstSeq = Number(e.name.slice(0, -SUFFIX.length));
      if (Number.isSafeInteger(firstSeq)) {
        segments.push({ firstSeq, path: `${dir}/${e.name}`, bytes: 0 });
      }
    }
    segments.sort((a, b) => a.firstSeq - b.firstSeq);
    let nextSeq = 1;
    for (const s of segments) {
      const { bytes, lastSeq } = checkSegment(s.path, opts.onDamage);
      s.bytes = bytes;
      // An empty segment still says where numbering goes on (a spool emptied at shutdown).
      nextSeq = Math.max(nextSeq, s.firstSeq, lastSeq + 1);
    }
    if (segments.length === 0 || segments.at(-1)!.bytes > 0) {
      const s = { firstSeq: nextSeq, path: segmentPath(dir, nextSeq), bytes: 0 };
      Deno.writeFileSync(s.path, new Uint8Array(0));
      segments.push(s);
    }
    return new SpoolLog(dir, segments, nextSeq, opts);
  }

  /** Sequence number the next record gets. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Sequence number of the oldest record kept (or {@linkcode nextSeq} when empty). */
  get firstSeq(): number {
    return this.#segments[0].firstSeq;
  }

  /** Bytes of all segments, including records not yet written. */
  get bytes(): number {
    let n = this.#len;
    for (const s of this.#segments) n += s.bytes;
    return n;
  }

  /** Number of segment files. */
  get segments(): number {
    return this.#segments.length;
  }

  /** Appends a record; returns its sequence number. */
  append(type: number, time: number, conn: number, body: Uint8Array): number {
    if (this.#closed) throw new Error("Cannot append to the spool: it is closed");
    const seq = this.#nextSeq++;
    const size = HEADER + FIXED + body.length;
    if (this.#len + size > this.#buf.length) {
      const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + size));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    const at = this.#len;
    const v = new DataView(this.#buf.buffer, at, size);
    v.setUint32(0, FIXED + body.length);
    v.setUint8(8, type);
    v.setFloat64(9, seq);
    v.setFloat64(17, time);
    v.setFloat64(25, conn);
    this.#buf.set(body, at + HEADER + FIXED);
    v.setUint32(4, crc32(this.#buf, at + HEADER, at + size));
    this.#len += size;
    if (this.#len >= 1 << 20) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
    return seq;
  }

  /** Writes buffered records to the current segment; starts a new one when it is full. */
  flush(): void {
    this.#scheduled = false;
    if (this.#len === 0 || this.#closed) return;
    const seg = this.#segments.at(-1)!;
    for (let off = 0; off < this.#len;) {
      off += this.#file.writeSync(this.#buf.subarray(off, this.#len));
    }
    seg.bytes += this.#len;
    this.#len = 0;
    this.#dirty = true;
    if (this.#fsync === "always") this.sync();
    if (seg.bytes >= this.#segmentBytes) {
      this.#startSegment();
      this.onRotate?.();
    }
  }

  #startSegment(): void {
    this.sync();
    this.#file.close();
    const next = { firstSeq: this.#nextSeq, path: segmentPath(this.dir, this.#nextSeq), bytes: 0 };
    this.#file = Deno.openSync(next.path, { append: true, create: true });
    this.#segments.push(next);
  }

  /** Numbers the next record `seq` at least (a database has seen numbers up to `seq - 1`). */
  advanceTo(seq: number): void {
    if (seq > this.#nextSeq) this.#nextSeq = seq;
  }

  /** Deletes every record (all were applied): only an empty segment is left. */
  clear(): void {
    this.flush();
    const last = this.#segments.at(-1)!;
    if (last.bytes > 0 || last.firstSeq < this.#nextSeq) this.#startSegment();
    this.deleteBefore(this.#nextSeq);
  }

  /** fsyncs the current segment if it was written since the last sync. */
  sync(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    this.#file.syncDataSync();
  }

  /**
   * Deletes the segments whose records all have a sequence number below `seq`.
   *
   * @returns how many were deleted
   */
  deleteBefore(seq: number): number {
    let n = 0;
    while (this.#segments.length > 1 && this.#segments[1].firstSeq <= seq) {
      Deno.removeSync(this.#segments.shift()!.path);
      n++;
    }
    return n;
  }

  /** Reads records from sequence number `fromSeq` on, including ones appended later. */
  cursor(fromSeq = this.firstSeq): SpoolCursor {
    return new SpoolCursor(this, fromSeq);
  }

  /** @internal the segment holding `seq` (or the first after it), for cursors. */
  segmentFor(seq: number): { path: string; firstSeq: number } | undefined {
    const segs = this.#segments;
    for (let i = segs.length - 1; i >= 0; i--) if (segs[i].firstSeq <= seq) return segs[i];
    return segs[0];
  }

  /** @internal the segment after the one starting at `firstSeq`. */
  segmentAfter(firstSeq: number): { path: string; firstSeq: number } | undefined {
    return this.#segments.find((s) => s.firstSeq > firstSeq);
  }

  /** Flushes, syncs and closes the current segment. */
  close(): void {
    if (this.#closed) return;
    clearInterval(this.#syncTimer);
    this.flush();
    this.sync();
    this.#file.close();
    this.#closed = true;
  }
}

/** Reads a spool's records in order, following new segments as they appear. */
export class SpoolCursor {
  readonly #log: SpoolLog;
  #seg?: { path: string; firstSeq: number };
  #file?: Deno.FsFile;
  #buf = new Uint8Array(1 << 20);
  #start = 0;
  #end = 0;
  #from: number;

  constructor(log: SpoolLog, fromSeq: number) {
    this.#log = log;
    this.#from = fromSeq;
    this.#seg = log.segmentFor(fromSeq);
  }

  /** The next record, or null when every record appended so far has been read. */
  next(): SpoolRecord | null {
    this.#log.flush();
    for (;;) {
      const r = this.#parse();
      if (r) {
        if (r.seq < this.#from) continue;
        return r;
      }
      if (this.#fill()) continue;
      // End of this segment: go on only if a newer one exists (this one is then complete).
      const after = this.#seg && this.#log.segmentAfter(this.#seg.firstSeq);
      if (!after) return null;
      this.#file?.close();
      this.#file = undefined;
      this.#seg = after;
      this.#start = this.#end = 0;
    }
  }

  /** Skips, from now on, records numbered below `seq` (never goes back). */
  skipTo(seq: number): void {
    if (seq > this.#from) this.#from = seq;
  }

  /** Releases the open segment file. */
  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }

  #parse(): SpoolRecord | null {
    const avail = this.#end - this.#start;
    if (avail < HEADER) return null;
    const v = new DataView(this.#buf.buffer, this.#start);
    const len = v.getUint32(0);
    if (avail < HEADER + len) return null;
    const p = this.#start + HEADER;
    const r: SpoolRecord = {
      type: v.getUint8(8),
      seq: v.getFloat64(9),
      time: v.getFloat64(17),
      conn: v.getFloat64(25),
      body: this.#buf.slice(p + FIXED, p + len),
    };
    this.#start += HEADER + len;
    return r;
  }

  /** Reads more of the current segment; false when nothing more is there now. */
  #fill(): boolean {
    if (!this.#seg) return false;
    if (!this.#file) {
      try {
        this.#file = Deno.openSync(this.#seg.path, { read: true });
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return false;
        throw e;
      }
    }
    if (this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buf.length) {
      // A record larger than the buffer: grow to hold it.
      const grown = new Uint8Array(this.#buf.length * 2);
      grown.set(this.#buf);
      this.#buf = grown;
    }
    const n = this.#file.readSync(this.#buf.subarray(this.#end));
    if (!n) return false;
    this.#end += n;
    return true;
  }
}

function segmentPath(dir: string, firstSeq: number): string {
  return `${dir}/${String(firstSeq).padStart(16, "0")}${SUFFIX}`;
}

/** Checks every record of a segment; truncates at the first damaged or partial one. */
function checkSegment(
  path: string,
  onDamage?: (file: string, offset: number, lostBytes: number) => void,
): { bytes: number; lastSeq: number } {
  const data = Deno.readFileSync(path);
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  let lastSeq = 0;
  while (off + HEADER + FIXED <= data.length) {
    const len = v.getUint32(off);
    if (len < FIXED || off + HEADER + len > data.length) break;
    if (crc32(data, off + HEADER, off + HEADER + len) !== v.getUint32(off + 4)) break;
    lastSeq = v.getFloat64(off + 9);
    off += HEADER + len;
  }
  if (off < data.length) {
    onDamage?.(path, off, data.length - off);
    Deno.truncateSync(path, off);
  }
  return { bytes: off, lastSeq };
}
