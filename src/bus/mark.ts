/**
 * The bus mark: how far the spool is published and acked, kept in `DATA_DIR/bus/mark.json`
 * so that a restart resumes after it.
 *
 * ```text
 * {"seq": 1234,                       every spool record up to 1234 is acked by JetStream
 *  "routers": {"192_0_2_1": 812},     the last Bmp-Router-Seq per router subject at that point
 *  "sysNames": {"17": "r1.lab"},      sysName per spool connection still open at that point
 *  "offsets": {"17": 52311}}          BUS_PARSED: where each open connection's stream was
 * ```
 *
 * Written to a temporary file and renamed, so a crash leaves the old mark or the new one.
 * The spool keeps every record after the mark written (not only after the last ack), so
 * the records a restart reads again are all there and get the same router sequence
 * numbers; JetStream drops the ones it already has (same msgID, duplicate window).
 *
 * @module
 */

/** What the mark file holds. */
export interface BusMark {
  seq: number;
  routers: Record<string, number>;
  sysNames: Record<string, string>;
  /** Byte offset, per open connection, after its last message acked (parsed.ts). */
  offsets?: Record<string, number>;
}

/**
 * The mark of `seq`: each router's last sequence number acked, each open connection's
 * sysName (and stream offset, when parsed messages are published).
 */
export function markOf(
  seq: number,
  acked: Map<string, number>,
  sysNames: Map<number, string>,
  offsets?: Map<number, number>,
): BusMark {
  const byConn = <T>(m: Map<number, T>) =>
    Object.fromEntries([...m].map(([k, v]) => [String(k), v]));
  const mark: BusMark = { seq, routers: Object.fromEntries(acked), sysNames: byConn(sysNames) };
  if (offsets) mark.offsets = byConn(offsets);
  return mark;
}

/** The mark file's path under `dataDir`. */
export function markPath(dataDir: string): string {
  return `${dataDir}/bus/mark.json`;
}

/** Reads the mark (none yet: seq 0). */
export function readMark(path: string): BusMark {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { seq: 0, routers: {}, sysNames: {} };
    throw e;
  }
  const v = JSON.parse(text);
  if (!Number.isSafeInteger(v?.seq) || typeof v.routers !== "object") {
    throw new Error(`Cannot read bus mark ${path}: not a mark file`);
  }
  return { seq: v.seq, routers: v.routers ?? {}, sysNames: v.sysNames ?? {}, offsets: v.offsets };
}

/** Writes the mark atomically (temporary file, fsync, rename). */
export function writeMark(path: string, mark: BusMark): void {
  const dir = path.slice(0, path.lastIndexOf("/"));
  Deno.mkdirSync(dir, { recursive: true });
  const tmp = `${path}.tmp`;
  const f = Deno.openSync(tmp, { write: true, create: true, truncate: true });
  try {
    const data = new TextEncoder().encode(JSON.stringify(mark));
    for (let off = 0; off < data.length;) off += f.writeSync(data.subarray(off));
    f.syncDataSync();
  } finally {
    f.close();
  }
  Deno.renameSync(tmp, path);
}
