/**
 * `/metrics` and `/healthz` of a live `bmpmon serve` (METRICS_LISTEN) while routers
 * replay real captures: the exposition is valid text format (a strict parser, and
 * promtool when installed), its counters equal what the decoder finds in the captures,
 * and health follows the store.
 */

import { BmpSession } from "../../src/bmp/session.ts";
import { ControlClient } from "../../src/control/client.ts";
import type { DecodeError } from "../../src/wire/errors.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { DATABASE_URL, serve, type Served, until } from "../e2e/_serve.ts";
import {
  bytesOf,
  loadCapture,
  modelOf,
  type RouterModel,
  sessionEnd,
} from "../control/_capture.ts";
import { Router } from "../control/_live.ts";
import { HAS_PROMTOOL, parsePrometheusText, promtoolCheck, sampleValue } from "./_prom.ts";

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A Route Monitoring message whose BGP marker is not all ones, and its decode error code. */
function badMessage(): { bytes: Uint8Array; code: string } {
  const len = 6 + 42 + 23;
  const b = new Uint8Array(len);
  const dv = new DataView(b.buffer);
  b[0] = 3;
  dv.setUint32(1, len);
  dv.setUint16(6 + 42 + 16, 23);
  b[6 + 42 + 18] = 2;
  try {
    new BmpSession().decode(b, 0);
  } catch (e) {
    return { bytes: b, code: (e as DecodeError).code };
  }
  throw new Error("the crafted message decodes");
}

const NAME = "/metrics and /healthz of a live collector";

