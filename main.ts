/**
 * bmpmon: a BGP Monitoring Protocol (RFC 7854) collector.
 *
 * ```text
 * bmpmon serve [--env-file F]         run the collector
 * bmpmon consume [--env-file F]       store what edge collectors publish on the bus
 * bmpmon migrate [--env-file F]       apply the database migrations
 * bmpmon replay FILE... --to HOST:PORT [--rate N | --speed X] [--connections N]
 * bmpmon decode FILE... [--format jsonl|bgpdump] [--summary [--json]] [--port N]
 * bmpmon import FILE.mrt... [--router NAME]  load MRT archives into the store
 * bmpmon export mrt [--router R] [--peer ADDRESS] [--at TIME] > rib.mrt
 * bmpmon export mrt --updates [--since T1] [--until T2] [--router R] [--peer ADDRESS] > updates.mrt
 * bmpmon show|clear|debug|flush|sql …   ask the running collector (src/cli/control.ts)
 * ```
 *
 * @module
 */

import { parseArgs, UsageError } from "./src/cli/args.ts";
import { CONTROL_USAGE, runControl } from "./src/cli/control.ts";
import { runConsume } from "./src/cli/consume.ts";
import { runDecode } from "./src/cli/decode.ts";
import { runExport } from "./src/cli/export_command.ts";
import { ImportError } from "./src/cli/import.ts";
import { runImport } from "./src/cli/import_command.ts";
import { Progress } from "./src/cli/progress.ts";
import { replay, ReplayError } from "./src/cli/replay.ts";
import { runMigrate, runServe } from "./src/cli/serve.ts";
import { ConfigError, configFromProcess } from "./src/config.ts";
import { assertPermitted } from "./src/permissions.ts";

const USAGE = `Usage:
  bmpmon serve [--env-file FILE]
      Run the collector (configuration: environment variables and FILE, see README).
  bmpmon consume [--env-file FILE]
      Store what edge collectors (STORE=none) publish to BUS_URL, from where it left off.
  bmpmon migrate [--env-file FILE]
      Apply the database migrations and exit.
  bmpmon replay FILE... --to HOST:PORT [--rate MSGS_PER_S | --speed X] [--connections N] [--hold S]
      Send captured BMP streams to a collector, one connection per captured flow
      (MRT files: one BMP session of them all, RIB first, then updates in time order)
      (N copies of each with --connections). --speed X: at the capture's own pace (its
      per-peer header timestamps), X times faster.
  bmpmon decode FILE... [--format jsonl|bgpdump | --summary [--json]] [--port N]
      Decode raw BMP streams (also .gz/.xz/.bz2), pcap/pcapng captures and MRT files.
      --format jsonl   one JSON object per BMP message or MRT record (default)
      --format bgpdump MRT only: one line per route as \`bgpdump -m\` prints it
      --summary        counts per message type and address family (--json: one JSON object)
      --port N         pcap: only TCP flows to or from port N (default: flows that parse as BMP)
  bmpmon import FILE... [--router NAME] [--env-file FILE]
      Load MRT archives (RIB dumps, BGP4MP updates; also .gz/.xz/.bz2) into the store as
      one router, mrt:NAME (default NAME: the PEER_INDEX_TABLE's view name or collector
      BGP ID). A file imported before is skipped.
  bmpmon export mrt [--router R] [--peer ADDRESS] [--at TIME] [--env-file FILE] > rib.mrt
  bmpmon export mrt --updates [--since T1] [--until T2] [--router R] [--peer ADDRESS] > updates.mrt
      Write the RIB (current, or as of TIME from history) as MRT TABLE_DUMP_V2.
${CONTROL_USAGE}
  bmpmon help`;

export { parseArgs, UsageError };

async function decodeCommand(argv: string[]): Promise<number> {
  const { args, flags } = parseArgs(argv, ["format", "port"]);
  for (const k of flags.keys()) {
    if (!["format", "port", "summary", "json"].includes(k)) {
      throw new UsageError(`unknown option --${k}`);
    }
  }
  if (args.length === 0) throw new UsageError("decode needs at least one FILE");
  const format = flags.get("format") ?? "jsonl";
  if (format !== "jsonl" && format !== "bgpdump") {
    throw new UsageError(`--format ${format}: jsonl or bgpdump`);
  }
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
  return await runDecode(args, { format: summary ? "summary" : format, json, port });
}

async function replayCommand(argv: string[]): Promise<number> {
  const options = ["to", "rate", "speed", "connections", "hold"];
  const { args, flags } = parseArgs(argv, options);
  for (const k of flags.keys()) {
    if (!options.includes(k)) throw new UsageError(`unknown option --${k}`);
  }
  if (args.length === 0) throw new UsageError("replay needs at least one FILE");
  const to = flags.get("to");
  const m = typeof to === "string" ? /^\[?([^\]]+?)\]?:(\d+)$/.exec(to) : null;
  if (!m) throw new UsageError("replay needs --to HOST:PORT");
  const rate = Number(flags.get("rate") ?? 0);
  const connections = Number(flags.get("connections") ?? 1);
  if (!(rate >= 0)) throw new UsageError(`--rate ${flags.get("rate")}: not a number >= 0`);
  const speed = Number(flags.get("speed") ?? 0);
  if (!(speed > 0) && flags.has("speed")) {
    throw new UsageError(`--speed ${flags.get("speed")}: not a number > 0`);
  }
  if (speed && rate) throw new UsageError("--rate and --speed do not go together");
  if (!Number.isInteger(connections) || connections < 1) {
    throw new UsageError(`--connections ${flags.get("connections")}: not a whole number >= 1`);
  }
  const hold = Number(flags.get("hold") ?? 0);
  if (!(hold >= 0)) throw new UsageError(`--hold ${flags.get("hold")}: not a number of seconds`);
  let progress: Progress | undefined;
  const r = await replay(args, {
    hostname: m[1],
    port: Number(m[2]),
    rate,
    speed,
    connections,
    holdMs: hold * 1000,
    progress: (sent, messages, total) => {
      progress ??= new Progress("replay", total);
      progress.update(sent, messages);
    },
  });
  progress?.done(r.bytes, r.messages);
  console.log(JSON.stringify(r));
  return 0;
}

async function configFor(argv: string[]) {
  const { args, flags } = parseArgs(argv, ["env-file"]);
  for (const k of flags.keys()) if (k !== "env-file") throw new UsageError(`unknown option --${k}`);
  if (args.length) throw new UsageError(`unexpected argument ${args[0]}`);
  const envFile = flags.get("env-file") as string | undefined;
  const config = await configFromProcess(envFile);
  assertPermitted(config, { envFile });
  return config;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "decode":
        return await decodeCommand(rest);
      case "replay":
        return await replayCommand(rest);
      case "serve":
        return await runServe(await configFor(rest));
      case "consume":
        return await runConsume(await configFor(rest));
      case "migrate":
        return await runMigrate(await configFor(rest));
      case "export":
        return await runExport(rest, configFor);
      case "import":
        return await runImport(rest, configFor);
      case "show":
      case "clear":
      case "debug":
      case "flush":
      case "sql":
        return await runControl(command, rest);
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
    if (e instanceof ConfigError) {
      console.error(`bmpmon: ${e.message}`);
      return 2;
    }
    if (e instanceof UsageError) {
      console.error(`bmpmon: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof ReplayError || e instanceof ImportError) {
      console.error(`bmpmon: ${e.message}`);
      return 1;
    }
    if (e instanceof Deno.errors.NotFound) {
      console.error(`bmpmon: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
