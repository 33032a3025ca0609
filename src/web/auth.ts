/**
 * The WEB_TOKEN rule. With a token set, a request needs `Authorization: Bearer TOKEN` or
 * the session cookie; `?token=TOKEN` once sets that cookie (HttpOnly, SameSite=Strict, so
 * no other site's page can send it) and redirects to the same URL without the token, so
 * it stays out of the address bar, history and logs. The cookie holds a SHA-256 of the
 * token, not the token.
 *
 * @module
 */

/** Name of the session cookie. */
export const COOKIE = "bmpmon_web";

/** What the cookie holds for `token`. */
export async function cookieValue(token: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`bmpmon-web:${token}`));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compares in time independent of where the texts differ. */
function same(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a), y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

function cookieOf(req: Request): string | undefined {
  for (const c of (req.headers.get("cookie") ?? "").split(";")) {
    const [k, ...v] = c.trim().split("=");
    if (k === COOKIE) return v.join("=");
  }
  return undefined;
}

/**
 * `"ok"`, a redirect that sets the cookie, or `"denied"`; always `"ok"` without a token.
 */
export async function authorize(
  req: Request,
  token: string | undefined,
): Promise<"ok" | "denied" | Response> {
  if (!token) return "ok";
  const auth = req.headers.get("authorization") ?? "";
  if (auth.startsWith("Bearer ") && same(auth.slice(7).trim(), token)) return "ok";
  const expected = await cookieValue(token);
  const cookie = cookieOf(req);
  if (cookie !== undefined && same(cookie, expected)) return "ok";
  const url = new URL(req.url);
  const given = url.searchParams.get("token");
  if (given !== null && same(given, token)) {
    url.searchParams.delete("token");
    return new Response(null, {
      status: 303,
      headers: {
        location: url.pathname + url.search,
        "set-cookie": `${COOKIE}=${expected}; Path=/; HttpOnly; SameSite=Strict`,
      },
    });
  }
  return "denied";
}
