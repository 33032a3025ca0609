/**
 * The test helper's text-format parser rejects what the format forbids, so the
 * `/metrics` checks built on it can fail.
 */

import { assertEquals, assertThrows } from "../_assert.ts";
import { parsePrometheusText } from "./_prom.ts";

const GOOD = `# HELP a_total A.
# TYPE a_total counter
a_total{x="1"} 1
a_total{x="2"} 2.5e3
# TYPE h histogram
h_bucket{le="1"} 1
h_bucket{le="+Inf"} 2
h_sum 3
h_count 2
`;

Deno.test("parsePrometheusText() accepts a valid exposition", () => {
  const f = parsePrometheusText(GOOD);
  assertEquals(f.get("a_total")!.samples.map((s) => s.value), [1, 2500]);
  assertEquals(f.get("h")!.samples.length, 4);
});

Deno.test("parsePrometheusText() rejects what the text format forbids", () => {
  const cases: [string, string][] = [
    [GOOD.slice(0, -1), "no line feed"],
    ["# TYPE a counter\na 1\n# TYPE b gauge\nb 1\na 2\n", "two groups"],
    ["a 1\n# TYPE a counter\n", "TYPE of a after its samples"],
    ["# TYPE a gauge\na 1\na 2\n", "duplicate series"],
    ['# TYPE a gauge\na{x="1",x="2"} 1\n', "label x twice"],
    ['# TYPE a gauge\na{x="\\t"} 1\n', "bad escape"],
    ['# TYPE a gauge\na{x="1} 1\n', "unterminated"],
    ['# TYPE a gauge\na{__x="1"} 1\n', "reserved"],
    ["# TYPE a gauge\na one\n", "bad value"],
    ["# TYPE a counter\na -1\n", "counter a is -1"],
    ["# TYPE a sometype\n", "bad type"],
    ["# TYPE a gauge\n# TYPE a gauge\n", "second TYPE"],
    ["# HELP a x\\y\n", "bad escape"],
    ['# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', "+Inf"],
    [
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
      "cumulative",
    ],
    ['# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n', "!= _count"],
    ['# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_count 1\n', "no _count or _sum"],
    ['# TYPE g gauge\ng{le="1"} 1\n', "label le outside"],
  ];
  for (const [text, msg] of cases) assertThrows(() => parsePrometheusText(text), Error, msg);
});
