/**
 * Fuzz / property test of the MRT reader: FUZZ_MRT_RECORDS mutated records (default
 * 50,000; CI runs 1,000,000, see `.ci/run`), each read by `readMrt()` between two intact
 * records, then formatted (`bgpdumpLines()`, the jsonl object, the summary) and, one in 8,
 * turned into the BMP session of `replay` (`mrtToBmp()`).
 *
 * Invariants: nothing is thrown out of the reader or the formatters; every error is typed
 * (`code`, a byte offset inside the input) and not a converted non-bounds exception
 * (`cause`, a bug such as a TypeError); when the mutant kept its MRT framing, the record
 * after it is still read, as it reads alone.
 *
 * Seeds: the bundled mrtparse samples (tests/fixtures/mrt/) and, when present, a sample
 * of the records of every shared MRT file (records up to 4 KiB).
 * Environment: FUZZ_MRT_RECORDS (count), FUZZ_SEED (default 7854).
 *
 * @module
 */

import { mrtRecordJson } from "../../src/cli/decode_mrt.ts";
import { jsonReplacer } from "../../src/bmp/json.ts";
import { decompress } from "../../src/io/file.ts";
import { bgpdumpLines } from "../../src/mrt/bgpdump.ts";
import { MRT_HEADER_LENGTH, type MrtItem, readMrt } from "../../src/mrt/reader.ts";
import { MrtSummaryBuilder } from "../../src/mrt/summary.ts";
import { mrtToBmp } from "../../src/mrt/to_bmp.ts";
import { assertEquals } from "../_assert.ts";
import { fixture, sharedFiles } from "../_data.ts";
import { mixSeed, mutate, readField, Rng, writeField } from "../fuzz/_mutate.ts";
import { concat } from "../_bytes.ts";

const envInt = (name: string, dflt: number) => {
  const v = Deno.env.get(name);
  return v === undefined || v === "" ? dflt : Number(v.replaceAll("_", ""));
};

/** Splits an MRT file into records by the header Length. */
function records(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off + MRT_HEADER_LENGTH <= bytes.length;) {
    const len = readField(bytes, off + 8, 4);
    const end = off + MRT_HEADER_LENGTH + len;
    if (end > bytes.length) break;
    out.push(bytes.subarray(off, end));
    off = end;
  }
  return out;
}

/** Offsets and sizes of the length and count fields of one MRT record. */
function mrtLengthFields(m: Uint8Array): [number, 1 | 2 | 4][] {
  const f: [number, 1 | 2 | 4][] = [[8, 4]];
  const type = readField(m, 4, 2);
  const sub = readField(m, 6, 2);
  let p = MRT_HEADER_LENGTH;
  if (type === 17) p += 4;
  if (type === 16 || type === 17) {
    const as4 = [4, 5, 7, 9, 11].includes(sub);
    p += (as4 ? 8 : 4) + 2;
    const alen = readField(m, p, 2) === 1 ? 4 : 16;
    f.push([p, 2]);
    p += 2 + 2 * alen;
    f.push([p + 16, 2], [p + 19, 2]); // BGP length, withdrawn routes length
    const wl = readField(m, p + 19, 2);
    f.push([p + 21 + wl, 2]); // path attribute length
  } else if (type === 13 && sub !== 1) {
    p += 4;
    if (sub === 6 || sub === 12) p += 3;
    f.push([p, 1]);
    p += 1 + ((m[p] + 7) >> 3);
    f.push([p, 2]);
    p += 2;
    const ap = sub >= 8 ? 4 : 0;
    for (let k = 0; k < 8 && p + 8 + ap <= m.length; k++) {
      f.push([p, 2], [p + 6 + ap, 2]);
      p += 8 + ap + readField(m, p + 6 + ap, 2);
    }
  } else if (type === 13) {
    f.push([p + 4, 2]);
  } else if (type === 12) {
    const alen = sub === 2 ? 16 : 4;
    f.push([p + 4 + alen, 1], [p + 4 + alen + 2 + 4 + alen + 2, 2]);
  }
  return f.filter(([o]) => o < m.length);
}

