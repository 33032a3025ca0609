import { Progress, progressLine } from "../../src/cli/progress.ts";
import { assert, assertEquals } from "../_assert.ts";
import { Sink } from "./_sink.ts";

Deno.test("progressLine() gives done, total, percent, messages, rate and time left", () => {
  assertEquals(
    progressLine("replay", 15 * 2 ** 20, 20 * 2 ** 20, 90_000, 3),
    "replay: 15.0 MiB of 20.0 MiB (75%), 90,000 messages, 30,000 msg/s, 1s left",
  );
  assertEquals(
    progressLine("decode x", 0, 100, 0, 0),
    "decode x: 0 B of 100 B (0%), 0 messages, 0 msg/s",
  );
});

Deno.test("Progress redraws one line on a terminal and ends it", () => {
  const sink = new Sink(true);
  const p = new Progress("decode f", 1000, sink);
  p.update(100, 10);
  p.update(200, 20); // within 250 ms of the last draw: not drawn
  p.done(1000, 100);
  const draws = sink.out.split("\r\x1b[2K").filter(Boolean);
  assertEquals(draws.length, 2, JSON.stringify(sink.out));
  assert(draws[0].startsWith("decode f: 100 B of 1000 B (10%), 10 messages"), draws[0]);
  assert(draws[1].startsWith("decode f: 1000 B of 1000 B (100%), 100 messages"), draws[1]);
  assert(sink.out.endsWith("\n"));
});

Deno.test("Progress writes nothing when stderr is not a terminal", () => {
  const sink = new Sink(false);
  const p = new Progress("replay", 1000, sink);
  p.update(500, 5);
  p.done(1000, 10);
  assertEquals(sink.out, "");
});

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const M320 = new URL("../fixtures/juniper-m320/m320.bmp.xz", import.meta.url).pathname;
const HAS_SCRIPT = new Deno.Command("sh", { args: ["-c", "command -v script"], stdout: "null" })
  .outputSync().success;
const PTY = "bmpmon decode --summary draws its progress line on a pty, and none when piped";

Deno.test({
  name: HAS_SCRIPT ? PTY : `${PTY} (skipped: no script(1))`,
  ignore: !HAS_SCRIPT,
  fn: async () => {
    const dec = new TextDecoder();
    const cmd = `${Deno.execPath()} run --allow-all ${MAIN} decode --summary --json ${M320}`;
    const tty = await new Deno.Command("script", {
      args: ["-qec", cmd, "/dev/null"],
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = dec.decode(tty.stdout);
    assertEquals(tty.code, 0, text + dec.decode(tty.stderr));
    const draws = text.split("\r\x1b[2K").slice(1).map((d) => d.split("\n")[0]);
    assert(draws.length >= 2, `${draws.length} draws: ${JSON.stringify(text.slice(0, 300))}`);
    for (const d of draws) assert(/^decode \S+: .+ messages, [\d,]+ msg\/s/.test(d), d);
    assert(draws.at(-1)!.includes("(100%)"), draws.at(-1)!);
    // Piped: the summary alone, nothing on stderr.
    const piped = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", MAIN, "decode", "--summary", "--json", M320],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(piped.code, 0);
    assertEquals(dec.decode(piped.stderr), "");
    const summary = JSON.parse(dec.decode(piped.stdout));
    assert(summary.messages.route_monitoring > 100_000, JSON.stringify(summary).slice(0, 200));
  },
});