Deno.test({
  name: DATABASE_URL ? NAME : `${NAME} (skipped: no DATABASE_URL)`,
  ignore: !DATABASE_URL,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const A = await loadCapture(fixture("gobgp-frr-lab/gobgp-3.10-all-1k.bmp"));
    const M = await loadCapture(fixture("gobgp-frr-lab/frr-8.4-mirror-100.bmp"));
    const aCut = sessionEnd(A.messages);
    const models: RouterModel[] = [modelOf(A.messages.slice(0, aCut)), modelOf(M.messages)];
    const bad = badMessage();
    const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-metrics-" });
    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    let s: Served | undefined;
    const routers: Router[] = [];
    try {
      s = await serve({ DATA_DIR: dataDir, METRICS_LISTEN: `127.0.0.1:${port}` });
      const served = s;
      const ra = await Router.connect(s.port), rm = await Router.connect(s.port);
      const rb = await Router.connect(s.port);
      routers.push(ra, rm, rb);
      await ra.send(bytesOf(A, 0, aCut));
      await rm.send(M.data);
      await rb.send(bad.bytes);
      const messages = models.reduce((n, m) => n + m.messages, 0);
      const scrape = async () => {
        const res = await fetch(`${base}/metrics`);
        assertEquals(res.status, 200);
        assert(res.headers.get("content-type")!.startsWith("text/plain; version=0.0.4"));
        const text = await res.text();
        return { text, f: parsePrometheusText(text) };
      };
      await until(
        async () => {
          const { f } = await scrape();
          const got = f.get("bmpmon_messages_total")!.samples.reduce((n, x) => n + x.value, 0);
          return got === messages &&
            sampleValue(f, "bmpmon_decode_errors_total", { code: bad.code }) === 1;
        },
        60_000,
        "every message counted",
      );
      await new ControlClient(dataDir).request("POST", "/clients/1/flush");

      await t.step("counters equal the replayed captures' counts", async () => {
        const { text, f } = await scrape();
        const byType: Record<string, number> = {};
        const routes: Record<string, number> = {};
        for (const m of models) {
          for (const [k, v] of Object.entries(m.byType)) byType[k] = (byType[k] ?? 0) + v;
          for (const [k, v] of Object.entries(m.routes)) routes[k] = (routes[k] ?? 0) + v;
        }
        for (const s of f.get("bmpmon_messages_total")!.samples) {
          assertEquals(s.value, byType[s.labels.type] ?? 0, s.labels.type);
        }
        const got: Record<string, number> = {};
        for (const s of f.get("bmpmon_routes_total")!.samples) {
          got[`${s.labels.family}|${s.labels.action}`] = s.value;
        }
        assertEquals(got, routes);
        const bytes = models.reduce((n, m) => n + m.bytes, 0) + bad.bytes.length;
        assertEquals(sampleValue(f, "bmpmon_received_bytes_total"), bytes);
        assertEquals(sampleValue(f, "bmpmon_decode_errors_total", { code: bad.code }), 1);
        assertEquals(sampleValue(f, "bmpmon_router_sessions"), 3);
        assertEquals(sampleValue(f, "bmpmon_router_sessions_total"), 3);
        const up = models.reduce(
          (n, m) => n + [...m.peers.values()].filter((p) => p.state === "up").length,
          0,
        );
        assertEquals(sampleValue(f, "bmpmon_peers_up"), up);
        assertEquals(sampleValue(f, "bmpmon_spool_depth"), 0);
        // After the flush, every route handed to the store is in a committed batch.
        const nlri = models.reduce((n, m) => n + m.nlri, 0);
        const [{ n: history }] = await served.sql`SELECT count(*)::int AS n FROM route_history`;
        assertEquals(history, nlri, "route_history rows after the flush");
        assertEquals(sampleValue(f, "bmpmon_store_routes_total"), nlri, "store routes");
        const batches = sampleValue(f, "bmpmon_store_batches_total")!;
        assert(batches >= 1);
        assertEquals(sampleValue(f, "bmpmon_store_batch_routes_count"), batches);
        assertEquals(sampleValue(f, "bmpmon_store_batch_routes_sum"), nlri, "batch routes sum");
        assertEquals(sampleValue(f, "bmpmon_store_batch_commit_seconds_count"), batches);
        assertEquals(sampleValue(f, "bmpmon_store_errors_total"), 0);
        const stepSeconds = (step: string) =>
          sampleValue(f, "bmpmon_store_write_seconds_total", { step })!;
        for (const step of ["attrs", "history", "stage", "commit"]) {
          assert(stepSeconds(step) > 0, step);
        }
        // New routes take the plain insert, known ones the upsert: both are reported.
        assert(stepSeconds("insert") >= 0 && stepSeconds("upsert") >= 0);
        assert(stepSeconds("insert") + stepSeconds("upsert") > 0, "insert + upsert");
        if (HAS_PROMTOOL) {
          const r = await promtoolCheck(text);
          assertEquals(r?.ok, true, r?.output);
        }
      });

      await t.step("sessions follow connections", async () => {
        rm.close();
        rb.close();
        await until(
          async () => {
            const { f } = await scrape();
            return sampleValue(f, "bmpmon_router_sessions") === 1;
          },
          10_000,
          "two sessions closed",
        );
        const { f } = await scrape();
        assertEquals(sampleValue(f, "bmpmon_router_sessions_total"), 3);
      });

      await t.step("other paths and methods", async () => {
        const nf = await fetch(`${base}/nothing`);
        assertEquals(nf.status, 404);
        await nf.body?.cancel();
        const post = await fetch(`${base}/metrics`, { method: "POST" });
        assertEquals(post.status, 405);
        await post.body?.cancel();
      });

      await t.step("/healthz is 200 while the store answers, 503 while it does not", async () => {
        const h = async () => {
          const res = await fetch(`${base}/healthz`);
          return { status: res.status, body: await res.json() };
        };
        const ok = await h();
        assertEquals([ok.status, ok.body.status, ok.body.listener, ok.body.store.state], [
          200,
          "ok",
          true,
          "ok",
        ]);
        const db = new URL(served.url).pathname.slice(1);
        await served.sql.end();
        const { default: postgres } = await import("postgres");
        const admin = postgres(DATABASE_URL!, { max: 1, onnotice: () => {} });
        try {
          await admin.unsafe(`ALTER DATABASE ${db} ALLOW_CONNECTIONS false`);
          await admin.unsafe(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db}'`,
          );
          const down = await h();
          assertEquals([down.status, down.body.status, down.body.store.state], [
            503,
            "unhealthy",
            "error",
          ]);
          assert(String(down.body.store.error).startsWith("probe failed"), down.body.store.error);
          await admin.unsafe(`ALTER DATABASE ${db} ALLOW_CONNECTIONS true`);
          await until(async () => (await h()).status === 200, 10_000, "healthy again");
        } finally {
          await admin.unsafe(`ALTER DATABASE ${db} ALLOW_CONNECTIONS true`).catch(() => {});
          await admin.end();
        }
      });
    } finally {
      for (const r of routers) r.close();
      await s?.stop().catch(() => {});
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test("serve refuses a METRICS_LISTEN that is not loopback, in one line (exit 2)", async () => {
  for (const v of ["0.0.0.0:9419", "192.0.2.1:9419", "127.0.0.1", "[::]:9419"]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", new URL("../../main.ts", import.meta.url).pathname, "serve"],
      env: { METRICS_LISTEN: v, DATABASE_URL: "postgres://x@127.0.0.1:1/x" },
      stdout: "null",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr).trim();
    assertEquals(out.code, 2, err);
    assert(err.startsWith(`bmpmon: METRICS_LISTEN=${JSON.stringify(v)}: `), err);
    assertEquals(err.split("\n").length, 1, err);
  }
});
