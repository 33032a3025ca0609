/**
 * Message rates for the overview: the collector's message counter sampled once a second,
 * 61 samples kept.
 *
 * @module
 */

/** Samples a growing counter and tells its rate over the last 10 and 60 seconds. */
export class RateSampler {
  #samples: [number, number][] = [];
  #timer: ReturnType<typeof setInterval>;

  constructor(readonly counter: () => number, intervalMs = 1000) {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
    Deno.unrefTimer(this.#timer);
  }

  #sample(): void {
    this.#samples.push([performance.now(), this.counter()]);
    if (this.#samples.length > 61) this.#samples.shift();
  }

  /** Messages per second over about the last 10 and 60 s (0 before two samples). */
  rates(): { last10s: number; last60s: number } {
    const now: [number, number] = [performance.now(), this.counter()];
    const over = (n: number) => {
      const list = this.#samples;
      const from = list[Math.max(0, list.length - n)];
      const dt = (now[0] - from[0]) / 1000;
      return dt > 0.5 ? Math.round((now[1] - from[1]) / dt) : 0;
    };
    return { last10s: over(10), last60s: over(60) };
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
