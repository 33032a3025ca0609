/**
 * `bmpmon decode FILE...`: decodes raw BMP streams, pcap/pcapng captures and MRT files
 * (`./decode_mrt.ts`).
 *
 * @module
 */

import { BmpSession } from "../bmp/session.ts";
import { readBmpStream } from "../bmp/stream.ts";
import { type FlowFraming, type Summary, SummaryBuilder } from "../bmp/summary.ts";
import { readCapture } from "../io/file.ts";
import { Progress } from "./progress.ts";
import type { TcpFlow } from "../io/pcap.ts";
import { errorJson, jsonReplacer, messageJson } from "../bmp/json.ts";
import { type MrtSummary, MrtSummaryBuilder } from "../mrt/summary.ts";
import { decodeMrt } from "./decode_mrt.ts";

/** Options of the decode command. */
export interface DecodeOptions {
  /** `bgpdump` (`bgpdump -m` lines) is for MRT input only. */
  format: "jsonl" | "summary" | "bgpdump";
  json: boolean;
  port?: number;
}

const encoder = new TextEncoder();

/** Buffered line writer to stdout (one write per ~64 KiB, not per message). */
class LineWriter {
  #parts: string[] = [];
  #size = 0;
  async line(s: string): Promise<void> {
    this.#parts.push(s, "\n");
    this.#size += s.length + 1;
    if (this.#size > 65536) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.#parts.length === 0) return;
    const data = encoder.encode(this.#parts.join(""));
    this.#parts = [];
    this.#size = 0;
    let off = 0;
    while (off < data.length) off += await Deno.stdout.write(data.subarray(off));
  }
}

/** Runs the decode command; returns the process exit code. */
export async function runDecode(files: string[], opts: DecodeOptions): Promise<number> {
  const summary = new SummaryBuilder();
  const out = new LineWriter();
  const errorsByCode = new Map<string, number>();
  const mrtSummary = new MrtSummaryBuilder();
  let flowsSeen = 0;
  let mrtFiles = 0;
  let bmpFiles = 0;
  for (const path of files) {
    const capture = await readCapture(path, { port: opts.port });
    if (capture.mrt) {
      mrtFiles++;
      const progress = new Progress(`decode ${path}`, capture.mrt.length);
      const n = await decodeMrt(path, capture.mrt, opts.format, out, mrtSummary);
      progress.done(capture.mrt.length, n.records);
      continue;
    }
    bmpFiles++;
    if (opts.format === "bgpdump") {
      console.error(`bmpmon: warning: ${path}: not MRT, --format bgpdump prints nothing for it`);
      continue;
    }
    const progress = new Progress(
      `decode ${path}`,
      capture.flows.reduce((n, f) => n + f.data.length, 0),
    );
    let base = 0;
    let messages = 0;
    for (const [i, flow] of capture.flows.entries()) {
      flowsSeen++;
      const scope = `${path}#${i}`;
      const session = new BmpSession();
      for (const item of readBmpStream(flow.data, session, { gaps: flow.gaps })) {
        if (item.error) {
          summary.addError(item, scope);
          const key = `${item.framing ? "framing" : "message"}:${item.error.code}`;
          errorsByCode.set(key, (errorsByCode.get(key) ?? 0) + 1);
          if (opts.format === "jsonl") {
            const e = errorJson(item.error, item.framing ? item : undefined);
            await out.line(JSON.stringify({ kind: e.kind, file: path, flow: i, ...e }));
          }
          continue;
        }
        summary.add(item.message, scope);
        progress.update(base + item.message.offset + item.message.length, ++messages);
        if (opts.format === "jsonl") {
          const obj = messageJson(item.message);
          obj.file = path;
          obj.flow = i;
          await out.line(JSON.stringify(obj, jsonReplacer));
        }
      }
      const broke = summary.framing(scope);
      if (broke) console.error(framingWarning(path, i, flow, broke));
      base += flow.data.length;
    }
    progress.done(base, messages);
  }
  if (opts.format !== "summary") {
    await out.flush();
    return 0;
  }
  const mrt = mrtFiles > 0 ? mrtSummary.result() : undefined;
  if (mrt && bmpFiles === 0) {
    console.log(opts.json ? JSON.stringify(mrt) : mrtSummaryTable(mrt));
    return 0;
  }
  const result = summary.result();
  if (opts.json) {
    console.log(JSON.stringify(mrt ? { ...result, mrt } : result));
  } else {
    console.log(summaryTable(result, flowsSeen, errorsByCode));
    if (mrt) console.log("\nMRT\n" + mrtSummaryTable(mrt));
  }
  return 0;
}

/** The stderr line for a flow whose framing broke. */
function framingWarning(path: string, i: number, flow: TcpFlow, f: FlowFraming): string {
  const ends = flow.src ? ` (${flow.src}:${flow.srcPort} > ${flow.dst}:${flow.dstPort})` : "";
  return `bmpmon: warning: ${path} flow ${i}${ends}: framing broke, ${f.resyncs} resyncs, ${f.skipped_bytes} bytes skipped`;
}

/** A human table of an MRT summary. */
export function mrtSummaryTable(s: MrtSummary): string {
  const lines: string[] = ["record type            count"];
  for (const [k, v] of Object.entries(s.records)) {
    lines.push(`${k.padEnd(20)} ${String(v).padStart(8)}`);
  }
  lines.push(`${"errors".padEnd(20)} ${String(s.errors).padStart(8)}`);
  for (const [k, v] of Object.entries(s.error_codes)) {
    lines.push(`  ${k.padEnd(18)} ${String(v).padStart(8)}`);
  }
  lines.push("");
  lines.push(familyTable(s.families));
  return lines.join("\n");
}

function familyTable(families: Summary["families"]): string {
  const lines = ["family                  announced  withdrawn  unique routes"];
  for (const [k, f] of Object.entries(families)) {
    lines.push(
      `${k.padEnd(22)} ${String(f.announced).padStart(10)} ${String(f.withdrawn).padStart(10)} ${
        String(f.unique_prefixes).padStart(14)
      }`,
    );
  }
  return lines.join("\n");
}

/** A human table of a summary. */
export function summaryTable(s: Summary, flows: number, errors: Map<string, number>): string {
  const lines: string[] = [];
  lines.push(`flows: ${flows}`);
  lines.push("");
  lines.push("message type        count");
  for (const [k, v] of Object.entries(s.messages)) {
    lines.push(`${k.padEnd(18)} ${String(v).padStart(7)}`);
  }
  lines.push(`${"errors".padEnd(18)} ${String(s.errors).padStart(7)}`);
  for (const [k, v] of errors) lines.push(`  ${k.padEnd(16)} ${String(v).padStart(7)}`);
  lines.push(`${"resyncs".padEnd(18)} ${String(s.framing.resyncs).padStart(7)}`);
  lines.push(`${"skipped bytes".padEnd(18)} ${String(s.framing.skipped_bytes).padStart(7)}`);
  for (const f of s.framing.flows) {
    lines.push(`  ${f.flow}: ${f.resyncs} resyncs, ${f.skipped_bytes} bytes skipped`);
  }
  lines.push("");
  lines.push(familyTable(s.families));
  return lines.join("\n");
}
