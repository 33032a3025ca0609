/**
 * The MRT (RFC 6396) part of `bmpmon decode`: one JSON object per record (`jsonl`),
 * `bgpdump -m` lines (`bgpdump`), or counts (`--summary`).
 *
 * @module
 */

import { familyName } from "../bgp/constants.ts";
import { bgpdumpLines } from "../mrt/bgpdump.ts";
import { readMrt } from "../mrt/reader.ts";
import type { MrtSummaryBuilder } from "../mrt/summary.ts";
import type { MrtRecord } from "../mrt/types.ts";
import { attributesJson, jsonReplacer } from "../bmp/json.ts";

/** Where decoded lines go (the decode command's buffered stdout). */
export interface LineSink {
  line(s: string): Promise<void>;
}

/** The JSON object of one MRT record. */
export function mrtRecordJson(rec: MrtRecord): Record<string, unknown> {
  const b = rec.body;
  const out: Record<string, unknown> = { kind: "mrt", ...rec.header, body: { ...b } };
  const body = out.body as Record<string, unknown>;
  if (b.kind === "rib") {
    body.family = familyName(b.afi, b.safi);
    body.entries = b.entries.map((e) => ({ ...e, attributes: attributesJson(e.attributes) }));
  } else if (b.kind === "table_dump") {
    body.attributes = attributesJson(b.attributes);
  } else if (b.kind === "message" && "update" in b.message) {
    const u = b.message.update;
    body.message = { ...b.message, update: { ...u, attributes: attributesJson(u.attributes) } };
  }
  return out;
}

/**
 * Decodes one MRT file's bytes to `out` (or into `summary`); returns the record and
 * error counts. Errors go to `out` as `{"kind":"error",…}` objects in `jsonl`, and are
 * counted on stderr in `bgpdump`.
 */
export async function decodeMrt(
  path: string,
  bytes: Uint8Array,
  format: "jsonl" | "summary" | "bgpdump",
  out: LineSink,
  summary: MrtSummaryBuilder,
): Promise<{ records: number; errors: number }> {
  let records = 0;
  let errors = 0;
  for (const item of readMrt(bytes)) {
    if (item.error) {
      errors++;
      summary.addError(item.error);
      if (format === "jsonl") {
        await out.line(JSON.stringify({ kind: "error", file: path, mrt: true, ...item.error }));
      }
      continue;
    }
    records++;
    const rec = item.record;
    if (format === "summary") summary.add(rec, path);
    else if (format === "bgpdump") {
      for (const l of bgpdumpLines(rec)) await out.line(l);
    } else {
      const obj = mrtRecordJson(rec);
      obj.file = path;
      await out.line(JSON.stringify(obj, jsonReplacer));
    }
  }
  if (errors > 0 && format === "bgpdump") {
    console.error(`bmpmon: warning: ${path}: ${errors} MRT records could not be decoded`);
  }
  return { records, errors };
}
