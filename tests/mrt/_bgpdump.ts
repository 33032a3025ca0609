/**
 * Helpers of the MRT tests: running `bmpmon decode --format bgpdump`, reading gzip
 * text, and the bgpdump quirks bmpmon does not copy, each with a transform that turns a
 * bmpmon line into what bgpdump prints.
 *
 * @module
 */

import { decompress } from "../../src/io/file.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const dec = new TextDecoder();

/** Lines of a (possibly compressed) text file. */
export async function textLines(path: string): Promise<string[]> {
  const t = dec.decode(await decompress(await Deno.readFile(path), path));
  return t === "" ? [] : t.replace(/\n$/, "").split("\n");
}

/** Runs `bmpmon decode ARGS...`; returns stdout lines and stderr. */
export async function bmpmonDecode(
  ...args: string[]
): Promise<{ lines: string[]; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", MAIN, "decode", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = dec.decode(out.stderr);
  if (out.code !== 0) {
    throw new Error(`bmpmon decode ${args.join(" ")}: exit ${out.code}\n${stderr}`);
  }
  const t = dec.decode(out.stdout);
  return { lines: t === "" ? [] : t.replace(/\n$/, "").split("\n"), stderr };
}

/** Runs Debian's `bgpdump -m FILE`; returns its lines. */
export async function bgpdumpM(path: string): Promise<string[]> {
  const out = await new Deno.Command("bgpdump", {
    args: ["-m", path],
    stdout: "piped",
    stderr: "null",
  })
    .output();
  const t = dec.decode(out.stdout);
  return t === "" ? [] : t.replace(/\n$/, "").split("\n");
}

/** True when /usr/bin/bgpdump can be run. */
export const HAS_BGPDUMP = (() => {
  try {
    return Deno.statSync("/usr/bin/bgpdump").isFile;
  } catch {
    return false;
  }
})();

/** IPv6 text as glibc's inet_ntop writes it: like RFC 5952, but a lone zero group is
 * compressed to `::` too (RFC 5952 §4.2.2 says it must not be). */
export function inetNtop6(addr: string): string {
  if (addr.includes("::") || addr.split(":").length !== 8) return addr;
  if (!/^[0-9a-f:]+$/.test(addr)) return addr;
  const g = addr.split(":");
  const i = g.indexOf("0");
  if (i < 0) return addr;
  const head = g.slice(0, i).join(":");
  const tail = g.slice(i + 1).join(":");
  return `${head}::${tail}`;
}

/** A bgpdump behaviour bmpmon does not copy. */
export interface Quirk {
  name: string;
  reason: string;
  /** The bmpmon line turned into bgpdump's, for this quirk only (unchanged if n/a). */
  toBgpdump(line: string): string;
}

/** Index of the next-hop field, and of ORIGIN, in a route line (`B` or `A`). */
function routeFields(f: string[]): { origin: number; nextHop: number } | undefined {
  if (f[2] !== "B" && f[2] !== "A") return undefined;
  const ap = f[0] === "TABLE_DUMP2_AP" ? 1 : 0;
  return { origin: 7 + ap, nextHop: 8 + ap };
}

/** The quirks, in the order their transforms are applied. */
export const QUIRKS: Quirk[] = [
  {
    name: "ipv6-lone-zero-group",
    reason: "bgpdump prints IPv6 with inet_ntop, which compresses a single zero group " +
      "(2001:7f8:30::2:1:0:8447); bmpmon prints RFC 5952 text (§4.2.2: '::' must not " +
      "shorten just one 16-bit 0 field), the same text as everywhere else in bmpmon",
    toBgpdump: (line) =>
      line.split("|").map((field) => {
        const [addr, len] = field.split("/");
        const t = inetNtop6(addr);
        return len === undefined ? t : `${t}/${len}`;
      }).join("|"),
  },
  {
    name: "absent-next-hop",
    reason: "for a route with neither NEXT_HOP nor an MP_REACH_NLRI next hop, bgpdump " +
      "prints its initial value 255.255.255.255; bmpmon leaves the field empty rather than " +
      "print an address the route does not carry",
    toBgpdump: (line) => {
      const f = line.split("|");
      const i = routeFields(f);
      if (!i || f[i.nextHop] !== "") return line;
      f[i.nextHop] = "255.255.255.255";
      return f.join("|");
    },
  },
  {
    name: "absent-origin",
    reason: "for a route without ORIGIN, bgpdump prints INCOMPLETE; bmpmon leaves the " +
      "field empty (ORIGIN is mandatory, RFC 4271 §5.1.1: its absence is not INCOMPLETE)",
    toBgpdump: (line) => {
      const f = line.split("|");
      const i = routeFields(f);
      if (!i || f[i.origin] !== "") return line;
      f[i.origin] = "INCOMPLETE";
      return f.join("|");
    },
  },
];

/** The quirk of lines bgpdump prints and bmpmon does not (no transform can make them). */
export const BROKEN_NLRI_TAIL: Omit<Quirk, "toBgpdump"> = {
  name: "broken-nlri-tail",
  reason: "an UPDATE whose IPv4 NLRI field ends in the middle of a prefix: bgpdump prints " +
    "the prefixes before the break; bmpmon's UPDATE decoder (shared with BMP) rejects the " +
    "message, as RFC 7606 §5.3 says the routes it meant cannot be known, and the MRT " +
    "reader yields a typed error for the record",
};
