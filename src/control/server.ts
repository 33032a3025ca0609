/**
 * The control endpoint of a running collector: HTTP with JSON bodies on a unix socket in
 * DATA_DIR (`bmpmon.sock`, mode 0600), so only the collector's own user on the same host
 * can reach it. Requests are listed in api.ts; `bmpmon show|clear|debug|flush|sql` are
 * its client.
 *
 * @module
 */

import { dirname } from "node:path";
import { ConfigError } from "../config.ts";
import { controlSocketPath } from "./api.ts";
import {
  clear,
  client,
  clients,
  ControlError,
  debug,
  flush,
  messages,
  peerMessages,
  peers,
  routes,
  ROUTES_LIMIT,
  sql,
  summary,
} from "./handlers.ts";
import type { CollectorState } from "./state.ts";
import { holddowns, station } from "./station.ts";

/** A running control endpoint. */
export interface ControlServer {
  readonly path: string;
  /** Stops serving and removes the socket. */
  stop(): Promise<void>;
}

async function isSocketAlive(path: string): Promise<boolean> {
  try {
    const c = await Deno.connect({ transport: "unix", path });
    c.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes way for the socket: creates its directory (DATA_DIR, or a directory in it), and
 * removes a socket left by a process that died. A socket that answers means another
 * `who` (`bmpmon serve`) uses this DATA_DIR.
 */
async function prepare(dataDir: string, path: string, who: string): Promise<void> {
  try {
    await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
    await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new ConfigError(`DATA_DIR=${JSON.stringify(dataDir)}: ${(e as Error).message}`);
  }
  let st: Deno.FileInfo;
  try {
    st = await Deno.lstat(path);
  } catch {
    return; // no socket yet
  }
  if (!st.isSocket) {
    throw new ConfigError(
      `DATA_DIR=${JSON.stringify(dataDir)}: ${path} exists and is not a socket; remove it`,
    );
  }
  if (await isSocketAlive(path)) {
    throw new ConfigError(
      `DATA_DIR=${JSON.stringify(dataDir)}: another ${who} answers on ${path}`,
    );
  }
  await Deno.remove(path);
}

/** The JSON object in a request's body (`{}` when empty). */
export async function body(req: Request): Promise<Record<string, unknown>> {
  const text = await req.text();
  if (!text) return {};
  try {
    const v = JSON.parse(text);
    if (v && typeof v === "object" && !Array.isArray(v)) return v;
  } catch { /* below */ }
  throw new ControlError(400, "the request body must be a JSON object");
}

function positive(v: string | null, fallback: number, name: string): number {
  if (v === null) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new ControlError(400, `${name} ${v}: not a whole number >= 1`);
  }
  return n;
}

/** One control request, its path split at `/` and decoded. */
export interface ControlRequest {
  req: Request;
  url: URL;
  parts: string[];
  get: boolean;
  post: boolean;
}

/**
 * Answers a control request with the JSON of `route` (undefined: 404 naming the request,
 * then `hint`); a {@linkcode ControlError} gives its status, any other error 500, each
 * with `{"error": "one line"}`.
 */
export async function respond(
  req: Request,
  route: (r: ControlRequest) => unknown,
  hint = "",
): Promise<Response> {
  const url = new URL(req.url);
  try {
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const out = await route({
      req,
      url,
      parts,
      get: req.method === "GET",
      post: req.method === "POST",
    });
    if (out === undefined) {
      throw new ControlError(404, `no such request: ${req.method} ${url.pathname}${hint}`);
    }
    return Response.json(out);
  } catch (e) {
    const status = e instanceof ControlError ? e.status : 500;
    return Response.json({ error: (e as Error).message.split("\n")[0] }, { status });
  }
}

/** `GET /routes?prefix=P&match=M&limit=N` on the store of `s`. */
export function routesRequest(
  s: Parameters<typeof routes>[0],
  url: URL,
): ReturnType<typeof routes> {
  const prefix = url.searchParams.get("prefix");
  if (!prefix) throw new ControlError(400, "routes needs ?prefix=");
  return routes(
    s,
    prefix,
    url.searchParams.get("match") ?? "longest",
    positive(url.searchParams.get("limit"), ROUTES_LIMIT, "limit"),
  );
}

/** Answers one control request. */
export function handleControl(s: CollectorState, req: Request): Promise<Response> {
  return respond(req, async ({ url, parts, get, post }) => {
    const [a, id, b, c] = parts;
    if (get && a === "summary" && parts.length === 1) return await summary(s);
    if (get && a === "station" && parts.length === 1) return await station(s);
    if (get && a === "holddowns" && parts.length === 1) return holddowns(s);
    if (get && a === "clients" && parts.length === 1) return clients(s);
    if (a === "clients" && id !== undefined) {
      if (get && parts.length === 2) return client(s, id);
      if (get && b === "peers" && parts.length <= 4) return peers(s, id, c);
      if (get && b === "peers" && parts.length === 5 && parts[4] === "messages") {
        return peerMessages(s, id, c, positive(url.searchParams.get("n"), 20, "n"));
      }
      if (get && b === "messages" && parts.length === 3) {
        return messages(s, id, positive(url.searchParams.get("n"), 20, "n"));
      }
      if (post && b === "clear" && parts.length === 3) return await clear(s, id);
      if (post && b === "flush" && parts.length === 3) return await flush(s, id);
      if (b === "debug" && parts.length === 3 && (get || post)) {
        const on = post ? (await body(req)).on : undefined;
        if (post && typeof on !== "boolean") {
          throw new ControlError(400, 'debug needs {"on": true|false}');
        }
        return debug(s, id, on as boolean | undefined);
      }
      return undefined;
    }
    if (get && a === "routes" && parts.length === 1) return await routesRequest(s, url);
    if (post && a === "sql" && parts.length === 1) return await sql(s, (await body(req)).query);
    return undefined;
  });
}

/**
 * Starts the control endpoint on `DATA_DIR/bmpmon.sock`.
 *
 * @throws {ConfigError} when DATA_DIR cannot be created or another collector uses it
 */
export function startControlServer(
  dataDir: string,
  state: CollectorState,
  onError?: (e: unknown) => void,
): Promise<ControlServer> {
  return listenControl(controlSocketPath(dataDir), (req) => handleControl(state, req), {
    dataDir,
    who: "bmpmon serve",
    onError,
  });
}

/**
 * Serves `handler` on the unix socket `path` (mode 0600) in `dataDir`: the control
 * endpoint of `serve` and of `consume`.
 *
 * @throws {ConfigError} when the directory cannot be created or another `who` answers there
 */
export async function listenControl(
  path: string,
  handler: (req: Request) => Promise<Response>,
  opts: { dataDir: string; who: string; onError?: (e: unknown) => void },
): Promise<ControlServer> {
  const { dataDir, onError } = opts;
  await prepare(dataDir, path, opts.who);
  const { promise: listening, resolve } = Promise.withResolvers<void>();
  let server: Deno.HttpServer<Deno.UnixAddr>;
  try {
    server = Deno.serve({
      path,
      onListen: () => resolve(),
      onError: (e) => {
        onError?.(e);
        return Response.json({ error: "internal error" }, { status: 500 });
      },
    }, handler);
  } catch (e) {
    throw new ConfigError(
      `DATA_DIR=${JSON.stringify(dataDir)}: cannot listen on ${path}: ${(e as Error).message}`,
    );
  }
  await listening;
  // Deno creates the socket with the umask's mode: narrow it at once (a directory created
  // here is 0700, which closes the gap before this for everyone else).
  await Deno.chmod(path, 0o600);
  return {
    path,
    async stop() {
      await server.shutdown();
      try {
        await Deno.remove(path);
      } catch { /* Deno removed it */ }
    },
  };
}
