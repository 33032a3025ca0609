/**
 * Page speed of the looking glass on the M320 store: the full table (707,580 NLRI) is sent
 * to a `bmpmon serve` with WEB_LISTEN on the PostgreSQL at DATABASE_URL (a scratch
 * database, created and dropped), then the overview and a longest-match lookup are each
 * requested N times (BENCH_REQUESTS, default 50) one after another. Prints the median and
 * max in ms against the bar of 200 ms (issue 12). No assertions.
 *
 * Run: `DATABASE_URL=postgres://postgres@127.0.0.1:55433/postgres deno task bench:web`
 *
 * @module
 */

import { readInput } from "../src/io/file.ts";
import { serve, until } from "../tests/e2e/_serve.ts";

const url = Deno.env.get("DATABASE_URL");
if (!url) {
  console.log("web_pages: skipped, DATABASE_URL is not set");
  Deno.exit(0);
}
const N = Number(Deno.env.get("BENCH_REQUESTS") ?? 50);
const BAR_MS = 200;
const stream = await readInput(
  new URL("../tests/fixtures/juniper-m320/m320.bmp.xz", import.meta.url).pathname,
);
const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const webPort = (l.addr as Deno.NetAddr).port;
l.close();
const s = await serve({ WEB_LISTEN: `127.0.0.1:${webPort}` }, { server: url });
const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
try {
  for (let off = 0; off < stream.length;) off += await conn.write(stream.subarray(off));
  await until(
    async () => (await s.sql`SELECT count(*)::int AS n FROM route_history`)[0].n >= 707_580,
    300_000,
    "the M320 table committed",
  );
  const time = async (path: string) => {
    const ms: number[] = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const r = await fetch(`http://127.0.0.1:${webPort}${path}`);
      await r.text();
      ms.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
    }
    ms.sort((a, b) => a - b);
    const median = ms[Math.floor(ms.length / 2)], max = ms[ms.length - 1];
    console.log(
      `${path.padEnd(26)} median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms over ${N}` +
        ` (bar ${BAR_MS} ms: ${max <= BAR_MS ? "met" : "MISSED"})`,
    );
  };
  await time("/");
  await time("/lookup?prefix=8.8.8.8");
  await time("/lookup?prefix=103.81.24.0/22&match=longer");
  // serve analyzes rib as it grows (src/store/analyze.ts); before that job the lookup right
  // after a load waited for autovacuum's statistics. Timed again after an explicit ANALYZE.
  await s.sql`ANALYZE rib, path_attrs, peers, routers`;
  console.log("after ANALYZE:");
  await time("/lookup?prefix=8.8.8.8");
  if (Deno.env.get("BENCH_EXPLAIN") === "1") {
    // Where a lookup's time goes: the statement `show routes` runs, as the page shows it.
    const page = await (await fetch(`http://127.0.0.1:${webPort}/lookup?prefix=8.8.8.8`)).text();
    const text = /PREPARE lg AS\n([\s\S]*?);\nEXECUTE/.exec(page)![1]
      .replaceAll("&#39;", "'").replaceAll("&gt;", ">").replaceAll("&lt;", "<")
      .replaceAll("&amp;", "&");
    const plan = await s.sql.unsafe(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, ["8.8.8.8", 1001]);
    console.log(plan.map((r) => r["QUERY PLAN"]).join("\n"));
  }
} finally {
  conn.close();
  await s.stop();
}
