import { assertDecodeError, assertEquals, cat, ip, rd0, u16, u32 } from "../../_build.ts";
import { decodeFamily } from "./_typed.ts";

/** A MUP NLRI: architecture type 1 (3GPP 5G) | route type | length | body. */
const mup = (routeType: number, ...body: number[][]) => {
  const b = body.flat();
  return cat([1], u16(routeType), [b.length], b);
};

Deno.test("decodeMupNlri() reads ISD, DSD, T1ST and T2ST routes (draft-mpmz-bess-mup-safi §3.1)", () => {
  const rd = rd0(100, 100);
  const got = decodeFamily(
    1,
    85,
    cat(
      mup(1, rd, [24, 10, 0, 0]),
      mup(2, rd, ip("10.0.0.1")),
      mup(3, rd, [32], ip("192.168.0.1"), u32(12345), [9], [32], ip("10.0.0.2")),
      mup(4, rd, [64], ip("10.0.0.3"), u32(12345)),
      mup(4, rd, [48], ip("10.0.0.4"), [0x12, 0x34]),
    ),
  );
  assertEquals(got.map((n) => n.mup), [
    { architectureType: 1, routeType: 1, rd: "0:100:100", prefix: "10.0.0.0/24" },
    { architectureType: 1, routeType: 2, rd: "0:100:100", address: "10.0.0.1" },
    {
      architectureType: 1,
      routeType: 3,
      rd: "0:100:100",
      prefix: "192.168.0.1/32",
      teid: 12345,
      qfi: 9,
      endpoint: "10.0.0.2",
    },
    { architectureType: 1, routeType: 4, rd: "0:100:100", endpoint: "10.0.0.3", teid: 12345 },
    { architectureType: 1, routeType: 4, rd: "0:100:100", endpoint: "10.0.0.4", teid: 0x12340000 },
  ]);
  assertEquals(got.map((n) => n.key), [
    "1|1|0:100:100|10.0.0.0/24",
    "1|2|0:100:100|10.0.0.1",
    "1|3|0:100:100|192.168.0.1/32",
    "1|4|0:100:100|10.0.0.3|12345",
    "1|4|0:100:100|10.0.0.4|305397760",
  ]);
  assertEquals(got[0].rd, "0:100:100");
});

Deno.test("decodeMupNlri() keeps unknown architecture and route types raw", () => {
  const [n] = decodeFamily(2, 85, cat([2], u16(1), [2], [0xab, 0xcd]));
  assertEquals(n.mup, { architectureType: 2, routeType: 1, raw: "abcd" });
});

Deno.test("decodeMupNlri() rejects a body that does not fit its route type", () => {
  const rd = rd0(1, 1);
  assertDecodeError(() => decodeFamily(1, 85, mup(2, rd, ip("10.0.0.1"), [0])), "bad-length");
  assertDecodeError(
    () => decodeFamily(1, 85, mup(4, rd, [72], ip("10.0.0.1"), u32(1), [0])),
    "bad-length",
  );
  assertDecodeError(() => decodeFamily(1, 85, mup(1, rd, [33, 1, 2, 3, 4, 5])), "bad-length");
  assertDecodeError(() => decodeFamily(1, 85, cat([1], u16(1), [20], rd)), "short-input");
});
