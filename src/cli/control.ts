/**
 * `bmpmon show|clear|debug|flush|sql`: ask the running collector through its control
 * socket (DATA_DIR/bmpmon.sock, found with the same configuration as `serve`). Human
 * output by default, the endpoint's JSON with `--json`. Where no collector's socket is,
 * or with `--consume`, `show summary`, `show routes` and `sql` ask `bmpmon consume`
 * (src/control/client.ts `controlTarget` tells which socket).
 *
 * ```text
 * bmpmon show summary | station
 * bmpmon show clients
 * bmpmon show client ID [peers | peer PEER [messages [--last N]] | messages [--last N]]
 * bmpmon show routes PREFIX [--exact | --longer] [--limit N]
 * bmpmon clear client ID
 * bmpmon debug client ID [on | off]
 * bmpmon flush client ID
 * bmpmon sql "SELECT …" [--json | --csv]
 * ```
 *
 * @module
 */

import type {
  ActionResult,
  ClientDetail,
  ClientInfo,
  ConsumeSummary,
  DebugState,
  HeldRouterInfo,
  MessageInfo,
  PeerInfo,
  RoutesResult,
  SqlResult,
  Station,
  Summary,
} from "../control/api.ts";
import {
  ControlClient,
  ControlRequestError,
  controlTarget,
  NoCollectorError,
} from "../control/client.ts";
import { csv } from "../control/format.ts";
import { configFromProcess } from "../config.ts";
import { parseArgs, UsageError } from "./args.ts";
import {
  clientsText,
  clientText,
  consumeSummaryText,
  messagesText,
  peersText,
  peerText,
  routesText,
  sqlJson,
  sqlText,
  stationText,
  summaryText,
} from "./show.ts";

/** Usage lines of the control commands. */
export const CONTROL_USAGE =
  `  bmpmon show summary | station | clients | client ID [peers | peer PEER | messages]
  bmpmon show client ID [peer PEER] messages [--last N]
      Ask the running collector (its socket: DATA_DIR/bmpmon.sock). --json: the raw answer.
      Where no collector runs, a running \`bmpmon consume\` answers show summary, show routes
      and sql (DATA_DIR/consume/STREAM.sock); --consume: ask it even where a collector runs.
  bmpmon show routes PREFIX [--exact | --longer] [--limit N]
      Current routes: longest match per RIB view (default), the prefix itself, or it and
      its more-specifics.
  bmpmon clear client ID | debug client ID [on|off] | flush client ID
      Close a router's session (its routes are marked withdrawn); dump its messages in the
      log; commit the pending batches now.
  bmpmon sql "SELECT ..." [--json | --csv]
      One statement, run by the collector in a READ ONLY transaction.`;

const OPTIONS: Record<string, string[]> = {
  show: ["json", "exact", "longer", "limit", "last", "env-file", "consume"],
  clear: ["json", "env-file"],
  debug: ["json", "env-file"],
  flush: ["json", "env-file"],
  sql: ["json", "csv", "env-file", "consume"],
};

function id(args: string[], command: string): string {
  if (args[0] !== "client" || args[1] === undefined) {
    throw new UsageError(`${command} needs: client ID`);
  }
  if (!/^\d+$/.test(args[1])) throw new UsageError(`client ${args[1]}: ID is a number`);
  return args[1];
}

function wholeNumber(v: string | true | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`--${name} ${v}: not a whole number >= 1`);
  }
  return n;
}

function noMore(args: string[], n: number): void {
  if (args.length > n) throw new UsageError(`unexpected argument ${args[n]}`);
}

