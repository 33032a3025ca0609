/**
 * The shape of the store's background jobs (the embedded store's checkpoints, the
 * statistics of `rib`): one look every `everyMs`, never two at once, a failed look
 * reported and the job going on, and a stop that waits for the look under way.
 *
 * @module
 */

/** A running job. */
export interface PeriodicJob {
  /** Looks now (or joins the look under way); resolves with whether it acted. */
  tick(): Promise<boolean>;
  /** Stops the job; waits for a look in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `look` every `everyMs`. `look` gets `stopped()` to check before it acts, and
 * resolves with whether it acted; an error goes to `onError` and counts as not acting.
 *
 * @example
 * ```ts
 * import { startPeriodic } from "./periodic.ts";
 * let n = 0;
 * const job = startPeriodic(3_600_000, () => Promise.resolve(++n > 1));
 * if ((await job.tick()) || !(await job.tick())) throw new Error("unexpected");
 * await job.stop();
 * ```
 */
export function startPeriodic(
  everyMs: number,
  look: (stopped: () => boolean) => Promise<boolean>,
  onError?: (e: unknown) => void,
): PeriodicJob {
  let running: Promise<boolean> | null = null;
  let stopped = false;
  const tick = (): Promise<boolean> => {
    running ??= (async () => {
      try {
        return await look(() => stopped);
      } catch (e) {
        onError?.(e);
        return false;
      } finally {
        running = null;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void tick(), everyMs);
  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
