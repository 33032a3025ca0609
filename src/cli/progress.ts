/**
 * Progress of a long command (decode of a big capture, replay, migrate) on a terminal:
 * one line on stderr, redrawn at most a few times a second, with what is done, the rate
 * and the time left (or, for migrate, the file applying and the time so far). Nothing at all when stderr is not a terminal, so pipes and logs stay clean.
 *
 * @module
 */

const ENC = new TextEncoder();

/** Where the line goes: stderr by default. */
export interface ProgressSink {
  isTerminal(): boolean;
  writeSync(p: Uint8Array): number;
}

/** `n` bytes as B, KiB, MiB or GiB. */
function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** Seconds as `1m05s` or `7s`. */
function duration(s: number): string {
  const t = Math.max(0, Math.round(s));
  return t >= 60 ? `${Math.floor(t / 60)}m${String(t % 60).padStart(2, "0")}s` : `${t}s`;
}

/**
 * The progress line for `done` of `total` bytes and `items` messages after `seconds`.
 *
 * @example
 * ```ts
 * import { progressLine } from "./progress.ts";
 * const line = progressLine("decode", 512 * 1024, 1024 * 1024, 1000, 2);
 * if (line !== "decode: 512.0 KiB of 1.0 MiB (50%), 1,000 messages, 500 msg/s, 2s left") {
 *   throw new Error(line);
 * }
 * ```
 */
export function progressLine(
  what: string,
  done: number,
  total: number,
  items: number,
  seconds: number,
): string {
  const rate = seconds > 0 ? items / seconds : 0;
  const pct = total > 0 ? Math.floor((100 * done) / total) : 0;
  const left = done > 0 && seconds > 0 ? ((total - done) * seconds) / done : NaN;
  return `${what}: ${bytes(done)} of ${bytes(total)} (${pct}%), ` +
    `${items.toLocaleString("en-US")} messages, ` +
    `${Math.round(rate).toLocaleString("en-US")} msg/s` +
    (Number.isFinite(left) ? `, ${duration(left)} left` : "");
}

/** A redrawn progress line; a no-op unless the sink is a terminal. */
export class Progress {
  readonly #sink: ProgressSink;
  readonly #what: string;
  readonly #total: number;
  readonly #on: boolean;
  readonly #t0 = performance.now();
  #last = -Infinity;
  #shown = false;

  /**
   * @param what the command, at the start of the line
   * @param total bytes the command will go through
   */
  constructor(what: string, total: number, sink: ProgressSink = Deno.stderr) {
    this.#what = what;
    this.#total = total;
    this.#sink = sink;
    this.#on = sink.isTerminal();
  }

  /** Reports `done` bytes and `items` messages; redraws at most every 250 ms. */
  update(done: number, items: number): void {
    if (!this.#on) return;
    const now = performance.now();
    if (now - this.#last < 250) return;
    this.#last = now;
    this.#draw(done, items, now);
  }

  /** Draws the final figures and ends the line. */
  done(done: number, items: number): void {
    if (!this.#on || !this.#shown) return;
    this.#draw(done, items, performance.now());
    this.#sink.writeSync(ENC.encode("\n"));
  }

  #draw(done: number, items: number, now: number): void {
    const line = progressLine(this.#what, done, this.#total, items, (now - this.#t0) / 1000);
    // \r and erase-line: redraw in place.
    this.#sink.writeSync(ENC.encode(`\r\x1b[2K${line}`));
    this.#shown = true;
  }
}

/**
 * The line of a command that goes through named steps, such as the migration files.
 *
 * @example
 * ```ts
 * import { stepLine } from "./progress.ts";
 * const line = stepLine("migrate", "0009_rib_attr_index.sql", 3, 10, 65);
 * if (line !== "migrate: applying 0009_rib_attr_index.sql (3 of 10), 1m05s") throw new Error(line);
 * ```
 */
export function stepLine(
  what: string,
  step: string,
  index: number,
  total: number,
  seconds: number,
): string {
  return `${what}: applying ${step} (${index} of ${total}), ${duration(seconds)}`;
}

/**
 * A redrawn line naming the step under way and the time since the first step; a no-op
 * unless the sink is a terminal. One step can take minutes (an index on a big table), so
 * the elapsed time is redrawn every second until the next step or {@linkcode StepProgress.done}.
 */
export class StepProgress {
  readonly #sink: ProgressSink;
  readonly #what: string;
  readonly #on: boolean;
  #t0 = 0;
  #line?: () => string;
  #timer?: ReturnType<typeof setInterval>;

  /** @param what the command, at the start of the line */
  constructor(what: string, sink: ProgressSink = Deno.stderr) {
    this.#what = what;
    this.#sink = sink;
    this.#on = sink.isTerminal();
  }

  /** Step `index` of `total` (1-based), named `name`, begins. */
  step(name: string, index: number, total: number): void {
    if (!this.#on) return;
    if (this.#line === undefined) this.#t0 = performance.now();
    this.#line = () =>
      stepLine(this.#what, name, index, total, (performance.now() - this.#t0) / 1000);
    this.#draw();
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#draw(), 1000);
      Deno.unrefTimer(this.#timer);
    }
  }

  /** Ends the line with `summary` (`10 files applied`) and the time taken, if a step was shown. */
  done(summary: string): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (!this.#on || this.#line === undefined) return;
    const took = duration((performance.now() - this.#t0) / 1000);
    this.#sink.writeSync(ENC.encode(`\r\x1b[2K${this.#what}: ${summary} in ${took}\n`));
    this.#line = undefined;
  }

  #draw(): void {
    if (this.#line) this.#sink.writeSync(ENC.encode(`\r\x1b[2K${this.#line()}`));
  }
}
