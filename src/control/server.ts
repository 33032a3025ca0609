/**
 * The control endpoint of a running collector: HTTP with JSON bodies on a unix socket in
 * DATA_DIR (`bmpmon.sock`, mode 0600), so only the collector's own user on the same host
 * can reach it. Requests are listed in api.ts; `bmpmon show|clear|debug|flush|sql` are
 * its client.
 *
 * @module
 */

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
 * Makes way for the socket: creates DATA_DIR, and removes a socket left by a collector
 * that died. A socket that answers means another collector uses this DATA_DIR.
 */
async function prepare(dataDir: string, path: string): Promise<void> {
  try {
    await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
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
      `DATA_DIR=${JSON.stringify(dataDir)}: another bmpmon serve answers on ${path}`,
    );
  }
  await Deno.remove(path);
}

async function body(req: Request): Promise<Record<string, unknown>> {
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

/** Answers one control request. */
export async function handleControl(s: CollectorState, req: Request): Promise<Response> {
  const url = new URL(req.url);
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const get = req.method === "GET";
  const post = req.method === "POST";
  try {
    const [a, id, b, c] = parts;
    let out: unknown;
    if (get && a === "summary" && parts.length === 1) out = await summary(s);
    else if (get && a === "station" && parts.length === 1) out = await station(s);
    else if (get && a === "holddowns" && parts.length === 1) out = holddowns(s);
    else if (get && a === "clients" && parts.length === 1) out = clients(s);
    else if (a === "clients" && id !== undefined) {
      if (get && parts.length === 2) out = client(s, id);
      else if (get && b === "peers" && parts.length <= 4) out = peers(s, id, c);
      else if (get && b === "peers" && parts.length === 5 && parts[4] === "messages") {
        out = peerMessages(s, id, c, positive(url.searchParams.get("n"), 20, "n"));
      } else if (get && b === "messages" && parts.length === 3) {
        out = messages(s, id, positive(url.searchParams.get("n"), 20, "n"));
      } else if (post && b === "clear" && parts.length === 3) out = await clear(s, id);
      else if (post && b === "flush" && parts.length === 3) out = await flush(s, id);
      else if (b === "debug" && parts.length === 3 && (get || post)) {
        const on = post ? (await body(req)).on : undefined;
        if (post && typeof on !== "boolean") {
          throw new ControlError(400, 'debug needs {"on": true|false}');
        }
        out = debug(s, id, on as boolean | undefined);
      }
    } else if (get && a === "routes" && parts.length === 1) {
      const prefix = url.searchParams.get("prefix");
      if (!prefix) throw new ControlError(400, "routes needs ?prefix=");
      out = await routes(
        s,
        prefix,
        url.searchParams.get("match") ?? "longest",
        positive(url.searchParams.get("limit"), ROUTES_LIMIT, "limit"),
      );
    } else if (post && a === "sql" && parts.length === 1) {
      const q = (await body(req)).query;
      if (typeof q !== "string" || !q.trim()) {
        throw new ControlError(400, 'sql needs {"query": "…"}');
      }
      try {
        out = await s.store.query(q);
      } catch (e) {
        throw new ControlError(400, (e as Error).message.split("\n")[0]);
      }
    }
    if (out === undefined) {
      throw new ControlError(404, `no such request: ${req.method} ${url.pathname}`);
    }
    return Response.json(out);
  } catch (e) {
    const status = e instanceof ControlError ? e.status : 500;
    return Response.json({ error: (e as Error).message.split("\n")[0] }, { status });
  }
}

/**
 * Starts the control endpoint on `DATA_DIR/bmpmon.sock`.
 *
 * @throws {ConfigError} when DATA_DIR cannot be created or another collector uses it
 */
export async function startControlServer(
  dataDir: string,
  state: CollectorState,
  onError?: (e: unknown) => void,
): Promise<ControlServer> {
  const path = controlSocketPath(dataDir);
  await prepare(dataDir, path);
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
    }, (req) => handleControl(state, req));
  } catch (e) {
    throw new ConfigError(
      `DATA_DIR=${JSON.stringify(dataDir)}: cannot listen on ${path}: ${(e as Error).message}`,
    );
  }
  await listening;
  // Deno creates the socket with the umask's mode: narrow it at once (a DATA_DIR created
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
