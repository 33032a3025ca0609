/**
 * README "Quick start", run as written: the shell lines of its code blocks, with `npx -y
 * deno@2` as this Deno, port 11019 and `./data` moved to free ones (tests run side by
 * side), and the embedded store (no DATABASE_URL). `deno task test` is this suite itself.
 */

import { forEachRoute } from "../src/bgp/routes.ts";
import { readBmpStream } from "../src/bmp/stream.ts";
import { readCapture } from "../src/io/file.ts";
import { assert, assertEquals } from "./_assert.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** The shell lines of the README's Quick start code blocks. */
async function quickStartLines(): Promise<string[]> {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const section = readme.split("\n## Quick start\n")[1].split("\n## ")[0];
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
    m[1].split("\n").map((l) => l.trim()).filter((l) => l !== "")
  );
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test({
  name: "README quick start: start, replay, show clients, sql and psql agree",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const lines = await quickStartLines();
    assert(lines[0].includes("task start") && lines[1].includes("task test"), lines.join("\n"));
    const dataDir = await Deno.makeTempDir({ prefix: "bmpmon-quickstart-" });
    const port = freePort();
    const deno = Deno.execPath();
    const adapt = (line: string) =>
      line.replace(/ +#.*$/, "").replaceAll("npx -y deno@2", deno).replaceAll("11019", String(port))
        .replaceAll('"$PWD/data"', dataDir);
    const env = {
      DATABASE_URL: "",
      DATA_DIR: dataDir,
      BMP_LISTEN_PORT: String(port),
      NO_COLOR: "1",
    };
    const sh = (line: string, stdout: "piped" | "null" = "piped") =>
      new Deno.Command("bash", { args: ["-c", line], cwd: ROOT, env, stdout, stderr: "piped" });
    const run = async (line: string) => {
      const out = await sh(line).output();
      const text = new TextDecoder().decode(out.stdout);
      assert(out.success, `${line}:\n${text}${new TextDecoder().decode(out.stderr)}`);
      return text;
    };

    // The capture's own counts, from the decoder.
    const capture = await readCapture(`${ROOT}tests/fixtures/gobgp-frr-lab/gobgp-3.10-pre-100.bmp`);
    let messages = 0, nlri = 0;
    for (const { message: m } of readBmpStream(capture.flows[0].data)) {
      messages++;
      if (m?.kind === "route_monitoring") forEachRoute(m.update, () => nlri++);
    }

    const server = sh(`exec ${adapt(lines[0])}`, "null").spawn();
    const replayLine = adapt(lines[2]).replace(/&$/, "");
    let replayer: Deno.ChildProcess | undefined;
    try {
      // Listening once `show clients` answers (the control socket is up after the listener).
      for (let i = 0;; i++) {
        const out = await sh(adapt(lines[3])).output();
        if (out.success) break;
        if (i > 300) throw new Error("the collector did not start");
        await new Promise((r) => setTimeout(r, 200));
      }
      replayer = sh(replayLine, "null").spawn();
      let row: string[] = [];
      for (let i = 0; i < 100; i++) {
        const table = (await run(adapt(lines[3]))).trim().split("\n");
        const header = table[0].split(/\s{2,}/);
        const found = table.slice(1).map((l) => l.trim().split(/\s{2,}/)).find((r) =>
          Number(r[header.indexOf("Messages")].replaceAll(",", "")) === messages
        );
        if (found) {
          row = found;
          // One peer, down: the capture ends with its Peer Down.
          assertEquals(found[header.indexOf("Peers")], "1 (0 up)");
          assert(found[header.indexOf("Address:Port")].startsWith("127.0.0.1:"), found.join(" | "));
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      assert(row.length > 0, `show clients lists the router with ${messages} messages`);
      // The routes are committed within a batch interval; poll the sql line until they are.
      let sqlCount = -1;
      for (let i = 0; i < 100 && sqlCount !== nlri; i++) {
        const out = await run(adapt(lines[4]));
        // A table: header, rule, one row holding the number.
        sqlCount = Number(/^\s*(\d[\d,]*)\s*$/m.exec(out)?.[1].replaceAll(",", "") ?? -1);
        if (sqlCount !== nlri) await new Promise((r) => setTimeout(r, 200));
      }
      assertEquals(sqlCount, nlri, "bmpmon sql counts the capture's NLRI");
      const psql = await run(adapt(lines[5]));
      assert(new RegExp(`^\\s*${nlri}\\s*$`, "m").test(psql), `psql says ${nlri}:\n${psql}`);
    } finally {
      try {
        replayer?.kill("SIGTERM");
      } catch { /* ended */ }
      await replayer?.status;
      server.kill("SIGTERM");
      const status = await server.status;
      await Deno.remove(dataDir, { recursive: true });
      assertEquals(status.code, 0, "the collector stops cleanly on SIGTERM");
    }
  },
});
