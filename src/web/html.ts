/**
 * HTML of the looking glass: a tagged template that escapes every interpolated value
 * unless it is already {@linkcode Html}, and the page layout. Every byte that comes from a
 * router (sysName, communities, AS paths) or from a request reaches the page through
 * {@linkcode escapeHtml}, so none of it can become markup.
 *
 * @module
 */

/** Markup that is safe to insert as is (built by {@linkcode html} or {@linkcode raw}). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Text as HTML character data or a quoted attribute value.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./html.ts";
 * if (escapeHtml(`<script>"x"&'y'`) !== "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;") {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Markup given by this program itself, never by input. */
export function raw(text: string): Html {
  return new Html(text);
}

function part(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (v === null || v === undefined || v === false) return "";
  if (Array.isArray(v)) return v.map(part).join("");
  return escapeHtml(String(v));
}

/**
 * Builds markup: values are escaped, {@linkcode Html} values and arrays of them are
 * inserted as they are; `null`, `undefined` and `false` print nothing.
 *
 * @example
 * ```ts
 * import { html } from "./html.ts";
 * const name = "<b>r1</b>";
 * const h = html`<td>${name}</td>${[html`<i>${1}</i>`, null]}`;
 * if (h.text !== "<td>&lt;b&gt;r1&lt;/b&gt;</td><i>1</i>") throw new Error(h.text);
 * ```
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1];
  return new Html(out);
}

/** A query string from pairs, for links (values URL-encoded; empty ones left out). */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** Whole numbers with thousands separators (as `show` prints them). */
export function num(n: number): string {
  return n.toLocaleString("en-US");
}

const NAV: [string, string][] = [
  ["/", "Overview"],
  ["/lookup", "Lookup"],
  ["/churn", "Churn"],
];

/** A whole page: head with the same-origin stylesheet and script, navigation, `body`. */
export function layout(title: string, body: Html): Html {
  return html`
    <!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>${title} · bmpmon</title>
        <link rel="stylesheet" href="/static/style.css">
        <link rel="icon" href="data:,">
        <script src="/static/copy.js" defer></script>
      </head>
      <body>
        <header><a class="brand" href="/">bmpmon</a><nav>${NAV.map(([href, label]) =>
          html`<a href="${href}">${label}</a>`
        )}</nav>
    <form class="search" method="get" action="/lookup"><input name="prefix" placeholder="prefix or address" aria-label="prefix or address"><button>Look up</button></form>
        </header>
        <main>
    <h1>${title}</h1>
    ${body}
        </main>
      </body>
    </html>
  `;
}
