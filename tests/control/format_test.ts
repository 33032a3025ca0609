import {
  cellText,
  count,
  csv,
  duration,
  fields,
  humanBytes,
  table,
} from "../../src/control/format.ts";
import { assertEquals } from "../_assert.ts";

Deno.test("table() aligns columns and right-aligns numeric ones", () => {
  const t = table(["ID", "Name", "Messages"], [[1, "gobgp-lab-A", 4439], [12, "frr", 7]]);
  assertEquals(t.split("\n"), [
    "ID  Name         Messages",
    " 1  gobgp-lab-A      4439",
    "12  frr                 7",
  ]);
  assertEquals(table(["a"], []), "a");
});

Deno.test("cellText() shows null as empty, arrays space-separated, objects as JSON", () => {
  assertEquals([cellText(null), cellText(["a", 1]), cellText({ x: 1 }), cellText(false)], [
    "",
    "a 1",
    '{"x":1}',
    "false",
  ]);
});

Deno.test("humanBytes(), duration() and count() use the units operators read", () => {
  assertEquals(
    [0, 1023, 1024, 465330, 517752, 10 * 1024 ** 3].map(humanBytes),
    ["0 B", "1023 B", "1.00 KiB", "454 KiB", "506 KiB", "10.0 GiB"],
  );
  assertEquals(
    [0, 59, 60, 3599, 3600, 86399, 86400 * 3 + 3600 * 5].map(duration),
    ["0s", "59s", "1m00s", "59m59s", "1h00m", "23h59m", "3d05h"],
  );
  assertEquals(count(1234567), "1,234,567");
  assertEquals(fields([["a", 1], ["long key", "x"]]), "a:        1\nlong key: x");
});

Deno.test("csv() quotes as RFC 4180 says", () => {
  assertEquals(
    csv(["a", "b"], [[1, 'x,"y"'], [null, "line\nbreak"]]),
    'a,b\r\n1,"x,""y"""\r\n,"line\nbreak"\r\n',
  );
});
