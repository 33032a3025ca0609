import { withoutNul } from "../../src/store/pg_text.ts";
import { assert, assertEquals } from "../_assert.ts";

Deno.test("withoutNul() maps U+0000 to U+FFFD in every string of a decoded message, nothing else", () => {
  const info = [{ type: 2, name: "sys_name", value: "r\0one" }, {
    type: 1,
    name: "x",
    value: "ok",
  }];
  const m = {
    kind: "initiation",
    length: 42,
    big: 2n ** 64n,
    information: info,
    nested: { deep: [["a\0", "b"]], when: new Date(0), bytes: new Uint8Array([0]) },
    untouched: { s: "no nul here \\0 \\u0000" },
  };
  const c = withoutNul(m);
  assertEquals(c.information[0].value, "r\ufffdone");
  assertEquals(c.nested.deep, [["a\ufffd", "b"]]);
  assertEquals(c.big, 2n ** 64n);
  // Only what changed is copied; the input is not modified.
  assert(c !== m && c.information !== info && c.information[1] === info[1]);
  assert(c.untouched === m.untouched && c.nested.when === m.nested.when);
  assert(c.nested.bytes === m.nested.bytes, "typed arrays are kept as they are");
  assertEquals(m.information[0].value, "r\0one");
  // Without a NUL, the very same value comes back.
  assert(withoutNul(c) === c);
  assertEquals(withoutNul("\0\0"), "\ufffd\ufffd");
  assertEquals(withoutNul(null), null);
});
