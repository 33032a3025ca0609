/**
 * Test helper: Debian's `stayrtr` serving a VRP JSON file on a free loopback port, with
 * short timers (its `-rtr.*` flags go to the client in End of Data).
 *
 * @module
 */

/** True when `stayrtr` can run here. */
export const HAS_STAYRTR = (() => {
  try {
    return new Deno.Command("stayrtr", { args: ["-version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

/** A free loopback TCP port. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A running stayrtr. */
export interface StayRtr {
  port: number;
  log: string[];
  stop(): Promise<void>;
}

/** Starts stayrtr on `file` and waits until it accepts connections. */
export async function startStayRtr(
  file: string,
  opts: { protocol?: number; refresh?: number; retry?: number; expire?: number } = {},
): Promise<StayRtr> {
  const port = freePort();
  const child = new Deno.Command("stayrtr", {
    args: [
      "-cache",
      file,
      "-bind",
      `127.0.0.1:${port}`,
      "-metrics.addr",
      `127.0.0.1:${freePort()}`,
      "-checktime=false",
      // Re-read the file every second.
      "-refresh",
      "1",
      "-rtr.refresh",
      String(opts.refresh ?? 1),
      "-rtr.retry",
      String(opts.retry ?? 1),
      "-rtr.expire",
      String(opts.expire ?? 600),
      "-protocol",
      String(opts.protocol ?? 1),
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log: string[] = [];
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const t of s.pipeThrough(new TextDecoderStream())) log.push(...t.split("\n"));
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const deadline = Date.now() + 10_000;
  while (true) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`stayrtr did not start:\n${log.join("\n")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  let stopped = false;
  return {
    port,
    log,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        child.kill("SIGTERM");
      } catch { /* exited */ }
      await child.status;
      await pumps;
    },
  };
}
