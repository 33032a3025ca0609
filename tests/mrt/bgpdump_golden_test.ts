/**
 * Acceptance test: `bmpmon decode --format bgpdump` prints what bgpdump prints, line for
 * line, for every file of bgpdump's own test set (`../shared/data/mrt/bgpdump/`,
 * `test_data/X` against the golden `test_expect/X.bgp.gz`).
 *
 * A line may differ only by the bgpdump quirks bmpmon does not copy (`QUIRKS` and
 * `BROKEN_NLRI_TAIL` in `_bgpdump.ts`, each with its reason); how many lines each quirk
 * explains is asserted per file, so a new difference, or a quirk that stops showing,
 * fails the test.
 *
 * @module
 */

import { decompress } from "../../src/io/file.ts";
import { readMrt } from "../../src/mrt/reader.ts";
import { ipAddress } from "../../src/wire/ip.ts";
import { assertEquals } from "../_assert.ts";
import { HAS_SHARED, shared, sharedFiles, sharedTest } from "../_data.ts";
import { bmpmonDecode, BROKEN_NLRI_TAIL, QUIRKS, textLines } from "./_bgpdump.ts";

/** Lines each quirk explains, per file (files not listed: none). */
const EXPECTED_QUIRKS: Record<string, Record<string, number>> = {
  "bview.ipv4_unicast_add_path.gz": { "absent-next-hop": 2, "absent-origin": 2 },
  "bview.ipv6_unicast_add_path.gz": { "absent-next-hop": 62, "absent-origin": 2 },
  "updates.20100722.2015.gz": { "ipv6-lone-zero-group": 42 },
  "updates.nlri_mask_trailing_bits.gz": { "broken-nlri-tail": 1 },
};

/** `TAG|time|` and `|peer|` of the BGP4MP records bmpmon reported as errors. */
async function errorRecords(path: string): Promise<Set<string>> {
  const bytes = await decompress(await Deno.readFile(path), path);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Set<string>();
  for (const item of readMrt(bytes)) {
    if (!item.error) continue;
    const o = item.error.recordOffset;
    const type = v.getUint16(o + 4);
    if (type !== 16 && type !== 17) continue;
    const et = type === 17;
    const asn4 = [4, 5, 7, 9, 11].includes(v.getUint16(o + 6));
    const p = o + 12 + (et ? 4 : 0) + (asn4 ? 8 : 4) + 2;
    const alen = v.getUint16(p) === 1 ? 4 : 16;
    const ts = et
      ? `${v.getUint32(o)}.${String(v.getUint32(o + 12)).padStart(6, "0")}`
      : `${v.getUint32(o)}`;
    out.add(`${et ? "BGP4MP_ET" : "BGP4MP"}|${ts}|${ipAddress(bytes, p + 2, alen)}`);
  }
  return out;
}

/** Compares two line lists; returns the lines explained per quirk, or throws. */
function compare(
  ours: string[],
  golden: string[],
  errors: Set<string>,
): Record<string, number> {
  const counts: Record<string, number> = {};
  let j = 0;
  for (let i = 0; i < golden.length; i++) {
    const want = golden[i];
    const got = ours[j];
    if (got === want) {
      j++;
      continue;
    }
    if (got !== undefined) {
      let line = got;
      const used: string[] = [];
      for (const q of QUIRKS) {
        const next = q.toBgpdump(line);
        if (next !== line) used.push(q.name);
        line = next;
      }
      if (line === want) {
        for (const n of used) counts[n] = (counts[n] ?? 0) + 1;
        j++;
        continue;
      }
    }
    const f = want.split("|");
    if (errors.has(`${f[0]}|${f[1]}|${f[3]}`)) {
      counts[BROKEN_NLRI_TAIL.name] = (counts[BROKEN_NLRI_TAIL.name] ?? 0) + 1;
      continue;
    }
    throw new Error(`line ${i + 1} differs:\n  bgpdump: ${want}\n  bmpmon:  ${got}`);
  }
  assertEquals(ours.length, j, `bmpmon printed ${ours.length - j} lines more than bgpdump`);
  return counts;
}

const files = sharedFiles("mrt/bgpdump/test_data", /./);

sharedTest("decode --format bgpdump: bgpdump's test set has its 12 files", () => {
  assertEquals(files.length, 12);
});

for (const path of files) {
  const name = path.slice(path.lastIndexOf("/") + 1);
  sharedTest(`decode --format bgpdump equals bgpdump's golden output for ${name}`, async () => {
    const golden = await textLines(shared(`mrt/bgpdump/test_expect/${name}.bgp.gz`));
    const { lines } = await bmpmonDecode("--format", "bgpdump", path);
    const counts = compare(lines, golden, await errorRecords(path));
    assertEquals(counts, EXPECTED_QUIRKS[name] ?? {});
  });
}

Deno.test("the bgpdump quirks not copied are each explained and expected somewhere", () => {
  const names = [...QUIRKS.map((q) => q.name), BROKEN_NLRI_TAIL.name];
  for (const q of [...QUIRKS, BROKEN_NLRI_TAIL]) assertEquals(q.reason.length > 40, true);
  const used = new Set(Object.values(EXPECTED_QUIRKS).flatMap((c) => Object.keys(c)));
  assertEquals([...used].sort(), [...names].sort());
  if (!HAS_SHARED) console.log("(counts not checked: ../shared/data not present)");
});
