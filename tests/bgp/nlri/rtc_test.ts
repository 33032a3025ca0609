import { assertDecodeError, assertEquals, cat, rd0, u32 } from "../../_build.ts";
import { decodeFamily } from "./_typed.ts";

// An RT as an extended community: type 0x00 sub-type 0x02, 2-byte AS, 4-byte number.
const rt = (asn: number, n: number) => [0, 2, ...rd0(asn, n).slice(2)];

Deno.test("decodeRtcNlri() reads a whole route target, the default and an origin-AS-only membership", () => {
  const got = decodeFamily(1, 132, cat([96], u32(65002), rt(65000, 100), [0], [32], u32(65003)));
  assertEquals(got.map((n) => n.key), ["65002:rt:65000:100", "default", "65003"]);
  assertEquals(got[0].rtc, {
    bits: 96,
    originAs: 65002,
    routeTarget: "rt:65000:100",
    text: "65002:rt:65000:100",
  });
  assertEquals(got[1].rtc, { bits: 0, text: "default" });
  assertEquals(got[0].prefix, "");
});

Deno.test("decodeRtcNlri() keeps a route target prefix (RFC 4684 §4) as hex/bits, with a path ID", () => {
  const [n] = decodeFamily(1, 132, cat(u32(9), [48], u32(65002), [0, 2]), true);
  assertEquals([n.pathId, n.key], [9, "65002:0002/16"]);
});

Deno.test("decodeRtcNlri() rejects lengths 1-31 and over 96", () => {
  assertDecodeError(() => decodeFamily(1, 132, [16, 0, 0]), "bad-length");
  assertDecodeError(() => decodeFamily(1, 132, cat([97], u32(1), rt(1, 1), [0])), "bad-length");
  assertDecodeError(() => decodeFamily(1, 132, cat([96], u32(1), [0, 2])), "short-input");
});
