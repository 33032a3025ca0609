/**
 * `bmpmon replay` against a collector that is not there, or goes away: one line naming the
 * address and the reason, exit code 1, no stack trace (issue 12: it died with Deno's).
 */

import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function replay(to: string): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-net",
      MAIN,
      "replay",
      fixture("juniper-m320/m320.bmp.xz"),
      "--to",
      to,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("bmpmon replay --to a port where nothing listens says so in one line", async () => {
  const port = freePort();
  const r = await replay(`127.0.0.1:${port}`);
  assertEquals(r.code, 1, r.stderr);
  assertEquals(
    r.stderr,
    `bmpmon: replay: cannot connect to 127.0.0.1:${port}: Connection refused\n`,
  );
});

Deno.test("bmpmon replay to a collector that closes mid-stream says so in one line", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  // Reads a little, then goes away while the router still sends (a full table: 21 MB).
  const server = (async () => {
    const c = await l.accept();
    await c.read(new Uint8Array(1024));
    c.close();
    l.close();
  })();
  const r = await replay(`127.0.0.1:${port}`);
  await server;
  assertEquals(r.code, 1, r.stderr);
  const lines = r.stderr.trimEnd().split("\n");
  assertEquals(lines.length, 1, r.stderr);
  assert(
    new RegExp(`^bmpmon: replay: connection to 127\\.0\\.0\\.1:${port} lost after \\d+ bytes: `)
      .test(lines[0]),
    lines[0],
  );
});
