import { assertEquals } from "../_assert.ts";
import { fixture, shared, sharedFiles, sharedTest } from "../_data.ts";
import { labCounts } from "./_lab_counts.ts";

async function check(bmpPath: string): Promise<void> {
  const expected = JSON.parse(await Deno.readTextFile(bmpPath.replace(/\.bmp$/, ".expected.json")));
  delete expected.frames_with_several_bmp_messages;
  delete expected.frames_malformed;
  assertEquals(labCounts(await Deno.readFile(bmpPath)), expected);
}

for (
  const name of [
    "gobgp-3.10-pre-100",
    "gobgp-3.10-all-1k",
    "frr-8.4-mirror-100",
    "frr-8.4-prepost-1k",
  ]
) {
  Deno.test(`decode matches the reference counts of ${name} (bundled)`, () =>
    check(fixture(`gobgp-frr-lab/${name}.bmp`)));
}

const bundled = new Set([
  "gobgp-3.10-pre-100",
  "gobgp-3.10-all-1k",
  "frr-8.4-mirror-100",
  "frr-8.4-prepost-1k",
]);
const more = sharedFiles("bmp/gobgp-frr-lab", /\.bmp$/).filter((p) =>
  !bundled.has(p.split("/").pop()!.replace(/\.bmp$/, ""))
);
if (more.length === 0) {
  sharedTest("decode matches the reference counts of gobgp-frr-lab 10k streams", () => {
    throw new Error(`no 10k streams under ${shared("bmp/gobgp-frr-lab")}`);
  });
}
for (const p of more) {
  sharedTest(`decode matches the reference counts of ${p.split("/").pop()}`, () => check(p));
}
