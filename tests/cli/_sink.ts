/**
 * Test helper: a progress sink that records what is drawn, as a terminal or not.
 *
 * @module
 */

import type { ProgressSink } from "../../src/cli/progress.ts";

/** Collects the text written to it; `terminal` is what `isTerminal()` answers. */
export class Sink implements ProgressSink {
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
