/**
 * Visibility under normal load: the M320 table sent at a steady rate (default 2,000 BMP
 * messages/s, ≈ 10,000 routes/s), and for samples every 100 ms, the delay between
 * sending a message and its routes being committed (route_history count). Prints p50,
 * p95 and max.
 *
 * Run: `DATABASE_URL=postgres://... deno task bench:visibility [MSGS_PER_S] [SECONDS]`
 *
 * @module
 */

import { forEachRoute } from "../src/bgp/routes.ts";
import { readBmpStream } from "../src/bmp/stream.ts";
import { readInput } from "../src/io/file.ts";
import { startServe } from "./_serve.ts";

const url = Deno.env.get("DATABASE_URL");
if (!url) {
  console.log("visibility: skipped, DATABASE_URL is not set");
  Deno.exit(0);
}
const rate = Number(Deno.args[0] ?? 2000);
const seconds = Number(Deno.args[1] ?? 10);
const stream = await readInput(
  new URL("../tests/fixtures/juniper-m320/m320.bmp.xz", import.meta.url).pathname,
);
// Message boundaries and the routes each message carries.
const ends: number[] = [];
const routesUpTo: number[] = [];
let total = 0;
const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
let at = 0;
for (const { message: m } of readBmpStream(stream)) {
  if (m?.kind === "route_monitoring") forEachRoute(m.update, () => total++);
  at += view.getUint32(at + 1); // the common header's length (the M320 stream frames cleanly)
  ends.push(at);
  routesUpTo.push(total);
}

const serve = await startServe(url);
try {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: serve.port });
  const samples: { at: number; routes: number }[] = [];
  const delays: number[] = [];
  let committed = 0;
  let sending = true;
  const poller = (async () => {
    while (sending || samples.length > 0) {
      committed = (await serve.sql`SELECT count(*)::int AS n FROM route_history`)[0].n;
      const now = performance.now();
      while (samples.length > 0 && samples[0].routes <= committed) {
        delays.push(now - samples.shift()!.at);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const t0 = performance.now();
  let sent = 0, off = 0, lastSample = 0;
  while (sent < ends.length && performance.now() - t0 < seconds * 1000) {
    const due = Math.min(ends.length, Math.floor(((performance.now() - t0) / 1000) * rate));
    if (due > sent) {
      const end = ends[due - 1];
      for (let o = off; o < end;) o += await conn.write(stream.subarray(o, end));
      off = end;
      sent = due;
      const now = performance.now();
      if (now - lastSample >= 100) {
        samples.push({ at: now, routes: routesUpTo[sent - 1] });
        lastSample = now;
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  sending = false;
  await poller;
  conn.close();
  delays.sort((a, b) => a - b);
  const q = (p: number) => delays[Math.min(delays.length - 1, Math.floor(p * delays.length))];
  console.log(
    `visibility at ${rate} msgs/s (${
      Math.round(routesUpTo[sent - 1] / seconds)
    } routes/s) for ${seconds} s, ${delays.length} samples:`,
  );
  console.log(
    `send → committed: p50 ${q(0.5).toFixed(0)} ms, p95 ${q(0.95).toFixed(0)} ms, max ${
      delays.at(-1)!.toFixed(0)
    } ms`,
  );
} finally {
  await serve.stop();
}
