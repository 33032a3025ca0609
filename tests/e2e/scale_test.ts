/**
 * Scale: 1,000 routers connected at once to a real `bmpmon serve`, each replaying a small
 * capture (`bmpmon replay --connections 1000`, in its own process): every router gets its
 * row and every route lands. Prints sessions, peak RSS and CPU time of the serve process.
 */

import { assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { assertStoredContent, expectedContent, timesContent } from "./_content.ts";
import { dbTest, serve } from "./_serve.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const CAPTURE = fixture("gobgp-frr-lab/gobgp-3.10-pre-100.bmp");
const ROUTERS = 1000;
const NEED_FILES = ROUTERS + 300;

function openFilesLimit(): number {
  try {
    const m = Deno.readTextFileSync("/proc/self/limits").match(
      /^Max open files\s+(\d+|unlimited)/m,
    );
    return !m || m[1] === "unlimited" ? Infinity : Number(m[1]);
  } catch {
    return 0;
  }
}

/** User + system CPU seconds of a process, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 (utime, stime) in clock ticks; Linux reports them at 100 Hz.
  return (Number(f[11]) + Number(f[12])) / 100;
}

const vmHwm = (pid: number) =>
  Deno.readTextFileSync(`/proc/${pid}/status`).match(/^VmHWM:\s+(.*)$/m)?.[1] ?? "?";

const limit = openFilesLimit();

dbTest(`serve: ${ROUTERS} routers at once, every row lands`, async () => {
  const one = await expectedContent(CAPTURE);
  const want = timesContent(one, ROUTERS);
  const s = await serve({
    MAX_CONNECTIONS: String(ROUTERS),
    MAX_CONNECTIONS_PER_ADDRESS: String(ROUTERS),
  });
  let stopped = false;
  try {
    const t0 = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        MAIN,
        "replay",
        CAPTURE,
        "--to",
        `127.0.0.1:${s.port}`,
        "--connections",
        String(ROUTERS),
        // Routers stay connected after their dump (as real ones do): all 1,000 are up at
        // once, so none takes the row of one that already left (rows are keyed by address).
        "--hold",
        "10",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assertEquals(out.code, 0, `replay failed: ${dec.decode(out.stderr)}`);
    const sent = (performance.now() - t0) / 1000;
    await assertStoredContent(s.sql, want, { timeoutMs: 90_000 });
    const landed = (performance.now() - t0) / 1000;
    const [{ n: routers }] = await s.sql`SELECT count(*)::int AS n FROM routers`;
    const [{ n: sessions }] = await s
      .sql`SELECT count(DISTINCT router_id)::int AS n FROM route_history`;
    const [{ n: history }] = await s.sql`SELECT count(*)::int AS n FROM route_history`;
    const rss = vmHwm(s.pid);
    const cpu = cpuSeconds(s.pid);
    console.log(
      [
        `  ${ROUTERS} routers × ${one.history} routes (${CAPTURE.split("/").pop()})`,
        `  sent in ${sent.toFixed(1)} s, all rows landed after ${landed.toFixed(1)} s`,
        `  routers ${routers}, sessions with routes ${sessions}, route_history ${history}`,
        `  serve: peak RSS (VmHWM) ${rss}, CPU time ${cpu.toFixed(1)} s`,
      ].join("\n"),
    );
    assertEquals(routers, ROUTERS);
    assertEquals(sessions, ROUTERS);
    assertEquals(history, one.history * ROUTERS);
    stopped = true;
    assertEquals(await s.stop(), 0, "serve exits 0");
  } catch (e) {
    throw new Error(`${(e as Error).message}\nserve log:\n${s.log.slice(-20).join("\n")}`, {
      cause: e,
    });
  } finally {
    if (!stopped) await s.stop();
  }
}, {
  ignore: limit < NEED_FILES
    ? `ulimit -n is ${limit}, the test needs ${NEED_FILES} (.ci/run raises it)`
    : undefined,
});
