/**
 * `bmpmon decode FILE...`: decodes raw BMP streams and pcap/pcapng captures.
 *
 * @module
 */

import { BmpSession } from "../bmp/session.ts";
import { readBmpStream } from "../bmp/stream.ts";
import { type FlowFraming, type Summary, SummaryBuilder } from "../bmp/summary.ts";
import { readCapture } from "../io/file.ts";
import { Progress } from "./progress.ts";
import type { TcpFlow } from "../io/pcap.ts";
import { jsonReplacer, messageJson } from "./json.ts";

/** Options of the decode command. */
export interface DecodeOptions {
  format: "jsonl" | "summary";
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
  let flowsSeen = 0;
  for (const path of files) {
    const capture = await readCapture(path, { port: opts.port });
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
            await out.line(JSON.stringify({
              kind: "error",
              file: path,
              flow: i,
              framing: item.framing,
              code: item.error.code,
              offset: item.error.offset,
              message_type: item.error.messageType ?? null,
              reason: item.error.message,
              ...(item.framing ? { skipped: item.skipped, resume_offset: item.resumeAt } : {}),
            }));
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
  if (opts.format === "jsonl") {
    await out.flush();
    return 0;
  }
  const result = summary.result();
  if (opts.json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(summaryTable(result, flowsSeen, errorsByCode));
  }
  return 0;
}

/** The stderr line for a flow whose framing broke. */
function framingWarning(path: string, i: number, flow: TcpFlow, f: FlowFraming): string {
  const ends = flow.src ? ` (${flow.src}:${flow.srcPort} > ${flow.dst}:${flow.dstPort})` : "";
  return `bmpmon: warning: ${path} flow ${i}${ends}: framing broke, ${f.resyncs} resyncs, ${f.skipped_bytes} bytes skipped`;
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
  lines.push("family                  announced  withdrawn  unique routes");
  for (const [k, f] of Object.entries(s.families)) {
    lines.push(
      `${k.padEnd(22)} ${String(f.announced).padStart(10)} ${String(f.withdrawn).padStart(10)} ${
        String(f.unique_prefixes).padStart(14)
      }`,
    );
  }
  return lines.join("\n");
}
