/**
 * Headless Chromium driven over the Chrome DevTools Protocol with Deno's WebSocket: start
 * it, navigate, evaluate, screenshot, and collect console errors and exceptions.
 *
 * @module
 */

/** Path of Debian's chromium, or undefined when it is not installed. */
export const CHROMIUM = (() => {
  try {
    return Deno.statSync("/usr/bin/chromium").isFile ? "/usr/bin/chromium" : undefined;
  } catch {
    return undefined;
  }
})();

/** A running browser with one page attached. */
export class Browser {
  #id = 0;
  #waiting = new Map<number, (m: Record<string, unknown>) => void>();
  #events: ((m: { method: string; params: Record<string, unknown> }) => void)[] = [];
  /** Console errors, exceptions and error log entries since start. */
  readonly errors: string[] = [];

  private constructor(
    readonly child: Deno.ChildProcess,
    readonly ws: WebSocket,
    readonly profile: string,
  ) {
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.id !== undefined) this.#waiting.get(m.id)?.(m);
      else for (const f of this.#events) f(m);
    };
    this.#events.push(({ method, params }) => {
      if (method === "Runtime.exceptionThrown") {
        this.errors.push(`exception: ${JSON.stringify(params.exceptionDetails)}`);
      } else if (method === "Runtime.consoleAPICalled" && params.type === "error") {
        this.errors.push(`console.error: ${JSON.stringify(params.args)}`);
      } else if (method === "Log.entryAdded") {
        const entry = params.entry as { level: string; text: string; url?: string };
        if (entry.level === "error") this.errors.push(`log: ${entry.text} ${entry.url ?? ""}`);
      }
    });
  }

  /** Starts chromium with a fresh profile and attaches to its first page. */
  static async start(): Promise<Browser> {
    const profile = await Deno.makeTempDir({ prefix: "bmpmon-chromium-" });
    const child = new Deno.Command(CHROMIUM!, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        "--remote-debugging-port=0",
        "--window-size=1280,900",
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let buf = "";
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let url: string | undefined;
    const deadline = Date.now() + 30_000;
    while (!url && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      url = /DevTools listening on (ws:\/\/\S+)/.exec(buf)?.[1];
    }
    // Keep draining stderr so chromium never blocks on a full pipe.
    (async () => {
      try {
        while (!(await reader.read()).done) { /* drain */ }
      } catch { /* closed */ }
    })();
    if (!url) throw new Error(`chromium did not start:\n${buf}`);
    const port = new URL(url).port;
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const page = targets.find((t: { type: string }) => t.type === "page");
    const ws = new WebSocket(page.webSocketDebuggerUrl);
    await new Promise((res, rej) => {
      ws.onopen = res;
      ws.onerror = rej;
    });
    const b = new Browser(child, ws, profile);
    for (const d of ["Page", "Runtime", "Log"]) await b.send(`${d}.enable`);
    return b;
  }

  /** Sends one command and returns its result. */
  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = ++this.#id;
    const { promise, resolve, reject } = Promise.withResolvers<Record<string, unknown>>();
    this.#waiting.set(id, (m) => {
      this.#waiting.delete(id);
      if (m.error) reject(new Error(`${method}: ${JSON.stringify(m.error)}`));
      else resolve(m.result as Record<string, unknown>);
    });
    this.ws.send(JSON.stringify({ id, method, params }));
    return promise;
  }

  /** Navigates and waits for the load event. */
  async navigate(url: string): Promise<void> {
    const loaded = new Promise<void>((res) => {
      const f = (m: { method: string }) => {
        if (m.method === "Page.loadEventFired") {
          this.#events.splice(this.#events.indexOf(f), 1);
          res();
        }
      };
      this.#events.push(f);
    });
    await this.send("Page.navigate", { url });
    await loaded;
  }

  /** Evaluates `expression` in the page and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", { expression, returnByValue: true });
    if (r.exceptionDetails) throw new Error(JSON.stringify(r.exceptionDetails));
    return (r.result as { value: T }).value;
  }

  /** A PNG screenshot of the whole page into `path`. */
  async screenshot(path: string): Promise<void> {
    const r = await this.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
    });
    await Deno.writeFile(path, Uint8Array.from(atob(r.data as string), (c) => c.charCodeAt(0)));
  }

  async close(): Promise<void> {
    try {
      await this.send("Browser.close");
    } catch { /* gone */ }
    this.ws.close();
    await this.child.status;
    await Deno.remove(this.profile, { recursive: true }).catch(() => {});
  }
}
