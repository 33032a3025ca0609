/**
 * The `import` command line: its options, the store it writes (DATABASE_URL, or the
 * embedded store in DATA_DIR when the collector is not running), progress on a terminal,
 * the record errors on stderr and the totals as one JSON line on stdout. The import
 * itself is src/cli/import.ts.
 *
 * @module
 */

import type { Config } from "../config.ts";
import { readInput } from "../io/file.ts";
import { looksLikeMrt } from "../mrt/reader.ts";
import { StoreWriter } from "../store/writer.ts";
import { parseArgs, UsageError } from "./args.ts";
import { type ImportFile, importMrt } from "./import.ts";
import { Progress, StepProgress } from "./progress.ts";
import { openDatabase } from "./serve_store.ts";

/** Record errors printed one by one; later ones are only counted. */
const SHOWN_ERRORS = 10;

/** Runs `bmpmon import FILE... [--router NAME]`; returns the exit code. */
export async function runImport(
  argv: string[],
  configFor: (argv: string[]) => Promise<Config>,
): Promise<number> {
  const names = ["router", "env-file"];
  const { args, flags } = parseArgs(argv, names);
  for (const k of flags.keys()) {
    if (!names.includes(k)) throw new UsageError(`unknown option --${k}`);
  }
  if (args.length === 0) throw new UsageError("import needs at least one FILE");
  const router = flags.get("router");
  if (router === true || router === "") throw new UsageError("--router needs a name");
  const envFile = flags.get("env-file");
  const config = await configFor(typeof envFile === "string" ? ["--env-file", envFile] : []);
  // Every file is read and checked before the store is touched: a typo costs nothing.
  const files: ImportFile[] = [];
  for (const path of args) {
    let bytes: Uint8Array;
    try {
      bytes = await readInput(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied)) {
        throw e;
      }
      console.error(
        `bmpmon: import: no permission to read ${path} (a compiled bmpmon reads only the paths ` +
          "of its configuration: copy the file under DATA_DIR, README: Importing MRT archives)",
      );
      return 1;
    }
    if (!looksLikeMrt(bytes)) {
      console.error(`bmpmon: import: ${path} is not an MRT file (RFC 6396)`);
      return 1;
    }
    files.push({ path, bytes });
  }
  const { sql, embedded, connect } = await openDatabase(config, new StepProgress("migrate"));
  let progress: Progress | undefined;
  let shown = 0;
  let lastDone = 0;
  try {
    const writer = await StoreWriter.open(sql, {
      connect,
      batchRows: config.BATCH_MAX_ROUTES,
      flushMs: config.BATCH_MAX_MS,
    });
    try {
      const r = await importMrt(sql, writer, files, {
        router: router as string | undefined,
        progress: (done, total, messages) => {
          progress ??= new Progress("import", total);
          progress.update(done, messages);
          lastDone = done;
        },
        onError: (path, e) => {
          if (++shown > SHOWN_ERRORS) return;
          console.error(
            `bmpmon: import: ${path}: offset ${e.offset}: ${e.code}: ${e.reason} (record skipped)`,
          );
        },
      });
      progress?.done(lastDone, r.messages);
      for (const s of r.skipped) {
        console.error(
          `bmpmon: import: ${s.file} skipped: ${
            s.router ? `imported into ${s.router} at ${s.importedAt}` : "given twice"
          }${s.sameAs !== s.file ? ` (as ${s.sameAs})` : ""}`,
        );
      }
      if (r.errors > SHOWN_ERRORS) {
        console.error(`bmpmon: import: ${r.errors} records skipped in all`);
      }
      console.log(JSON.stringify(r));
      return 0;
    } finally {
      await writer.close();
    }
  } finally {
    await sql.end({ timeout: 5 });
    await embedded?.close();
  }
}
