/**
 * Decode throughput on a real full table: the Juniper M320 BMP stream (707,576 IPv4
 * prefixes in 139,279 Route Monitoring messages), decoded completely — every message,
 * attribute and prefix into objects — on one thread.
 *
 * Run: `deno task bench:decode [FILE]`. Prints prefixes/s and MB/s (best and median of
 * the timed runs, after one warm-up run).
 *
 * @module
 */

import { forEachRoute } from "../src/bgp/routes.ts";
import { readBmpStream } from "../src/bmp/stream.ts";
import { readInput } from "../src/io/file.ts";

const DEFAULT = new URL("../../shared/data/bmp/juniper-m320/m320.bmp.xz", import.meta.url);
const path = Deno.args[0] ?? DEFAULT.pathname;
const runs = Number(Deno.env.get("BENCH_RUNS") ?? 7);

let bytes: Uint8Array;
try {
  bytes = await readInput(path);
} catch (e) {
  console.log(`decode_m320: skipped, cannot read ${path}: ${(e as Error).message}`);
  Deno.exit(0);
}

/** Decodes the whole stream; returns [messages, prefixes, errors]. */
function decodeAll(b: Uint8Array): [number, number, number] {
  let messages = 0, prefixes = 0, errors = 0;
  for (const item of readBmpStream(b)) {
    if (item.error) {
      errors++;
      continue;
    }
    messages++;
    if (item.message.kind === "route_monitoring") {
      forEachRoute(item.message.update, () => prefixes++);
    }
  }
  return [messages, prefixes, errors];
}

const times: number[] = [];
let counts: [number, number, number] = [0, 0, 0];
for (let i = 0; i <= runs; i++) {
  const t0 = performance.now();
  counts = decodeAll(bytes);
  const dt = (performance.now() - t0) / 1000;
  if (i > 0) times.push(dt);
}
times.sort((a, b) => a - b);
const [messages, prefixes, errors] = counts;
const mb = bytes.length / 1e6;
const best = times[0];
const median = times[Math.floor(times.length / 2)];
console.log(
  `file: ${path} (${
    mb.toFixed(1)
  } MB, ${messages} messages, ${prefixes} prefixes, ${errors} errors)`,
);
console.log(
  `runs: ${times.length} after 1 warm-up; best ${best.toFixed(3)} s, median ${median.toFixed(3)} s`,
);
console.log(
  `decode: ${Math.round(prefixes / best).toLocaleString("en-US")} prefixes/s best, ${
    Math.round(prefixes / median).toLocaleString("en-US")
  } median`,
);
console.log(`decode: ${(mb / best).toFixed(1)} MB/s best, ${(mb / median).toFixed(1)} median`);
