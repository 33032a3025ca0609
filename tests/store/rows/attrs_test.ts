import { assert, assertEquals } from "../../_assert.ts";
import { attrRow } from "../../../src/store/rows/attrs.ts";
import { attributes } from "./_sample.ts";

Deno.test("attrRow() hashes content: equal sets share an id, any change gives another", () => {
  const base = attrRow(attributes, "192.0.2.254", []);
  assertEquals(attrRow(structuredClone(attributes), "192.0.2.254", []).id, base.id);
  const variants = [
    attrRow(attributes, "192.0.2.253", []),
    attrRow({ ...attributes, med: 0 }, "192.0.2.254", []),
    attrRow({ ...attributes, communities: [0xffffff01] }, "192.0.2.254", []),
    attrRow(
      { ...attributes, asPath: [{ type: 2, asns: [65002, 4200000001, 1, 2] }] },
      "192.0.2.254",
      [],
    ),
    attrRow(attributes, "192.0.2.254", [{ action: "attribute-discard", offset: 0, reason: "x" }]),
  ];
  const ids = new Set([base.id, ...variants.map((v) => v.id)]);
  assertEquals(ids.size, 6);
  assert(/^-?\d+$/.test(base.id) && BigInt(base.id) >= -(2n ** 63n) && BigInt(base.id) < 2n ** 63n);
});
