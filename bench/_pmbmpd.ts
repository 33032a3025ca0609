/**
 * Bench helper: pmacct's `pmbmpd` (Debian package `pmacct`), the speed peer. It reads the
 * same BMP stream on a loopback port and writes every message as a JSON line to a file
 * (`-o`), one thread, no database.
 *
 * @module
 */

/** Whether `pmbmpd` is on PATH. */
export async function havePmbmpd(): Promise<boolean> {
  try {
    const out = await new Deno.Command("pmbmpd", { args: ["-V"], stdout: "null", stderr: "null" })
      .output();
    return out.success || out.code === 1;
  } catch {
    return false;
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function connectWithin(port: number, ms: number): Promise<Deno.TcpConn> {
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      return await Deno.connect({ hostname: "127.0.0.1", port });
    } catch (e) {
      if (performance.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Bytes at the end of `path` (up to `n`), as text. */
async function tail(path: string, n: number): Promise<string> {
  const f = await Deno.open(path, { read: true });
  try {
    const size = (await f.stat()).size;
    const want = Math.min(n, size);
    await f.seek(size - want, Deno.SeekMode.Start);
    const buf = new Uint8Array(want);
    let got = 0;
    while (got < want) {
      const r = await f.read(buf.subarray(got));
      if (r === null) break;
      got += r;
    }
    return new TextDecoder().decode(buf.subarray(0, got));
  } finally {
    f.close();
  }
}

/** What one pmbmpd run took. */
export interface PmbmpdRun {
  /** From the first byte sent until pmbmpd wrote its `log_close` line. */
  seconds: number;
  /** JSON lines written. */
  lines: number;
  /** CPU seconds pmbmpd used. */
  cpu: number;
}

/**
 * Sends `stream` to a fresh pmbmpd and times it until the whole stream is logged: the
 * connection is closed after the last byte, and pmbmpd writes `log_close` only once it
 * has read (and logged) everything before the close.
 */
export async function runPmbmpd(stream: Uint8Array): Promise<PmbmpdRun> {
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "bmpmon-pmbmpd-" });
  const out = `${dir}/msglog.json`;
  const child = new Deno.Command("pmbmpd", {
    args: ["-L", "127.0.0.1", "-l", String(port), "-o", out],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const conn = await connectWithin(port, 10_000);
    const t0 = performance.now();
    for (let off = 0; off < stream.length;) off += await conn.write(stream.subarray(off));
    conn.close();
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      try {
        if ((await tail(out, 300)).includes('"log_close"')) break;
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      if (performance.now() - t0 > 600_000) throw new Error("pmbmpd did not finish in 10 min");
    }
    const seconds = (performance.now() - t0) / 1000;
    const stat = Deno.readTextFileSync(`/proc/${child.pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpu = (Number(f[11]) + Number(f[12])) / 100;
    let lines = 0;
    for await (const chunk of (await Deno.open(out)).readable) {
      for (let i = 0; i < chunk.length; i++) if (chunk[i] === 0x0a) lines++;
    }
    return { seconds, lines, cpu };
  } finally {
    // pmbmpd ignores SIGTERM.
    child.kill("SIGKILL");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
}
