/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), written from
 * the format's description, for checking `/metrics` in tests. It throws on anything the
 * format does not allow or Prometheus would reject: samples before their TYPE, a family
 * split in two groups, bad names or escapes, duplicate series, histograms without a
 * `+Inf` bucket, non-cumulative buckets or `_count` different from the `+Inf` bucket,
 * negative counters, a missing final line feed.
 *
 * @module
 */

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One metric family: its TYPE, HELP and samples. */
export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help?: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = ["counter", "gauge", "histogram", "summary", "untyped"];

function fail(line: number, msg: string): never {
  throw new Error(`line ${line}: ${msg}`);
}

function unescape(s: string, allowed: string, line: number): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== "\\") {
      out += s[i];
      continue;
    }
    const c = s[++i];
    if (c === undefined || !allowed.includes(c)) fail(line, `bad escape \\${c ?? ""}`);
    out += c === "n" ? "\n" : c;
  }
  return out;
}

function parseValue(s: string, line: number): number {
  if (s === "+Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  if (s === "NaN") return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) fail(line, `bad value "${s}"`);
  return Number(s);
}

/** Parses `{a="x",b="y"}` starting at `text[i] === "{"`; returns labels and the end index. */
function parseLabels(text: string, i: number, line: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  i++;
  if (text[i] === "}") return [labels, i + 1];
  for (;;) {
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (!m) fail(line, `bad label name at column ${i + 1}`);
    const name = m[0];
    if (name.startsWith("__")) fail(line, `reserved label name ${name}`);
    if (name in labels) fail(line, `label ${name} twice`);
    i += name.length;
    if (text[i] !== "=" || text[i + 1] !== '"') fail(line, `expected ="value" after ${name}`);
    i += 2;
    let raw = "";
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") raw += text[i++];
      raw += text[i++];
    }
    if (text[i] !== '"') fail(line, `unterminated value of label ${name}`);
    labels[name] = unescape(raw, '\\"n', line);
    i++;
    if (text[i] === "}") return [labels, i + 1];
    if (text[i] !== ",") fail(line, `expected , or } at column ${i + 1}`);
    i++;
  }
}

/** The family a sample name belongs to, given the TYPEs declared so far. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const f = families.get(name);
  if (f) return f;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (name.endsWith(suffix)) {
      const base = families.get(name.slice(0, -suffix.length));
      if (
        base && (base.type === "histogram" || (base.type === "summary" && suffix !== "_bucket"))
      ) {
        return base;
      }
    }
  }
  return undefined;
}

function labelKey(labels: Record<string, string>, without?: string): string {
  return JSON.stringify(Object.entries(labels).filter(([k]) => k !== without).sort());
}

function checkHistogram(f: Family): void {
  const series = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const key = labelKey(s.labels, "le");
    let e = series.get(key);
    if (!e) series.set(key, e = { buckets: [] });
    if (s.name === `${f.name}_bucket`) {
      if (!("le" in s.labels)) throw new Error(`${f.name}: bucket without le`);
      e.buckets.push([parseValue(s.labels.le, 0), s.value]);
    } else if (s.name === `${f.name}_sum`) e.sum = s.value;
    else if (s.name === `${f.name}_count`) e.count = s.value;
    else throw new Error(`${f.name}: sample ${s.name} in a histogram`);
  }
  for (const [key, e] of series) {
    const where = `${f.name}${key}`;
    if (e.count === undefined || e.sum === undefined) {
      throw new Error(`${where}: no _count or _sum`);
    }
    if (e.buckets.length === 0 || e.buckets[e.buckets.length - 1][0] !== Infinity) {
      throw new Error(`${where}: the last bucket is not le="+Inf"`);
    }
    for (let i = 1; i < e.buckets.length; i++) {
      if (!(e.buckets[i][0] > e.buckets[i - 1][0])) throw new Error(`${where}: le not increasing`);
      if (e.buckets[i][1] < e.buckets[i - 1][1]) {
        throw new Error(`${where}: buckets not cumulative`);
      }
    }
    if (e.buckets[e.buckets.length - 1][1] !== e.count) {
      throw new Error(`${where}: +Inf bucket ${e.buckets.at(-1)![1]} != _count ${e.count}`);
    }
  }
}

/** Parses an exposition; returns its families by name. */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("no line feed after the last line");
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  const series = new Set<string>();
  const typed = new Set<string>();
  let current: Family | undefined;
  const lines = text.split("\n");
  lines.pop();
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    if (raw.trim() === "") return;
    if (raw.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(raw);
      if (!m) return; // a plain comment
      const [, kw, name, rest = ""] = m;
      if (!METRIC_NAME.test(name)) fail(line, `bad metric name ${name}`);
      let f = families.get(name);
      if (f && closed.has(name)) fail(line, `${name} appears in two groups`);
      if (!f) families.set(name, f = { name, type: "untyped", samples: [] });
      if (current && current !== f) closed.add(current.name);
      current = f;
      if (kw === "HELP") {
        if (f.help !== undefined) fail(line, `second HELP for ${name}`);
        f.help = unescape(rest, "\\n", line);
      } else {
        if (!TYPES.includes(rest)) fail(line, `bad type "${rest}"`);
        if (f.samples.length > 0) fail(line, `TYPE of ${name} after its samples`);
        if (typed.has(name)) fail(line, `second TYPE for ${name}`);
        typed.add(name);
        f.type = rest as Family["type"];
      }
      return;
    }
    const nm = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(raw);
    if (!nm) fail(line, `bad sample line "${raw}"`);
    const name = nm[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (raw[i] === "{") [labels, i] = parseLabels(raw, i, line);
    if (raw[i] !== " ") fail(line, `expected a space before the value`);
    const parts = raw.slice(i + 1).split(" ");
    if (parts.length > 2 || parts[0] === "") {
      fail(line, `bad value and timestamp "${raw.slice(i + 1)}"`);
    }
    const value = parseValue(parts[0], line);
    if (parts.length === 2 && !/^-?\d+$/.test(parts[1])) fail(line, `bad timestamp ${parts[1]}`);
    let f = familyOf(name, families);
    if (!f) families.set(name, f = { name, type: "untyped", samples: [] });
    if (closed.has(f.name)) fail(line, `${f.name} appears in two groups`);
    if (current && current !== f) closed.add(current.name);
    current = f;
    for (const l of Object.keys(labels)) if (!LABEL_NAME.test(l)) fail(line, `bad label ${l}`);
    if (f.type === "histogram" && name === f.name) {
      fail(line, `histogram ${f.name} sample without suffix`);
    }
    if ("le" in labels && !(f.type === "histogram" && name === `${f.name}_bucket`)) {
      fail(line, `label le outside a histogram bucket`);
    }
    if (f.type === "counter" && !(value >= 0)) fail(line, `counter ${name} is ${value}`);
    const key = name + labelKey(labels);
    if (series.has(key)) fail(line, `duplicate series ${key}`);
    series.add(key);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families;
}

/** The value of one series, or undefined. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const key = labelKey(labels);
  for (const f of families.values()) {
    for (const s of f.samples) if (s.name === name && labelKey(s.labels) === key) return s.value;
  }
  return undefined;
}

/** `promtool check metrics` on `text`, or undefined when promtool is not installed. */
export async function promtoolCheck(
  text: string,
): Promise<{ ok: boolean; output: string } | undefined> {
  let child;
  try {
    child = new Deno.Command("promtool", {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(text));
  await w.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { ok: out.success, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/** True when `promtool` is on PATH. */
export const HAS_PROMTOOL = (() => {
  try {
    return new Deno.Command("promtool", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();
