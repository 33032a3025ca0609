/**
 * The looking glass's request handling without a collector: a stand-in state whose store
 * answers as PostgreSQL would, so headers, status codes, the token rule, validation and
 * escaping are checked on the real handler.
 */

import type { CollectorState } from "../../src/control/state.ts";
import type { QueryResult } from "../../src/control/query.ts";
import { cookieValue } from "../../src/web/auth.ts";
import { parsePrefix } from "../../src/web/input.ts";
import { SECURITY_HEADERS, webHandler } from "../../src/web/server.ts";
import { assert, assertEquals } from "../_assert.ts";

const EVIL = `<script>alert(1)</script>`;

/** A state whose store records statements and returns one route with hostile text. */
function fakeState(seen: { text: string; params: unknown[] }[]): CollectorState {
  const columns = [
    "router",
    "peer",
    "peer_asn",
    "peer_type",
    "post_policy",
    "adj_rib_out",
    "loc_rib",
    "table_name",
    "afi",
    "safi",
    "rd",
    "prefix",
    "path_id",
    "as_path_text",
    "next_hop",
    "communities",
    "large_communities",
    "last_change",
    "rpki_state",
  ];
  const query = (text: string, params: unknown[] = []): Promise<QueryResult> => {
    seen.push({ text, params });
    return Promise.resolve({
      columns,
      rows: [[
        EVIL,
        "192.0.2.1",
        65001,
        "global",
        false,
        false,
        false,
        null,
        1,
        1,
        null,
        "192.0.2.0/24",
        null,
        "65001 65002",
        "192.0.2.254",
        [`65001:1`, EVIL],
        [],
        "2026-12-01T00:00:00.000Z",
        null,
      ]],
    });
  };
  return {
    store: { kind: "postgresql", query, writer: { stats: {} }, flush: () => Promise.resolve() },
    metrics: { messages: { children: () => [] } },
  } as unknown as CollectorState;
}

async function get(
  h: ReturnType<typeof webHandler>,
  path: string,
  init: RequestInit = {},
): Promise<[Response, string]> {
  const r = await h.handle(new Request(`http://127.0.0.1:8080${path}`, init));
  return [r, await r.text()];
}

Deno.test("looking glass sets the security headers on pages, errors and assets", async () => {
  const h = webHandler(fakeState([]));
  try {
    for (
      const path of ["/lookup?prefix=192.0.2.1", "/nope", "/lookup?prefix=x", "/static/style.css"]
    ) {
      const [r] = await get(h, path);
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
        assertEquals(r.headers.get(k), v, `${path} ${k}`);
      }
    }
    const [r] = await get(h, "/static/copy.js");
    assertEquals(r.headers.get("content-type"), "text/javascript; charset=utf-8");
  } finally {
    h.close();
  }
});

Deno.test("looking glass answers 400 with the message for a bad prefix, 404, 405", async () => {
  const seen: { text: string; params: unknown[] }[] = [];
  const h = webHandler(fakeState(seen));
  try {
    for (
      const bad of ["10.0.0.256", "10.0.0.0/33", "2001:db8::/129", "1.2.3", "'; DROP TABLE rib; --"]
    ) {
      const [r, body] = await get(h, `/lookup?prefix=${encodeURIComponent(bad)}`);
      assertEquals(r.status, 400, bad);
      assert(body.includes(`class="error"`) && /prefix/.test(body), body);
    }
    assertEquals(seen.length, 0, "no statement reaches the store for bad input");
    const [m] = await get(h, "/lookup?prefix=192.0.2.1&match=closest");
    assertEquals(m.status, 400);
    const [n, nb] = await get(h, "/routers/x");
    assertEquals(n.status, 404);
    assert(nb.includes("No page /routers/x"));
    for (const method of ["POST", "PUT", "DELETE"]) {
      const [r] = await get(h, "/", { method });
      assertEquals([r.status, r.headers.get("allow")], [405, "GET, HEAD"], method);
    }
  } finally {
    h.close();
  }
});

Deno.test("looking glass escapes router text and sends the prefix only as a $1 parameter", async () => {
  const seen: { text: string; params: unknown[] }[] = [];
  const h = webHandler(fakeState(seen));
  try {
    const [r, body] = await get(h, "/lookup?prefix=192.0.2.1");
    assertEquals(r.status, 200);
    assert(!body.includes(EVIL), "no raw <script> from the store");
    assert(body.includes("&lt;script&gt;alert(1)&lt;/script&gt;"), "escaped instead");
    assertEquals(seen.length, 1);
    assertEquals(seen[0].params[0], "192.0.2.1");
    assert(!seen[0].text.includes("192.0.2.1"), "the prefix is not in the statement's text");
    // The SQL block shows the statement that ran, with its parameters, as psql input.
    assert(body.includes("EXECUTE lg(&#39;192.0.2.1&#39;, 1001);"), "psql EXECUTE line");
  } finally {
    h.close();
  }
});

Deno.test("looking glass token: Bearer or ?token= once (then an HttpOnly SameSite=Strict cookie)", async () => {
  const token = "s3cret-token-0123456789";
  const h = webHandler(fakeState([]), { token });
  try {
    assertEquals((await get(h, "/static/style.css"))[0].status, 401);
    assertEquals((await get(h, "/static/style.css?token=wrong-token-0123456789"))[0].status, 401);
    const bearer = { headers: { authorization: `Bearer ${token}` } };
    assertEquals((await get(h, "/static/style.css", bearer))[0].status, 200);
    const [redirect] = await get(h, `/lookup?prefix=192.0.2.1&token=${token}`);
    assertEquals(redirect.status, 303);
    assertEquals(redirect.headers.get("location"), "/lookup?prefix=192.0.2.1");
    const cookie = redirect.headers.get("set-cookie")!;
    assert(cookie.includes("HttpOnly") && cookie.includes("SameSite=Strict"), cookie);
    assert(!cookie.includes(token), "the cookie does not carry the token itself");
    const value = cookie.split(";")[0];
    assertEquals(value, `bmpmon_web=${await cookieValue(token)}`);
    assertEquals(
      (await get(h, "/static/style.css", { headers: { cookie: value } }))[0].status,
      200,
    );
  } finally {
    h.close();
  }
});

Deno.test("parsePrefix() takes addresses and prefixes of both families", () => {
  for (
    const ok of [
      "192.0.2.1",
      "0.0.0.0/0",
      "2001:db8::",
      "::",
      "::ffff:192.0.2.1",
      "2001:db8:0:0:0:0:0:1/128",
    ]
  ) {
    assertEquals(parsePrefix(ok), ok);
  }
  for (
    const bad of ["", "01.2.3.4", "2001:db8:::1", "1:2:3:4:5:6:7:8:9", "192.0.2.1/", "192.0.2.1/x"]
  ) {
    let threw = false;
    try {
      parsePrefix(bad);
    } catch {
      threw = true;
    }
    assert(threw, bad);
  }
});
