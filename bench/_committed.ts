/**
 * Bench helper: waiting until a collector has committed N routes without making the
 * database count them over and over.
 *
 * Polling `SELECT count(*) FROM route_history` every 50 ms while the M320 loads cost
 * PostgreSQL 7.0 s of CPU in one `bench:serve` run (178 counts of a growing table, 2026-12-03,
 * pg_stat_statements): a third of what the load itself cost, taken from the same 2 cores.
 * The collector's `/metrics` say when the writer has every route and each time a batch
 * commits; the table is counted only then.
 *
 * @module
 */

/** A free loopback port for METRICS_LISTEN. */
export function freeMetricsPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Sum of a metric's samples in a Prometheus text exposition. */
export function metricValue(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/**
 * Resolves once `count()` reaches `routes`. `count` runs only after the writer holds at
 * least `handed` routes (`bmpmon_store_routes_total`) and a batch committed since the last
 * count (`bmpmon_store_batches_total`).
 */
export async function waitCommitted(
  metricsPort: number,
  count: () => Promise<number>,
  routes: number,
  handed = routes,
  pollMs = 50,
): Promise<void> {
  let counted = -1;
  for (;;) {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const batches = metricValue(text, "bmpmon_store_batches_total");
    if (metricValue(text, "bmpmon_store_routes_total") >= handed && batches !== counted) {
      counted = batches;
      if (await count() >= routes) return;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
