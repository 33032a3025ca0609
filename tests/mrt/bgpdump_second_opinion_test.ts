/**
 * Second opinion: Debian's `bgpdump -m` (1.6.2) against `bmpmon decode --format bgpdump`
 * on the other MRT files of the shared data set (mrtparse, pyasn, bgpkit, libbgpstream,
 * hdb3-MRT, bgpipe): the same routes per peer and family, with the same prefixes and AS
 * paths. Only the route identity is compared (record kind, peer, prefix, AS path), not
 * the other attributes.
 *
 * Where the two differ the difference is named in `KNOWN` with its reason and the number
 * of routes it explains is asserted per file.
 *
 * @module
 */

import { decompress } from "../../src/io/file.ts";
import { readMrt } from "../../src/mrt/reader.ts";
import { assertEquals } from "../_assert.ts";
import { HAS_SHARED, sharedFiles } from "../_data.ts";
import { bgpdumpM, bmpmonDecode, HAS_BGPDUMP, inetNtop6 } from "./_bgpdump.ts";

/** Why bgpdump and bmpmon see different routes in a file. */
const REASONS: Record<string, string> = {
  "empty-as-path": "bgpdump -m prints no line for a BGP4MP announcement whose AS_PATH is " +
    "empty (an iBGP route); bmpmon prints it with an empty path field",
  "guessed-add-path": "UPDATEs of Add-Path sessions written as plain MESSAGE_AS4 (BIRD 1.6, " +
    "the bgpipe sample): " +
    "bgpdump reads the path IDs as prefixes (0.0.0.0/0, ::/0, 100:100::…/0); bmpmon's " +
    "NLRI decoder finds the path IDs, as it does for BMP, and prints the real prefixes",
};

/** Routes (bgpdump-only, bmpmon-only) each reason explains, per file. */
const KNOWN: Record<string, Record<string, [number, number]>> = {
  "mrtparse/samples/bird_bgp": { "empty-as-path": [0, 2], "guessed-add-path": [24, 12] },
  "mrtparse/samples/bird6_bgp": { "empty-as-path": [0, 2], "guessed-add-path": [32, 12] },
  "bgpipe/sample.mrt": { "guessed-add-path": [75, 3] },
};

/** `kind|peer|prefix|as_path` of each route line; STATE lines as `STATE|peer|old|new`. */
function routes(lines: string[], normalise: boolean): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const f = l.split("|");
    const fix = (s: string) => (normalise ? s.split("/").map(inetNtop6).join("/") : s);
    const peer = fix(f[3]);
    if (f[2] === "STATE") out.push(`STATE|${peer}|${f[5]}|${f[6]}`);
    else if (f[2] === "W") out.push(`W|${peer}|${fix(f[5])}`);
    else {
      const ap = f[0].endsWith("_AP") ? 1 : 0;
      out.push(`${f[2]}|${peer}|${fix(f[5])}${ap ? `#${f[6]}` : ""}|${f[6 + ap]}`);
    }
  }
  return out.sort();
}

/** Counts per `kind|peer|family`. */
function perPeerFamily(rs: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rs) {
    const [kind, peer, prefix] = r.split("|");
    const fam = kind === "STATE" ? "-" : prefix.includes(":") ? "ipv6" : "ipv4";
    const k = `${kind}|${peer}|${fam}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** Multiset difference a − b of two sorted lists. */
function minus(a: string[], b: string[]): string[] {
  const out: string[] = [];
  let j = 0;
  for (const x of a) {
    while (j < b.length && b[j] < x) j++;
    if (j < b.length && b[j] === x) j++;
    else out.push(x);
  }
  return out;
}

/** Whether an MRT file has plain (not _ADDPATH) BGP4MP UPDATEs whose NLRI carry path IDs. */
async function hasGuessedPathIds(path: string): Promise<boolean> {
  const bytes = await decompress(await Deno.readFile(path), path);
  for (const item of readMrt(bytes)) {
    const b = item.record?.body;
    if (b?.kind !== "message" || b.addPath || !("update" in b.message)) continue;
    const u = b.message.update;
    const nlri = [...u.nlri, ...(u.attributes.mpReach?.nlri ?? [])];
    if (nlri.some((n) => n.pathId !== undefined)) return true;
  }
  return false;
}

/** Attributes each route only one side has to a reason, or returns it unexplained. */
function explain(
  only: string[],
  side: 0 | 1,
  guessed: boolean,
  counts: Record<string, [number, number]>,
): string[] {
  const left: string[] = [];
  for (const r of only) {
    const f = r.split("|");
    let reason: string | undefined;
    if (side === 1 && f[0] === "A" && f[3] === "") reason = "empty-as-path";
    else if (guessed && f[0] === "A") reason = "guessed-add-path";
    if (!reason) {
      left.push(r);
      continue;
    }
    (counts[reason] ??= [0, 0])[side]++;
  }
  return left;
}

const DIRS = ["mrtparse", "pyasn", "bgpkit", "libbgpstream", "hdb3-MRT", "bgpipe"];
const files = DIRS.flatMap((d) => sharedFiles(`mrt/${d}`, /^(?!README)/));

for (const path of files) {
  const name = path.slice(path.indexOf("/mrt/") + 5);
  Deno.test({
    name: `decode --format bgpdump sees the routes bgpdump sees in ${name}` +
      (HAS_SHARED && HAS_BGPDUMP ? "" : " (skipped: ../shared/data or /usr/bin/bgpdump absent)"),
    ignore: !HAS_SHARED || !HAS_BGPDUMP,
    fn: async () => {
      const theirs = routes(await bgpdumpM(path), false);
      const ours = routes((await bmpmonDecode("--format", "bgpdump", path)).lines, true);
      const guessed = await hasGuessedPathIds(path);
      const counts: Record<string, [number, number]> = {};
      const onlyTheirs = explain(minus(theirs, ours), 0, guessed, counts);
      const onlyOurs = explain(minus(ours, theirs), 1, guessed, counts);
      assertEquals({ onlyTheirs, onlyOurs }, { onlyTheirs: [], onlyOurs: [] });
      assertEquals(counts, KNOWN[name] ?? {});
      // Per peer and family, once the known differences are taken out.
      if (Object.keys(counts).length === 0) {
        assertEquals([...perPeerFamily(ours)].sort(), [...perPeerFamily(theirs)].sort());
      }
      if (theirs.length > 0) assertEquals(ours.length > 0, true);
    },
  });
}

Deno.test("the second-opinion differences each have a reason", () => {
  for (const c of Object.values(KNOWN)) {
    for (const k of Object.keys(c)) assertEquals(typeof REASONS[k], "string");
  }
});
