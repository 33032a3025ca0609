/**
 * Running `bmpmon` CLI commands against a live collector, and sending captures to it
 * over connections the test keeps open (so routers stay connected while it asks).
 *
 * @module
 */

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** What one CLI run printed. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bmpmon ARGS` with DATA_DIR=`dataDir`. */
export async function cli(dataDir: string, ...args: string[]): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    env: { DATA_DIR: dataDir, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs a CLI command that must succeed; returns its stdout. */
export async function cliOk(dataDir: string, ...args: string[]): Promise<string> {
  const r = await cli(dataDir, ...args);
  if (r.code !== 0) throw new Error(`bmpmon ${args.join(" ")}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

/** A BMP connection to the collector that the test writes to and closes. */
export class Router {
  private constructor(readonly conn: Deno.TcpConn) {}

  static async connect(port: number): Promise<Router> {
    return new Router(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async send(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
  }

  /** Resolves true when the collector closed the connection (a read sees the end). */
  async closedByPeer(): Promise<boolean> {
    try {
      return (await this.conn.read(new Uint8Array(64))) === null;
    } catch {
      return true;
    }
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }
}
