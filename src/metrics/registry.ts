/**
 * A small metrics registry with the Prometheus text exposition format (version 0.0.4):
 * counters, gauges and histograms, each with optional labels.
 *
 * ```text
 * # HELP bmpmon_messages_total BMP messages decoded, by type.
 * # TYPE bmpmon_messages_total counter
 * bmpmon_messages_total{type="route_monitoring"} 4433
 * ```
 *
 * Label children are created once and kept, so the hot path is a map lookup and an
 * addition; values that live elsewhere are copied in by `onCollect` hooks at scrape time.
 *
 * @module
 */

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Buckets for durations in seconds: 1 ms to 30 s. */
export const SECONDS_BUCKETS = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
];

/** A sample value as the text format writes it (`+Inf`, `-Inf`, `NaN`). */
export function formatValue(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (Number.isNaN(v)) return "NaN";
  return String(v);
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** Escapes HELP text: backslash and line feed. */
export function escapeHelp(v: string): string {
  return v.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

function labelText(names: readonly string[], values: readonly string[], extra = ""): string {
  const parts = names.map((n, i) => `${n}="${escapeLabelValue(values[i])}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

abstract class Metric<C> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly #children = new Map<string, { values: string[]; child: C }>();
  abstract readonly type: "counter" | "gauge" | "histogram";

  constructor(name: string, help: string, labelNames: readonly string[]) {
    if (!NAME.test(name)) throw new RangeError(`Cannot register metric: bad name "${name}"`);
    for (const l of labelNames) {
      if (!LABEL.test(l) || l.startsWith("__") || l === "le") {
        throw new RangeError(`Cannot register metric ${name}: bad label name "${l}"`);
      }
    }
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  protected abstract create(): C;

  /** The child for these label values (created at first use, then kept). */
  labels(...values: string[]): C {
    if (values.length !== this.labelNames.length) {
      throw new RangeError(
        `Cannot use metric ${this.name}: ${values.length} label values for ${this.labelNames.length} labels`,
      );
    }
    const key = values.join("\u0000");
    let e = this.#children.get(key);
    if (!e) this.#children.set(key, e = { values: values.map(String), child: this.create() });
    return e.child;
  }

  /** Children with their label values, in creation order. */
  children(): Iterable<{ values: string[]; child: C }> {
    return this.#children.values();
  }

  /** The sample lines of this metric. */
  abstract samples(out: string[]): void;
}

/** One counter series. */
export class CounterChild {
  value = 0;
  /** Adds `n` (>= 0). */
  inc(n = 1): void {
    if (!(n >= 0)) throw new RangeError(`Cannot increase counter: ${n} is negative`);
    this.value += n;
  }
  /** Copies a count kept elsewhere (which must only grow). */
  set(n: number): void {
    this.value = n;
  }
}

/** A monotonically increasing count; its name should end in `_total`. */
export class Counter extends Metric<CounterChild> {
  readonly type = "counter";
  protected create(): CounterChild {
    return new CounterChild();
  }
  samples(out: string[]): void {
    for (const { values, child } of this.children()) {
      out.push(`${this.name}${labelText(this.labelNames, values)} ${formatValue(child.value)}`);
    }
  }
}

/** One gauge series. */
export class GaugeChild {
  value = 0;
  set(n: number): void {
    this.value = n;
  }
}

/** A value that goes up and down. */
export class Gauge extends Metric<GaugeChild> {
  readonly type = "gauge";
  protected create(): GaugeChild {
    return new GaugeChild();
  }
  samples(out: string[]): void {
    for (const { values, child } of this.children()) {
      out.push(`${this.name}${labelText(this.labelNames, values)} ${formatValue(child.value)}`);
    }
  }
}

/** One histogram series: per-bucket counts (not cumulative), sum and count. */
export class HistogramChild {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array(bounds.length).fill(0);
  }
  /** Records one observation. */
  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]) i++;
    if (i < b.length) this.counts[i]++;
    this.sum += v;
    this.count++;
  }
}

/** A distribution of observations in cumulative buckets (`le`), with sum and count. */
export class Histogram extends Metric<HistogramChild> {
  readonly type = "histogram";
  readonly bounds: readonly number[];
  constructor(name: string, help: string, bounds: readonly number[], labelNames: string[] = []) {
    super(name, help, labelNames);
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i] > bounds[i - 1])) {
        throw new RangeError(`Cannot register histogram ${name}: buckets must increase`);
      }
    }
    this.bounds = bounds.filter((b) => b !== Infinity);
  }
  protected create(): HistogramChild {
    return new HistogramChild(this.bounds);
  }
  samples(out: string[]): void {
    for (const { values, child } of this.children()) {
      let cum = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cum += child.counts[i];
        const le = `le="${formatValue(this.bounds[i])}"`;
        out.push(`${this.name}_bucket${labelText(this.labelNames, values, le)} ${cum}`);
      }
      const inf = labelText(this.labelNames, values, 'le="+Inf"');
      out.push(`${this.name}_bucket${inf} ${child.count}`);
      const l = labelText(this.labelNames, values);
      out.push(`${this.name}_sum${l} ${formatValue(child.sum)}`);
      out.push(`${this.name}_count${l} ${child.count}`);
    }
  }
}

/**
 * Holds metrics and writes them in the text format.
 *
 * @example
 * ```ts
 * import { Registry } from "./registry.ts";
 * const r = new Registry();
 * r.counter("jobs_total", "Jobs done.", ["queue"]).labels("a\"b").inc(2);
 * const text = await r.expose();
 * if (!text.includes('jobs_total{queue="a\\"b"} 2\n')) throw new Error(text);
 * ```
 */
export class Registry {
  readonly #metrics: (Counter | Gauge | Histogram)[] = [];
  readonly #hooks: (() => void | Promise<void>)[] = [];

  #add<M extends Counter | Gauge | Histogram>(m: M): M {
    if (this.#metrics.some((x) => x.name === m.name)) {
      throw new RangeError(`Cannot register metric ${m.name}: already registered`);
    }
    this.#metrics.push(m);
    return m;
  }

  /** Registers a counter. */
  counter(name: string, help: string, labelNames: string[] = []): Counter {
    return this.#add(new Counter(name, help, labelNames));
  }

  /** Registers a gauge. */
  gauge(name: string, help: string, labelNames: string[] = []): Gauge {
    return this.#add(new Gauge(name, help, labelNames));
  }

  /** Registers a histogram with upper bounds `bounds` (`+Inf` is implied). */
  histogram(name: string, help: string, bounds: number[], labelNames: string[] = []): Histogram {
    return this.#add(new Histogram(name, help, bounds, labelNames));
  }

  /** Runs `fn` before each exposition (to copy values kept elsewhere). */
  onCollect(fn: () => void | Promise<void>): void {
    this.#hooks.push(fn);
  }

  /** The text exposition of every metric (`text/plain; version=0.0.4`). */
  async expose(): Promise<string> {
    for (const h of this.#hooks) await h();
    const out: string[] = [];
    for (const m of this.#metrics) {
      out.push(`# HELP ${m.name} ${escapeHelp(m.help)}`);
      out.push(`# TYPE ${m.name} ${m.type}`);
      m.samples(out);
    }
    return out.join("\n") + "\n";
  }
}

/** The content type of {@linkcode Registry.expose}'s text. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
