/**
 * Where `bmpmon consume` resumes reading the stream (`DATA_DIR/consume/<stream>.json`).
 *
 * The database decides what is stored, not this file: the consumer hands the writer
 * each message with its stream sequence number, and the writer's spool marks
 * (src/store/spool_marks.ts) skip what was committed before. The file only saves reading
 * the stream from its first message after a restart. It names a sequence number no
 * higher than the first message of every connection still open (their Peer Ups must be
 * decoded again) and the lowest one whose rows are not all committed; both only grow, so
 * a file written a second before a crash is still a safe place to start.
 *
 * @module
 */

/** The file's contents. */
export interface ConsumePosition {
  /** First stream sequence number to read again. */
  seq: number;
  /**
   * The spool marks' source of the member that wrote it (src/bus/membership.ts); absent
   * in files written before there were several members.
   */
  source?: string;
}

/** The position file `name` (src/bus/membership.ts positionName) under `dataDir`. */
export function positionPath(dataDir: string, name: string): string {
  return `${dataDir}/consume/${name}`;
}

/**
 * The saved position, or sequence 1 (the stream's start) without a readable file;
 * `found` says whether there was one.
 */
export function readPosition(path: string): ConsumePosition & { found: boolean } {
  try {
    const p = JSON.parse(Deno.readTextFileSync(path));
    if (Number.isSafeInteger(p.seq) && p.seq >= 1) {
      return {
        seq: p.seq,
        source: typeof p.source === "string" ? p.source : undefined,
        found: true,
      };
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound) && !(e instanceof SyntaxError)) throw e;
  }
  return { seq: 1, found: false };
}

/** Saves the position (write to a temporary file, then rename: never half a file). */
export function writePosition(path: string, p: ConsumePosition): void {
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  const tmp = `${path}.tmp`;
  Deno.writeTextFileSync(tmp, JSON.stringify(p));
  Deno.renameSync(tmp, path);
}