/** Seed records: bundled samples, plus every 50th record (up to 4 KiB) of shared files. */
async function seeds(): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const e of Deno.readDirSync(fixture("mrt/mrtparse"))) {
    out.push(...records(await Deno.readFile(fixture(`mrt/mrtparse/${e.name}`))));
  }
  for (const path of sharedFiles("mrt", /^(?!README|.*\.bgp\.gz$)/)) {
    const all = records(await decompress(await Deno.readFile(path), path));
    for (let i = 0; i < all.length; i += all.length > 500 ? 50 : 1) {
      if (all[i].length <= 4096) out.push(all[i]);
    }
  }
  return out;
}

/** Same item, compared by what it says (offsets shifted by `shift`). */
function sameItem(a: MrtItem, b: MrtItem, shift: number): boolean {
  if (a.error || b.error) {
    return !!a.error && !!b.error && a.error.code === b.error.code &&
      a.error.offset === b.error.offset + shift;
  }
  return a.record!.header.offset === b.record!.header.offset + shift &&
    a.record!.body.kind === b.record!.body.kind;
}

Deno.test("readMrt() yields only typed errors for FUZZ_MRT_RECORDS mutated records and reads on", async () => {
  const count = envInt("FUZZ_MRT_RECORDS", 50_000);
  const seed = envInt("FUZZ_SEED", 7854) >>> 0;
  const corpus = await seeds();
  const first = corpus.find((r) => readField(r, 4, 2) === 16)!;
  const after = corpus.find((r) => readField(r, 4, 2) === 13 && readField(r, 6, 2) === 1)!;
  const alone = [...readMrt(after)][0];
  const stats = { records: 0, errors: 0, escapes: 0, bugs: 0, lostNext: 0, resumed: 0 };
  const failures: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const rng = new Rng(mixSeed(seed, i));
    const m = mutate(rng, rng.pick(corpus), () => rng.pick(corpus)).bytes;
    if (rng.chance(0.4) && m.length > 0) {
      const fields = mrtLengthFields(m);
      if (fields.length > 0) {
        const [off, size] = rng.pick(fields);
        const cur = readField(m, off, size);
        const lie = rng.pick([0, 1, cur - 1, cur + 1, cur * 2, 2 ** (8 * size) - 1, rng.int(256)]);
        writeField(m, off, size, lie);
      }
    }
    const input = concat([first, m, after]);
    const framed = m.length >= MRT_HEADER_LENGTH &&
      readField(m, 8, 4) === m.length - MRT_HEADER_LENGTH;
    try {
      const items = [...readMrt(input)];
      const summary = new MrtSummaryBuilder();
      for (const it of items) {
        if (it.error) {
          stats.errors++;
          const e = it.error;
          if (typeof e.code !== "string" || !(e.offset >= 0 && e.offset <= input.length)) {
            stats.bugs++;
            failures.push(`#${i}: untyped error ${JSON.stringify(e)}`);
          }
          if ((e as { cause?: unknown }).cause !== undefined) {
            stats.bugs++;
            failures.push(`#${i}: ${String((e as { cause?: unknown }).cause)}`);
          }
          summary.addError(e);
          continue;
        }
        stats.records++;
        bgpdumpLines(it.record);
        JSON.stringify(mrtRecordJson(it.record), jsonReplacer);
        summary.add(it.record);
      }
      summary.result();
      // The replay's conversion takes the same records (every 8th mutant: it is slower).
      if (i % 8 === 0) mrtToBmp([input]);
      if (framed) {
        stats.resumed++;
        const last = items[items.length - 1];
        if (!last || !sameItem(last, alone, first.length + m.length)) {
          stats.lostNext++;
          failures.push(`#${i}: the record after the mutant was not read`);
        }
      }
    } catch (e) {
      stats.escapes++;
      failures.push(`#${i}: escaped: ${e instanceof Error ? e.stack : e}`);
    }
    if (failures.length > 20) break;
  }
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `  ${count} mutants of ${corpus.length} seed records in ${s} s (seed ${seed}):`,
    stats,
  );
  assertEquals(failures.slice(0, 5), []);
  assertEquals(stats.escapes + stats.bugs + stats.lostNext, 0);
  // The run exercised both outcomes and the resume check.
  assertEquals(stats.errors > 0 && stats.records > count && stats.resumed > 0, true);
});
