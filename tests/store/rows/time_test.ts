import { assertEquals } from "../../_assert.ts";
import { timestampText } from "../../../src/store/rows/time.ts";

Deno.test("timestampText() formats microseconds and whole seconds", () => {
  assertEquals(timestampText(1_700_000_000, 0), "2023-11-14T22:13:20Z");
  assertEquals(timestampText(1_700_000_000, 999_999), "2023-11-14T22:13:20.999999Z");
});
