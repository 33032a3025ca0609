/**
 * The `export` command line: its options, the database it reads (DATABASE_URL, or the
 * embedded store in DATA_DIR when the collector is not running), progress on a terminal
 * and the totals on stderr. The export itself is src/cli/export.ts.
 *
 * @module
 */

import postgres from "postgres";
import type { Config } from "../config.ts";
import { openEmbedded } from "../store/embedded/mod.ts";
import { parseArgs, UsageError } from "./args.ts";
import { ExportError, exportMrt, type ExportOptions } from "./export.ts";
import { exportUpdates, type UpdatesOptions } from "./export_updates.ts";

const ENC = new TextEncoder();

/** Runs `bmpmon export mrt …`; returns the exit code. */
export async function runExport(
  argv: string[],
  configFor: (argv: string[]) => Promise<Config>,
): Promise<number> {
  const names = ["router", "peer", "at", "since", "until", "env-file"];
  const { args, flags } = parseArgs(argv, names);
  for (const k of flags.keys()) {
    if (!names.includes(k) && k !== "updates") throw new UsageError(`unknown option --${k}`);
  }
  if (args[0] !== "mrt" || args.length > 1) throw new UsageError("export needs the format: mrt");
  const o: ExportOptions = {};
  for (const k of ["router", "peer"] as const) {
    const v = flags.get(k);
    if (v === true) throw new UsageError(`--${k} needs a value`);
    if (v !== undefined) o[k] = v;
  }
  const time = (k: string): Date | undefined => {
    const v = flags.get(k);
    if (v === undefined) return undefined;
    const t = v === true ? NaN : Date.parse(v);
    if (Number.isNaN(t)) {
      throw new UsageError(`--${k} ${v}: not a time (e.g. 2026-12-01T12:00:00Z)`);
    }
    return new Date(t);
  };
  o.at = time("at");
  const updates = flags.get("updates") === true;
  const u: UpdatesOptions = {
    router: o.router,
    peer: o.peer,
    since: time("since"),
    until: time("until"),
  };
  if (updates && o.at) {
    throw new UsageError("--at is for a RIB; --updates takes --since and --until");
  }
  if (!updates && (u.since || u.until)) {
    throw new UsageError("--since and --until go with --updates");
  }
  if (Deno.stdout.isTerminal()) {
    console.error("bmpmon: export mrt writes binary MRT: redirect it to a file (> rib.mrt)");
    return 2;
  }
  const envFile = flags.get("env-file");
  const config = await configFor(typeof envFile === "string" ? ["--env-file", envFile] : []);
  const embedded = config.DATABASE_URL ? undefined : await openEmbedded({
    dataDir: config.dataDir,
  });
  const options = { max: 1, onnotice: () => {} };
  const sql = embedded
    ? postgres({ ...embedded.connection, ...options })
    : postgres(config.DATABASE_URL!, options);
  const onTerminal = Deno.stderr.isTerminal();
  const t0 = performance.now();
  let last = 0;
  try {
    const progress = (routes: number, total: number) => {
      const now = performance.now();
      if (!onTerminal || now - last < 250) return;
      last = now;
      const s = (now - t0) / 1000;
      const rate = routes / s;
      const eta = rate > 0 ? Math.max(0, (total - routes) / rate) : 0;
      Deno.stderr.writeSync(ENC.encode(
        `\r\x1b[2Kexport: ${routes.toLocaleString("en-US")} of ${
          total.toLocaleString("en-US")
        } routes (${Math.floor((100 * routes) / Math.max(total, 1))} %), ${
          Math.round(rate).toLocaleString("en-US")
        } routes/s, ETA ${Math.ceil(eta)} s`,
      ));
    };
    const r = updates
      ? await exportUpdates(sql, u, Deno.stdout, progress)
      : await exportMrt(sql, o, Deno.stdout, progress);
    if (onTerminal && last) Deno.stderr.writeSync(ENC.encode("\n"));
    console.error(JSON.stringify(r));
    if (r.otherFamilies) {
      console.error(
        `bmpmon: ${r.otherFamilies} routes of other families (VPN, labeled, EVPN, …) are ` +
          `not in ${updates ? "BGP4MP" : "TABLE_DUMP_V2 RIB"} records and were not written`,
      );
    }
    for (const [what, n] of Object.entries(r.skipped)) {
      console.error(`bmpmon: ${n} attribute sets lost ${what} (not written back from the store)`);
    }
    return 0;
  } catch (e) {
    if (e instanceof ExportError) {
      console.error(`bmpmon: export: ${e.message}`);
      return 1;
    }
    if (e instanceof Error && ("code" in e || e.name === "PostgresError")) {
      console.error(`bmpmon: export: the database refused: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    await sql.end({ timeout: 5 });
    await embedded?.close();
  }
}
