/**
 * bmpmon: a BGP Monitoring Protocol (RFC 7854) collector.
 *
 * ```text
 * bmpmon decode FILE... [--format jsonl] [--summary [--json]] [--port N]
 * ```
 *
 * @module
 */

import { runDecode } from "./src/cli/decode.ts";

const USAGE = `Usage:
  bmpmon decode FILE... [--format jsonl | --summary [--json]] [--port N]
      Decode raw BMP streams (also .gz/.xz) and pcap/pcapng captures.
      --format jsonl   one JSON object per BMP message (default)
      --summary        counts per message type and address family (--json: one JSON object)
      --port N         pcap: only TCP flows to or from port N (default: flows that parse as BMP)
  bmpmon help`;

/** Thrown for bad command-line usage; exit code 2. */
export class UsageError extends Error {}

/** Splits argv into positional arguments and `--flag [value]` options. */
export function parseArgs(
  argv: string[],
  valued: string[],
): { args: string[]; flags: Map<string, string | true> } {
  const args: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) {
      args.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (valued.includes(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, v);
    } else if (eq > 0) throw new UsageError(`--${name} takes no value`);
    else flags.set(name, true);
  }
  return { args, flags };
}

async function decodeCommand(argv: string[]): Promise<number> {
  const { args, flags } = parseArgs(argv, ["format", "port"]);
  for (const k of flags.keys()) {
    if (!["format", "port", "summary", "json"].includes(k)) {
      throw new UsageError(`unknown option --${k}`);
    }
  }
  if (args.length === 0) throw new UsageError("decode needs at least one FILE");
  const format = flags.get("format") ?? "jsonl";
  if (format !== "jsonl") throw new UsageError(`--format ${format}: only jsonl is supported`);
  const summary = flags.has("summary");
  const json = flags.has("json");
  if (json && !summary) throw new UsageError("--json goes with --summary");
  let port: number | undefined;
  if (flags.has("port")) {
    port = Number(flags.get("port"));
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new UsageError(`--port ${flags.get("port")}: not a TCP port`);
    }
  }
  return await runDecode(args, { format: summary ? "summary" : "jsonl", json, port });
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "decode":
        return await decodeCommand(rest);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`bmpmon: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof Deno.errors.NotFound) {
      console.error(`bmpmon: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
