/**
 * The ledger of `bmpmon import`: one `mrt_imports` row per MRT file loaded, keyed by the
 * SHA-256 of its decompressed bytes, so that a file given again is skipped.
 *
 * The rows are written after the writer's last flush, in one transaction with the
 * router's disconnect time. A kill between that flush and this commit leaves the files
 * unrecorded: importing them again sets the same RIB and adds their history rows a second
 * time (README "Import MRT").
 *
 * @module
 */

import type { Sql } from "postgres";

/** One imported file. */
export interface MrtImportRow {
  sha256: string;
  file: string;
  bytes: number;
  records: number;
  errors: number;
  firstTime?: Date;
  lastTime?: Date;
}

/** The SHA-256 of `bytes`, in hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Of `hashes`, those already imported, with the file name and time they were. */
export async function importedBefore(
  sql: Sql,
  hashes: string[],
): Promise<Map<string, { file: string; importedAt: Date; router: string }>> {
  const rows = hashes.length === 0 ? [] : await sql`
    SELECT i.sha256, i.file, i.imported_at, r.key AS router
    FROM mrt_imports i JOIN routers r ON r.id = i.router_id
    WHERE i.sha256 IN ${sql(hashes)}`;
  return new Map(
    rows.map((r) => [r.sha256 as string, {
      file: r.file as string,
      importedAt: r.imported_at as Date,
      router: r.router as string,
    }]),
  );
}

/**
 * Records `files` as imported into router `routerId`, which is left disconnected at
 * `lastTime` (an archive is not a live session; its routes stay current).
 */
export async function recordImports(
  sql: Sql,
  routerId: number,
  files: MrtImportRow[],
  lastTime?: Date,
): Promise<void> {
  await sql.begin(async (tx) => {
    for (const f of files) {
      await tx`
        INSERT INTO mrt_imports (sha256, router_id, file, bytes, records, errors, first_time,
          last_time)
        VALUES (${f.sha256}, ${routerId}, ${f.file}, ${f.bytes}, ${f.records}, ${f.errors},
          ${f.firstTime ?? null}, ${f.lastTime ?? null})
        ON CONFLICT (sha256) DO NOTHING`;
    }
    await tx`UPDATE routers SET connected = false,
      disconnected_at = ${lastTime ?? new Date()} WHERE id = ${routerId}`;
  });
}
