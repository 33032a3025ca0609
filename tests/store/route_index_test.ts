import { assert, assertEquals } from "../_assert.ts";
import { routeHash, RouteIndex } from "../../src/store/route_index.ts";

const base = { peerId: 3, afi: 1, safi: 1, rd: "", pathId: 0, routeKey: "10.0.0.0/8" };

Deno.test("routeHash() changes with every field of the route identity", () => {
  const h = routeHash(base);
  for (
    const other of [
      { ...base, peerId: 4 },
      { ...base, afi: 2 },
      { ...base, safi: 128 },
      { ...base, rd: "1:1" },
      { ...base, pathId: 1 },
      { ...base, routeKey: "10.0.0.0/9" },
    ]
  ) assert(routeHash(other) !== h, JSON.stringify(other));
  // RD and key do not run into each other.
  assert(
    routeHash({ ...base, rd: "1:1", routeKey: "0/8" }) !==
      routeHash({ ...base, rd: "1:10", routeKey: "/8" }),
  );
  assertEquals(routeHash({ ...base }), h);
});

Deno.test("RouteIndex tells apart identities whose hashes are equal", () => {
  const ix = new RouteIndex();
  const variants = [
    base,
    { ...base, peerId: 4 },
    { ...base, afi: 2 },
    { ...base, safi: 2 },
    { ...base, rd: "1:1" },
    { ...base, pathId: 7 },
    { ...base, routeKey: "10.0.0.0/9" },
  ];
  // One hash for all: only the field comparison can tell them apart.
  variants.forEach((r, i) => {
    assertEquals(ix.find(r, 42), -1, JSON.stringify(r));
    ix.insert(r, 42, i);
  });
  variants.forEach((r, i) => assertEquals(ix.find({ ...r }, 42), i, JSON.stringify(r)));
  assertEquals(ix.size, variants.length);
});

Deno.test("RouteIndex finds every route after growing, and nothing after clear()", () => {
  const ix = new RouteIndex();
  const rows = Array.from({ length: 20_000 }, (_, i) => ({
    ...base,
    routeKey: `10.${i >> 8}.${i & 255}.0/24`,
  }));
  rows.forEach((r, i) => ix.insert(r, routeHash(r), i));
  rows.forEach((r, i) => assertEquals(ix.find(r, routeHash(r)), i));
  assertEquals(ix.find({ ...base, routeKey: "11.0.0.0/8" }, routeHash(base)), -1);
  ix.clear();
  assertEquals(ix.size, 0);
  assertEquals(ix.find(rows[5], routeHash(rows[5])), -1);
  ix.insert(rows[5], routeHash(rows[5]), 0);
  assertEquals(ix.find(rows[5], routeHash(rows[5])), 0);
});
