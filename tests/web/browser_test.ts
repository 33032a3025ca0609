/**
 * The looking glass in headless Chromium against a live `bmpmon serve` holding the GoBGP
 * and FRR lab captures (sent up to their Peer Down on connections kept open) and the M320
 * full table: every page renders without console errors, a longest-match lookup shows the
 * rows of `show routes`, a prefix's timeline has one mark per history row, and bad input
 * shows its message. Screenshots go to the test's temp dir (and, with
 * BMPMON_WRITE_SCREENSHOT=1, the overview to docs/looking-glass.png).
 */

import type { ClientInfo, RoutesResult } from "../../src/control/api.ts";
import { ControlClient } from "../../src/control/client.ts";
import { readInput } from "../../src/io/file.ts";
import { routeCells } from "../../src/web/pages/lookup.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { taskArgs } from "../_tasks.ts";
import { bytesOf, loadCapture, sessionEnd } from "../control/_capture.ts";
import { cliOk, Router } from "../control/_live.ts";
import { DATABASE_URL, serve, type Served, until } from "../e2e/_serve.ts";
import { Browser, CHROMIUM } from "./_cdp.ts";

const NAME = "looking glass in Chromium: lab captures and the M320, pages match show and SQL";
const M320 = fixture("juniper-m320/m320.bmp.xz");
const why = !DATABASE_URL ? "no DATABASE_URL" : !CHROMIUM ? "no /usr/bin/chromium" : undefined;