async function show(c: ControlClient, args: string[], flags: Map<string, string | true>) {
  const what = args[0];
  if (what === "summary") {
    noMore(args, 1);
    const s = await c.request<Summary | ConsumeSummary>("GET", "/summary");
    return { json: s, text: "consume" in s ? consumeSummaryText(s) : summaryText(s) };
  }
  if (what === "station") {
    noMore(args, 1);
    const s = await c.request<Station>("GET", "/station");
    return { json: s, text: stationText(s) };
  }
  if (what === "clients") {
    noMore(args, 1);
    const s = await c.request<ClientInfo[]>("GET", "/clients");
    // --json stays the array of connections; `show station --json` lists the held-down.
    const held = await c.request<HeldRouterInfo[]>("GET", "/holddowns");
    return { json: s, text: clientsText(s, held) };
  }
  if (what === "client") {
    const n = id(args, "show client");
    const base = `/clients/${n}`;
    if (args[2] === undefined) {
      const s = await c.request<ClientDetail>("GET", base);
      return { json: s, text: clientText(s) };
    }
    if (args[2] === "peers") {
      noMore(args, 3);
      const s = await c.request<PeerInfo[]>("GET", `${base}/peers`);
      return { json: s, text: peersText(s) };
    }
    if (args[2] === "peer") {
      if (!args[3]) throw new UsageError("show client ID peer needs PEER (its address)");
      const peer = `${base}/peers/${encodeURIComponent(args[3])}`;
      if (args[4] === "messages") {
        noMore(args, 5);
        const last = wholeNumber(flags.get("last"), "last", 20);
        const s = await c.request<MessageInfo[]>("GET", `${peer}/messages?n=${last}`);
        return { json: s, text: messagesText(s) };
      }
      noMore(args, 4);
      const s = await c.request<PeerInfo[]>("GET", peer);
      return { json: s, text: peerText(s) };
    }
    if (args[2] === "messages") {
      noMore(args, 3);
      const last = wholeNumber(flags.get("last"), "last", 20);
      const s = await c.request<MessageInfo[]>("GET", `${base}/messages?n=${last}`);
      return { json: s, text: messagesText(s) };
    }
    throw new UsageError(`show client ID ${args[2]}: peers, peer PEER or messages`);
  }
  if (what === "routes") {
    if (!args[1]) throw new UsageError("show routes needs a PREFIX");
    noMore(args, 2);
    if (flags.has("exact") && flags.has("longer")) {
      throw new UsageError("--exact and --longer exclude each other");
    }
    const match = flags.has("exact") ? "exact" : flags.has("longer") ? "longer" : "longest";
    const q = new URLSearchParams({ prefix: args[1], match });
    if (flags.has("limit")) q.set("limit", String(wholeNumber(flags.get("limit"), "limit", 1)));
    const s = await c.request<RoutesResult>("GET", `/routes?${q}`);
    return { json: s, text: routesText(s) };
  }
  throw new UsageError(
    `show ${what ?? ""}: summary, station, clients, client ID or routes PREFIX`,
  );
}

async function act(
  c: ControlClient,
  command: string,
  args: string[],
): Promise<{ json: unknown; text: string; ok: boolean }> {
  const n = id(args, command);
  if (command === "debug") {
    noMore(args, 3);
    const sw = args[2];
    if (sw !== undefined && sw !== "on" && sw !== "off") throw new UsageError("debug: on or off");
    const s = sw === undefined
      ? await c.request<DebugState>("GET", `/clients/${n}/debug`)
      : await c.request<DebugState>("POST", `/clients/${n}/debug`, { on: sw === "on" });
    return { json: s, text: `debug for client ${s.id}: ${s.debug ? "on" : "off"}`, ok: true };
  }
  noMore(args, 2);
  const s = await c.request<ActionResult>("POST", `/clients/${n}/${command}`);
  return { json: s, text: s.message, ok: s.ok };
}

/** Runs a control command; returns the exit code (1 when no collector answers). */
export async function runControl(command: string, argv: string[]): Promise<number> {
  const { args, flags } = parseArgs(argv, ["env-file", "limit", "last"]);
  for (const k of flags.keys()) {
    if (!OPTIONS[command].includes(k)) throw new UsageError(`${command}: unknown option --${k}`);
  }
  if (flags.has("json") && flags.has("csv")) throw new UsageError("--json or --csv, not both");
  const config = await configFromProcess(flags.get("env-file") as string | undefined);
  const c = new ControlClient(
    config.dataDir,
    controlTarget(config.dataDir, {
      stream: config.BUS_STREAM,
      member: config.CONSUME_MEMBER,
      only: flags.has("consume"),
    }),
  );
  try {
    let out: { json: unknown; text: string; ok?: boolean };
    if (command === "show") out = await show(c, args, flags);
    else if (command === "sql") {
      if (args.length !== 1) throw new UsageError('sql needs one argument: "SELECT ..."');
      const r = await c.request<SqlResult>("POST", "/sql", { query: args[0] });
      if (flags.has("csv")) {
        await Deno.stdout.write(new TextEncoder().encode(csv(r.columns, r.rows)));
        return 0;
      }
      out = { json: sqlJson(r), text: sqlText(r) };
    } else out = await act(c, command, args);
    console.log(flags.has("json") ? JSON.stringify(out.json, null, 2) : out.text);
    return out.ok === false ? 1 : 0;
  } catch (e) {
    if (e instanceof NoCollectorError || e instanceof ControlRequestError) {
      console.error(`bmpmon: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
