/**
 * The client side of the control endpoint: one HTTP request over the collector's unix
 * socket, JSON in and out.
 *
 * @module
 */

import { dirname, join, resolve } from "node:path";
import type { Member } from "../bus/membership.ts";
import { consumeSocketPath, controlSocketPath } from "./api.ts";

/** No collector answers on the socket (exit code 1). */
export class NoCollectorError extends Error {}

/** The collector answered with an error (exit code 1); `message` is its one line. */
export class ControlRequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

/** Offset of the first CR LF at or after `from`, or -1. */
function crlf(b: Uint8Array, from: number): number {
  for (let i = from; i + 1 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
  return -1;
}

/** The body of a chunked transfer (RFC 9112 §7.1), without trailers. */
function dechunk(b: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let off = 0;;) {
    const eol = crlf(b, off);
    const size = eol < 0 ? 0 : parseInt(new TextDecoder().decode(b.subarray(off, eol)), 16);
    if (!(size > 0)) return concat(parts);
    parts.push(b.subarray(eol + 2, eol + 2 + size));
    off = eol + 2 + size + 2;
  }
}

/**
 * One HTTP/1.1 exchange on the unix socket at `socket` (`Connection: close`). Written
 * out rather than `fetch` through a unix-socket client, which Deno checks against the
 * URL's host: this needs only the socket's own permission (`--allow-net=unix:PATH`).
 */
async function exchange(
  socket: string,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  const enc = new TextEncoder();
  const payload = enc.encode(body ?? "");
  const head = `${method} ${path} HTTP/1.1\r\nhost: bmpmon\r\nconnection: close\r\n` +
    (body === undefined ? "" : "content-type: application/json\r\n") +
    `content-length: ${payload.length}\r\n\r\n`;
  const conn = await Deno.connect({ transport: "unix", path: socket });
  const chunks: Uint8Array[] = [];
  try {
    const out = concat([enc.encode(head), payload]);
    for (let off = 0; off < out.length;) off += await conn.write(out.subarray(off));
    const buf = new Uint8Array(64 * 1024);
    for (let n; (n = await conn.read(buf)) !== null;) chunks.push(buf.slice(0, n));
  } finally {
    conn.close();
  }
  const all = concat(chunks);
  let end = -1;
  for (let at = 0; (at = crlf(all, at)) >= 0; at += 2) {
    if (all[at + 2] === 13 && all[at + 3] === 10) {
      end = at;
      break;
    }
  }
  const headers = new TextDecoder().decode(all.subarray(0, Math.max(0, end))).toLowerCase();
  const status = /^http\/1\.[01] (\d{3})/.exec(headers);
  if (end < 0 || !status) throw new Error("malformed HTTP answer");
  const raw = all.subarray(end + 4);
  const chunked = /\r\ntransfer-encoding:\s*chunked/.test(headers);
  return {
    status: Number(status[1]),
    body: new TextDecoder().decode(chunked ? dechunk(raw) : raw),
  };
}

/** Which process a {@linkcode ControlClient} asks: `serve` (the default) or `consume`. */
export interface ControlTarget {
  /** Its socket. */
  path: string;
  /** What the "no collector" line asks after, e.g. `bmpmon consume`. */
  who: string;
  /** What it adds after `DATA_DIR=…` in that line (the stream and member). */
  hint?: string;
}

/**
 * The socket `bmpmon show …` asks, in this order: `serve`'s (DATA_DIR/bmpmon.sock) if that
 * socket file is there (unless `only` consume is asked for, `--consume`); that of consume
 * member CONSUME_MEMBER of BUS_STREAM (api.ts `consumeSocketPath`) if it is there; the one
 * consume socket in DATA_DIR/consume if there is exactly one; else `serve`'s (consume's
 * with `only`), whose absence the "no collector running" line then tells.
 */
export function controlTarget(
  dataDir: string,
  consume: { stream: string; member: Member; only: boolean },
): ControlTarget {
  const serve = controlSocketPath(dataDir);
  const isSocket = (p: string) => {
    try {
      return Deno.lstatSync(p).isSocket;
    } catch {
      return false;
    }
  };
  const { stream, member } = consume;
  const mine = consumeSocketPath(dataDir, stream, member);
  const target = (path: string) => ({
    path,
    who: "bmpmon consume",
    hint: `, BUS_STREAM=${stream}, CONSUME_MEMBER=${member.index}/${member.count}`,
  });
  const serveTarget = { path: serve, who: "bmpmon serve" };
  if (!consume.only && isSocket(serve)) return serveTarget;
  if (isSocket(mine)) return target(mine);
  const others = consumeSockets(dataDir);
  if (others.length === 1) return target(others[0]);
  return consume.only ? target(mine) : serveTarget;
}

/** The consume sockets in DATA_DIR/consume. */
function consumeSockets(dataDir: string): string[] {
  const dir = dirname(consumeSocketPath(dataDir, "x", { index: 1, count: 1 }));
  try {
    return [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".sock"))
      .map((e) => join(dir, e.name)).filter((p) => Deno.lstatSync(p).isSocket).sort();
  } catch {
    return [];
  }
}

/** A connection to the control endpoint of the collector (or consume) using `dataDir`. */
export class ControlClient {
  readonly path: string;
  readonly #dataDir: string;
  readonly #who: string;
  readonly #hint: string;

  /** @param target the socket to ask (default: `serve`'s, DATA_DIR/bmpmon.sock) */
  constructor(dataDir: string, target?: ControlTarget) {
    this.#dataDir = resolve(dataDir);
    this.path = target?.path ?? controlSocketPath(dataDir);
    this.#who = target?.who ?? "bmpmon serve";
    this.#hint = target?.hint ?? "";
  }

  /** Sends one request; returns the parsed JSON answer. */
  async request<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    let res: { status: number; body: string };
    try {
      res = await exchange(
        this.path,
        method,
        path,
        body === undefined ? undefined : JSON.stringify(body),
      );
    } catch (e) {
      throw this.#whyUnreachable(e);
    }
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      throw new ControlRequestError(
        res.status,
        `bad answer from the collector: ${res.body.slice(0, 200)}`,
      );
    }
    if (res.status < 200 || res.status > 299) {
      const msg = (json as { error?: string })?.error ?? `HTTP ${res.status}`;
      throw new ControlRequestError(res.status, msg);
    }
    return json as T;
  }

  #whyUnreachable(e: unknown): Error {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.ConnectionRefused) {
      return new NoCollectorError(
        `no ${this.#who === "bmpmon serve" ? "collector" : "consume"} running at ${this.path} ` +
          `(is \`${this.#who}\` running with DATA_DIR=${this.#dataDir}${this.#hint}?)`,
      );
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      return new ControlRequestError(
        0,
        `cannot reach the collector at ${this.path}: permission denied (run as its user)`,
      );
    }
    return new ControlRequestError(
      0,
      `the collector at ${this.path} did not answer: ${(e as Error).message}`,
    );
  }
}