function messageCount(data: Uint8Array): number {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let n = 0;
  for (let off = 0; off + 6 <= data.length; n++) off += dv.getUint32(off + 1);
  return n;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test({
  name: why ? `${NAME} (skipped: ${why})` : NAME,
  ignore: why !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const A = await loadCapture(fixture("gobgp-frr-lab/gobgp-3.10-all-1k.bmp"));
    const B = await loadCapture(fixture("gobgp-frr-lab/frr-8.4-prepost-1k.bmp"));
    const m320 = await readInput(M320);
    const aCut = sessionEnd(A.messages), bCut = sessionEnd(B.messages);
    const want = [aCut, bCut, messageCount(m320)].sort((x, y) => x - y);
    const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-web-" });
    const shots = await Deno.makeTempDir({ prefix: "bmpmon-web-shots-" });
    const webPort = freePort();
    const base = `http://127.0.0.1:${webPort}`;
    const client = new ControlClient(dataDir);
    const routers: Router[] = [];
    let s: Served | undefined;
    let browser: Browser | undefined;
    try {
      // As README says: `WEB_LISTEN=... deno task start`, under exactly its permission flags.
      s = await serve({ DATA_DIR: dataDir, WEB_LISTEN: `127.0.0.1:${webPort}` }, {
        denoArgs: (env) => taskArgs("start", env),
      });
      for (const bytes of [bytesOf(A, 0, aCut), bytesOf(B, 0, bCut), m320]) {
        const r = await Router.connect(s.port);
        routers.push(r);
        await r.send(bytes);
      }
      let list: ClientInfo[] = [];
      await until(
        async () => {
          list = await client.request<ClientInfo[]>("GET", "/clients");
          return JSON.stringify(list.map((c) => c.messages).sort((x, y) => x - y)) ===
            JSON.stringify(want);
        },
        240_000,
        "every message of the three routers counted",
      );
      // Everything received; the M320 may still be going in (a flush waits 15 s at most, and
      // CI's fuzz runs alongside): flush until it answers that all is committed.
      await until(
        () =>
          client.request("POST", `/clients/${list[0].id}/flush`).then(() => true, (e) => {
            if (!String(e).includes("did not drain")) throw e;
            return false;
          }),
        240_000,
        "everything committed",
      );
      browser = await Browser.start();
      const b = browser;
      const visit = async (path: string, shot: string) => {
        const before = b.errors.length;
        await b.navigate(base + path);
        await b.screenshot(`${shots}/${shot}.png`);
        assertEquals(b.errors.slice(before), [], `console errors on ${path}`);
      };
      const cells = () =>
        b.evaluate<string[][]>(
          `[...document.querySelectorAll("table.routes tr")].slice(1).map((tr) => [...tr.cells].map((td) => td.textContent))`,
        );

      await t.step("overview lists the three routers", async () => {
        await visit("/", "overview");
        const ids = await b.evaluate<string[]>(
          `[...document.querySelectorAll("table.routers tr td:first-child")].map((td) => td.textContent)`,
        );
        assertEquals(ids.sort(), list.map((c) => String(c.id)).sort());
        if (Deno.env.get("BMPMON_WRITE_SCREENSHOT") === "1") {
          await Deno.copyFile(
            `${shots}/overview.png`,
            new URL("../../docs/looking-glass.png", import.meta.url),
          );
        }
      });

      await t.step("each router's page", async () => {
        for (const c of list) await visit(`/routers/${c.id}`, `router-${c.id}`);
      });

      for (const addr of ["1.0.4.1", "8.8.8.8", "2001:db8::1"]) {
        await t.step(`longest-match lookup of ${addr} shows the rows of show routes`, async () => {
          await visit(
            `/lookup?prefix=${encodeURIComponent(addr)}`,
            `lookup-${addr.replaceAll(":", "_")}`,
          );
          const shown = JSON.parse(
            await cliOk(dataDir, "show", "routes", addr, "--json"),
          ) as RoutesResult;
          assertEquals(await cells(), shown.routes.map(routeCells));
          if (addr === "8.8.8.8") assert(shown.routes.length > 0, "the M320 carries 8.8.8.8");
        });
      }

      await t.step("history timelines have one mark per row of v_route_history", async () => {
        const rows = await s!.sql`SELECT text(prefix) AS p,
            count(*) FILTER (WHERE NOT withdrawn)::int AS a, count(*) FILTER (WHERE withdrawn)::int AS w
          FROM route_history WHERE prefix IS NOT NULL GROUP BY prefix
          HAVING bool_or(withdrawn) AND bool_or(NOT withdrawn)
          ORDER BY count(*) DESC, prefix LIMIT 1`;
        const m320Withdrawn = await s!.sql`SELECT text(prefix) AS p,
            count(*) FILTER (WHERE NOT withdrawn)::int AS a, count(*) FILTER (WHERE withdrawn)::int AS w
          FROM route_history WHERE prefix = '103.81.24.0/24' GROUP BY prefix`;
        for (const { p, a, w } of [...rows, ...m320Withdrawn]) {
          await visit(
            `/history?prefix=${encodeURIComponent(p)}`,
            `history-${p.replace(/[/:]/g, "_")}`,
          );
          const marks = await b.evaluate<{ a: number; w: number }>(
            `({ a: document.querySelectorAll("svg.timeline .mark.announce").length,
               w: document.querySelectorAll("svg.timeline .mark.withdraw").length })`,
          );
          assertEquals(marks, { a, w }, `marks of ${p}`);
          assert(w > 0 && a > 0, `${p} has announcements and withdrawals`);
        }
      });

      await t.step("top churn", () => visit("/churn", "churn"));

      await t.step("bad input shows its message with status 400", async () => {
        const r = await fetch(`${base}/lookup?prefix=10.1.2.300`);
        await r.body?.cancel();
        assertEquals(r.status, 400);
        await b.navigate(`${base}/lookup?prefix=10.1.2.300`);
        const msg = await b.evaluate<string>(`document.querySelector(".error").textContent`);
        assert(msg.startsWith("not an IPv4 or IPv6 prefix or address"), msg);
        await b.screenshot(`${shots}/bad-input.png`);
      });
      console.log(`screenshots: ${shots}`);
    } finally {
      await browser?.close();
      for (const r of routers) r.close();
      await s?.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
