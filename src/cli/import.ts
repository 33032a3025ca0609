/**
 * `bmpmon import FILE...`: MRT archives into the store, through the writer `serve` uses.
 * The files of one import are one source, and become one router (`routers.key`
 * `mrt:NAME`): NAME is `--router`, else the view name or collector BGP ID of the first
 * PEER_INDEX_TABLE. They are turned into the BMP session `bmpmon replay` would send
 * (src/mrt/to_bmp.ts: a Peer Up per MRT peer, the RIB dumps as Route Monitoring, then the
 * BGP4MP updates and state changes in time order, each at its record's time), and that
 * session is decoded and written as a router's would be: the same rows as `serve`.
 *
 * ```text
 * MRT files → mrtBmpMessages → BMP decoder → StoreWriter → rib, route_history, peer_events
 * ```
 *
 * A file already imported (the same decompressed bytes, src/store/mrt_imports.ts) is
 * skipped. The router is left disconnected with its routes current: an archive ends, but
 * its RIB was not withdrawn.
 *
 * @module
 */

import type { Sql } from "postgres";
import { BmpSession } from "../bmp/session.ts";
import type { MrtError } from "../mrt/errors.ts";
import { mrtSource, sourceName } from "../mrt/source.ts";
import { mrtBmpMessages } from "../mrt/to_bmp.ts";
import {
  importedBefore,
  type MrtImportRow,
  recordImports,
  sha256Hex,
} from "../store/mrt_imports.ts";
import { storable } from "../store/pg_text.ts";
import type { StoreWriter } from "../store/writer.ts";
import { toDecodeError } from "../wire/errors.ts";

/** An import that cannot start (no name for its source): one line for the operator. */
export class ImportError extends Error {}

/** One file to import: its name and decompressed bytes. */
export interface ImportFile {
  path: string;
  bytes: Uint8Array;
}

/** Import options. */
export interface ImportOptions {
  /** The source's name (`--router`); default: from the PEER_INDEX_TABLE. */
  router?: string;
  /** Input bytes done (estimated from the records sent) of all, and messages sent. */
  progress?: (done: number, total: number, messages: number) => void;
  /** A record that could not be decoded (it is skipped; the import goes on). */
  onError?: (path: string, error: MrtError) => void;
}

/** What an import did. */
export interface ImportResult {
  /** `routers.key` of the source, or undefined when every file was imported before. */
  router?: string;
  imported: string[];
  /** Files skipped: imported before (into `router`) or given twice. */
  skipped: { file: string; sameAs: string; router?: string; importedAt?: string }[];
  records: number;
  errors: number;
  peers: number;
  messages: number;
  /** Route rows written (announcements and withdrawals). */
  routes: number;
  /** Routes and UPDATEs `replay` could not send either (src/mrt/to_bmp.ts). */
  notSent: number;
  seconds: number;
}

/**
 * Imports `files` as one source.
 *
 * @throws {ImportError} when no name can be found for the source
 */
export async function importMrt(
  sql: Sql,
  writer: StoreWriter,
  files: ImportFile[],
  opts: ImportOptions = {},
): Promise<ImportResult> {
  const t0 = performance.now();
  const hashes = await Promise.all(files.map((f) => sha256Hex(f.bytes)));
  const before = await importedBefore(sql, hashes);
  const result: ImportResult = {
    imported: [],
    skipped: [],
    records: 0,
    errors: 0,
    peers: 0,
    messages: 0,
    routes: 0,
    notSent: 0,
    seconds: 0,
  };
  const todo: (ImportFile & { sha256: string })[] = [];
  const seen = new Map<string, string>();
  for (const [i, f] of files.entries()) {
    const old = before.get(hashes[i]);
    const twice = seen.get(hashes[i]);
    if (old) {
      result.skipped.push({
        file: f.path,
        sameAs: old.file,
        router: old.router,
        importedAt: old.importedAt.toISOString(),
      });
    } else if (twice) result.skipped.push({ file: f.path, sameAs: twice });
    else {
      seen.set(hashes[i], f.path);
      todo.push({ ...f, sha256: hashes[i] });
    }
  }
  if (todo.length === 0) return { ...result, seconds: (performance.now() - t0) / 1000 };
  const sources = todo.map((f) => mrtSource(f.bytes));
  const name = sourceName(sources, opts.router);
  if (name === undefined) {
    throw new ImportError(
      `import: ${todo[0].path} has no PEER_INDEX_TABLE to name its source: give --router NAME`,
    );
  }
  const rows: MrtImportRow[] = todo.map((f, i) => ({
    sha256: f.sha256,
    file: f.path,
    bytes: f.bytes.length,
    records: sources[i].records,
    errors: 0,
    firstTime: sources[i].firstTime === undefined
      ? undefined
      : new Date(sources[i].firstTime! * 1000),
    lastTime: sources[i].lastTime === undefined ? undefined : new Date(sources[i].lastTime! * 1000),
  }));
  const { stats, messages: bmp } = mrtBmpMessages(todo.map((f) => f.bytes), {
    sysName: name,
    onError: (i, e) => {
      rows[i].errors++;
      opts.onError?.(todo[i].path, e);
    },
  });
  const collector = sources.find((s) => s.collectorId && s.collectorId !== "0.0.0.0");
  const key = `mrt:${name}`;
  const routerId = await writer.router(key, collector?.collectorId);
  const routes0 = writer.stats.routes;
  // Progress in input bytes, from the share of the first pass's records sent so far.
  const total = todo.reduce((n, f) => n + f.bytes.length, 0);
  const session = new BmpSession();
  let messages = 0;
  let offset = 0;
  for (const raw of bmp) {
    try {
      const wait = writer.write(routerId, storable(session.decode(raw, 0)));
      if (wait) await wait;
    } catch (e) {
      writer.writeError(routerId, toDecodeError(e, offset), raw.slice());
    }
    offset += raw.length;
    if ((++messages & 1023) === 0) {
      opts.progress?.(Math.min(total, (total * messages) / (stats.planned || 1)), total, messages);
      // Lets the writer's timers and commits run between messages, as socket reads do.
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  await writer.flush();
  const last = rows.reduce<Date | undefined>(
    (t, r) => (r.lastTime && (!t || r.lastTime > t) ? r.lastTime : t),
    undefined,
  );
  await recordImports(sql, routerId, rows, last);
  opts.progress?.(total, total, messages);
  return {
    ...result,
    router: key,
    imported: todo.map((f) => f.path),
    records: stats.records,
    errors: stats.errors,
    peers: stats.peers,
    messages,
    routes: writer.stats.routes - routes0,
    notSent: stats.skipped,
    seconds: (performance.now() - t0) / 1000,
  };
}
