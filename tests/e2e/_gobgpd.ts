/**
 * Process plumbing of the GoBGP lab (`_gobgp.ts`): gobgpd daemons that are always
 * stopped, the `gobgp` CLI with a timeout, and polling with a deadline.
 *
 * @module
 */

/** True when `cmd` is an executable file in a PATH directory. */
export function onPath(cmd: string): boolean {
  const path = Deno.env.get("PATH") ?? "";
  for (const dir of path.split(":")) {
    if (!dir) continue;
    try {
      if (Deno.statSync(`${dir}/${cmd}`).isFile) return true;
    } catch { /* not here */ }
  }
  return false;
}

/** A TCP port that was free on `hostname` a moment ago. */
export function freePort(hostname: string): number {
  const l = Deno.listen({ hostname, port: 0, transport: "tcp" });
  const port = l.addr.port;
  l.close();
  return port;
}

/**
 * A gobgpd process whose stdout and stderr go to `logPath`. It runs under
 * `timeout -k 3 <lifetime>` when available, so it dies within `lifetime` seconds even
 * if this process is killed before {@linkcode Daemon.stop} runs.
 */
export class Daemon {
  readonly #child: Deno.ChildProcess;
  readonly #logDone: Promise<void>;
  #stopped?: Promise<void>;
  /** Set once the process has exited. */
  exitStatus?: Deno.CommandStatus;

  constructor(readonly name: string, readonly logPath: string, args: string[], lifetime: number) {
    const cmd = onPath("timeout")
      ? new Deno.Command("timeout", {
        args: ["-k", "3", String(lifetime), "gobgpd", ...args],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      })
      : new Deno.Command("gobgpd", { args, stdin: "null", stdout: "piped", stderr: "piped" });
    this.#child = cmd.spawn();
    this.#child.status.then((s) => this.exitStatus = s);
    const file = Deno.openSync(logPath, { write: true, create: true, append: true });
    // Both streams into one file; the file closes when both end.
    const w = file.writable.getWriter();
    const pump = async (s: ReadableStream<Uint8Array>) => {
      for await (const chunk of s) await w.write(chunk);
    };
    this.#logDone = Promise.all([pump(this.#child.stdout), pump(this.#child.stderr)])
      .then(() => {}, () => {})
      .finally(() => w.close().catch(() => {}));
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** Throws when the daemon died before it was asked to stop. */
  assertRunning(): void {
    if (this.exitStatus && !this.#stopped) {
      throw new Error(
        `Cannot go on: gobgpd ${this.name} exited (${JSON.stringify(this.exitStatus)})`,
      );
    }
  }

  /** SIGTERM, then SIGKILL to the process group after `graceMs`. Idempotent. */
  stop(graceMs = 3000): Promise<void> {
    this.#stopped ??= (async () => {
      try {
        this.#child.kill("SIGTERM");
      } catch { /* already gone */ }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const exited = await Promise.race([
        this.#child.status.then(() => true),
        new Promise<false>((r) => timer = setTimeout(() => r(false), graceMs)),
      ]);
      clearTimeout(timer);
      if (!exited) {
        try {
          Deno.kill(-this.#child.pid, "SIGKILL"); // `timeout` leads its own group
        } catch {
          try {
            this.#child.kill("SIGKILL");
          } catch { /* gone */ }
        }
        await this.#child.status;
      }
      await this.#logDone;
    })();
    return this.#stopped;
  }
}

/** Runs the `gobgp` CLI against one daemon; throws with its stderr on failure. */
export async function gobgp(apiPort: number, args: string[], timeoutMs = 5000): Promise<string> {
  const out = await new Deno.Command("gobgp", {
    args: ["-u", "127.0.0.1", "-p", String(apiPort), ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim() || text.trim();
    throw new Error(`Cannot run gobgp ${args.join(" ")}: ${err || `exit ${out.code}`}`);
  }
  return text;
}

/**
 * Polls `check` every `everyMs` until it returns a value other than undefined; `guard`
 * runs first each time and its throw ends the wait at once.
 */
export async function until<T>(
  what: string,
  deadline: number,
  guard: () => void,
  check: () => Promise<T | undefined>,
  everyMs = 150,
): Promise<T> {
  let last: unknown;
  for (;;) {
    guard();
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `Cannot confirm ${what}: deadline passed${last ? ` (last error: ${last})` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<unknown>,
) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The last `lines` lines of a file, or "(no log)". */
export async function tail(path: string, lines = 15): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
