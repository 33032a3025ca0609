import { Progress, progressLine, type ProgressSink } from "../../src/cli/progress.ts";
import { assert, assertEquals } from "../_assert.ts";

class Sink implements ProgressSink {
  out = "";
  constructor(readonly terminal: boolean) {}
  isTerminal(): boolean {
    return this.terminal;
  }
  writeSync(p: Uint8Array): number {
    this.out += new TextDecoder().decode(p);
    return p.length;
  }
}

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
