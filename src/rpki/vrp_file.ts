/**
 * `RPKI_VRP_FILE`: the VRP JSON that rpki-client (`json`), Routinator (`--format json`)
 * and stayrtr read, as a source of its own (`file:PATH`):
 *
 * ```json
 * {"roas": [{"prefix": "192.0.2.0/24", "maxLength": 24, "asn": "AS64496", "ta": "arin"}]}
 * ```
 *
 * `asn` may be `"AS64496"`, `"64496"` or `64496`. A malformed entry is skipped and
 * counted; a file that is not such JSON at all keeps the previous set in use (state
 * `error`), since an empty set would turn every invalid route into `not-found`.
 *
 * The file is re-read when its modification time or size changes, polled every 5 s with
 * `Deno.stat`, not `Deno.watchFs`: validators replace the file by a rename, which ends an
 * inotify watch on the old inode, and a watch does not work over NFS or some bind
 * mounts. One `stat` per 5 s costs nothing.
 *
 * @module
 */

import { parsePrefix, prefixOf, type Vrp, vrpKey, vrpProblem } from "./vrp.ts";

/** A parsed VRP file. */
export interface VrpFile {
  vrps: Vrp[];
  /** Entries skipped as malformed, and the first few reasons. */
  skipped: number;
  problems: string[];
}

function asnOf(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^(AS)?\d{1,10}$/i.test(v.trim())) {
    return Number(v.trim().replace(/^AS/i, ""));
  }
  return NaN;
}

/**
 * Parses the JSON text of a VRP file. Duplicates (one VRP from two trust anchors) count
 * once.
 *
 * @throws {SyntaxError} when the text is not JSON with a `roas` array
 *
 * @example
 * ```ts
 * import { parseVrpFile } from "./vrp_file.ts";
 * const f = parseVrpFile('{"roas":[{"prefix":"192.0.2.0/24","maxLength":24,"asn":"AS64496"},' +
 *   '{"prefix":"2001:DB8::/32","maxLength":48,"asn":64497},{"prefix":"x","asn":1}]}');
 * if (f.vrps.length !== 2 || f.vrps[1].prefix !== "2001:db8::/32" || f.skipped !== 1) {
 *   throw new Error(JSON.stringify(f));
 * }
 * ```
 */
export function parseVrpFile(text: string): VrpFile {
  const doc = JSON.parse(text);
  if (!doc || typeof doc !== "object" || !Array.isArray(doc.roas)) {
    throw new SyntaxError('Cannot read VRP file: no "roas" array');
  }
  const seen = new Set<string>();
  const out: VrpFile = { vrps: [], skipped: 0, problems: [] };
  const skip = (why: string) => {
    out.skipped++;
    if (out.problems.length < 5) out.problems.push(why);
  };
  for (const roa of doc.roas as unknown[]) {
    const r = (roa ?? {}) as Record<string, unknown>;
    const p = typeof r.prefix === "string" ? parsePrefix(r.prefix.trim()) : undefined;
    if (!p) {
      skip(`bad prefix ${JSON.stringify(r.prefix)}`);
      continue;
    }
    const asn = asnOf(r.asn);
    // maxLength is optional in some exports: the prefix length then (RFC 6482 §3.3).
    const max = r.maxLength === undefined ? p.length : Number(r.maxLength);
    const problem = vrpProblem(p, max, asn);
    if (problem) {
      skip(`${r.prefix}: ${problem}`);
      continue;
    }
    const v = { prefix: prefixOf(p), maxLength: max, asn };
    const key = vrpKey(v);
    if (seen.has(key)) continue;
    seen.add(key);
    out.vrps.push(v);
  }
  return out;
}

/** What the watcher reports. */
export interface VrpFileEvents {
  /** A new set was read. */
  onLoad(file: VrpFile, at: number): Promise<void>;
  /** The file could not be read or parsed; the previous set stays. */
  onError(error: string, at: number): Promise<void>;
}

/** Polls a VRP file and reports each change. */
export class VrpFileWatcher {
  readonly path: string;
  readonly intervalMs: number;
  #events: VrpFileEvents;
  #stamp = "";
  #timer?: ReturnType<typeof setTimeout>;
  #stopped = false;
  #running?: Promise<void>;

  /** @param intervalMs polling interval (5 s; tests use less) */
  constructor(path: string, events: VrpFileEvents, intervalMs = 5000) {
    this.path = path;
    this.#events = events;
    this.intervalMs = intervalMs;
  }

  /** Reads the file now and then polls it. */
  async start(): Promise<void> {
    await this.#poll();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.#poll().finally(() => this.#schedule());
    }, this.intervalMs);
  }

  async #poll(): Promise<void> {
    let stamp: string;
    try {
      const st = await Deno.stat(this.path);
      stamp = `${st.mtime?.getTime()} ${st.size} ${st.ino ?? ""}`;
    } catch (e) {
      const error = `cannot read ${this.path}: ${(e as Error).message}`;
      if (this.#stamp !== "missing") await this.#events.onError(error, Date.now());
      this.#stamp = "missing";
      return;
    }
    if (stamp === this.#stamp) return;
    this.#stamp = stamp;
    let file: VrpFile;
    try {
      file = parseVrpFile(await Deno.readTextFile(this.path));
    } catch (e) {
      await this.#events.onError(`cannot read ${this.path}: ${(e as Error).message}`, Date.now());
      return;
    }
    await this.#events.onLoad(file, Date.now());
  }

  /** Stops polling (waits for a read in progress). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }
}
