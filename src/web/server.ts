/**
 * The looking glass (WEB_LISTEN): read-only, server-rendered pages of a running collector,
 * made by the same handlers as `show` and fixed SQL with `$n` parameters. Every answer
 * carries the security headers below; only GET and HEAD are served.
 *
 * ```text
 * GET /                       overview              GET /history?prefix=P   timeline
 * GET /routers/ID             a router's peers      GET /churn[?since=T]    top churn
 * GET /lookup?prefix=P&match=longest|exact|longer   GET /static/…           CSS, JS
 * ```
 *
 * @module
 */

import { listenHttp } from "../http_listen.ts";
import { ControlError } from "../control/handlers.ts";
import type { CollectorState } from "../control/state.ts";
import { COPY_JS, STYLE_CSS } from "./assets.ts";
import { authorize } from "./auth.ts";
import { type Html, html, layout } from "./html.ts";
import { InputError } from "./input.ts";
import { churnPage } from "./pages/churn.ts";
import { historyPage } from "./pages/history.ts";
import { lookupPage } from "./pages/lookup.ts";
import { overviewPage } from "./pages/overview.ts";
import { routerPage } from "./pages/router.ts";
import { RateSampler } from "./rates.ts";

/** Headers of every answer. */
export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; " +
    "script-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
};

/** Options of {@linkcode webHandler}. */
export interface WebOptions {
  /** WEB_TOKEN: required on every request when set. */
  token?: string;
  /** Called with errors that are not the request's fault (logged by the caller). */
  onError?: (e: unknown) => void;
}

function respond(status: number, body: string, type: string, extra: HeadersInit = {}): Response {
  const headers = new Headers({ ...SECURITY_HEADERS, "content-type": type });
  for (const [k, v] of new Headers(extra)) headers.set(k, v);
  return new Response(body, { status, headers });
}

function page(status: number, title: string, body: Html): Response {
  return respond(status, layout(title, body).text, "text/html; charset=utf-8");
}

function errorPage(status: number, title: string, message: string): Response {
  return page(status, title, html`<p class="error" role="alert">${message}</p>`);
}

async function route(
  s: CollectorState,
  rates: RateSampler,
  url: URL,
): Promise<Response> {
  const p = url.pathname, q = url.searchParams;
  if (p === "/static/style.css") return respond(200, STYLE_CSS, "text/css; charset=utf-8");
  if (p === "/static/copy.js") return respond(200, COPY_JS, "text/javascript; charset=utf-8");
  if (p === "/") return page(200, "Overview", await overviewPage(s, rates));
  if (p === "/lookup") {
    const prefix = q.get("prefix");
    return page(200, prefix ? `Lookup ${prefix}` : "Lookup", await lookupPage(s, q));
  }
  if (p === "/history") return page(200, `History of ${q.get("prefix")}`, await historyPage(s, q));
  if (p === "/churn") return page(200, "Top churn", await churnPage(s, q));
  const m = /^\/routers\/(\d{1,9})$/.exec(p);
  if (m) return page(200, `Router ${m[1]}`, await routerPage(s, m[1]));
  return errorPage(404, "Not found", `No page ${p}: see the overview.`);
}

/**
 * The request handler of the looking glass for collector `s`; `close()` stops its rate
 * sampler.
 */
export function webHandler(
  s: CollectorState,
  opts: WebOptions = {},
): { handle(req: Request): Promise<Response>; close(): void } {
  let messages = () => {
    let n = 0;
    for (const { child } of s.metrics.messages.children()) n += child.value;
    return n;
  };
  const rates = new RateSampler(() => messages());
  return {
    async handle(req) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        return respond(405, "method not allowed: the looking glass is read-only\n", "text/plain", {
          allow: "GET, HEAD",
        });
      }
      const auth = await authorize(req, opts.token);
      if (auth === "denied") {
        return respond(
          401,
          "token required: Authorization: Bearer TOKEN or ?token=TOKEN\n",
          "text/plain",
          {
            "www-authenticate": 'Bearer realm="bmpmon"',
          },
        );
      }
      if (auth !== "ok") {
        for (const [k, v] of Object.entries(SECURITY_HEADERS)) auth.headers.set(k, v);
        return auth;
      }
      try {
        return await route(s, rates, new URL(req.url));
      } catch (e) {
        if (e instanceof InputError) return errorPage(400, "Bad request", e.message);
        if (e instanceof ControlError) {
          return errorPage(e.status, e.status === 404 ? "Not found" : "Bad request", e.message);
        }
        opts.onError?.(e);
        return errorPage(500, "Error", `the page failed: ${(e as Error).message}`);
      }
    },
    close() {
      rates.stop();
      messages = () => 0;
    },
  };
}

/** A running looking glass. */
export interface WebServer {
  readonly addr: Deno.NetAddr;
  stop(): Promise<void>;
}

/** Starts the looking glass on `addr` for collector `s`. */
export async function startWebServer(
  addr: { hostname: string; port: number },
  s: CollectorState,
  opts: WebOptions = {},
): Promise<WebServer> {
  const h = webHandler(s, opts);
  let l;
  try {
    l = await listenHttp("WEB_LISTEN", addr, (req) => h.handle(req));
  } catch (e) {
    h.close();
    throw e;
  }
  return {
    addr: l.addr,
    async stop() {
      h.close();
      await l.stop();
    },
  };
}
