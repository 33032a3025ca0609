import {
  asPathText,
  decodeAsPath,
  flattenAsPath,
  originAs,
  pathLength,
  reconcileAs4Path,
} from "../../../src/bgp/attributes/as_path.ts";
import { WireReader } from "../../../src/wire/reader.ts";
import { assertDecodeError, assertEquals, cat, type Part, u16, u32 } from "../../_build.ts";

const decode = (b: Part, asn4 = true) => decodeAsPath(new WireReader(Uint8Array.from(b)), asn4);

Deno.test("decodeAsPath() reads 4-byte and 2-byte segments of every type", () => {
  const four = cat(
    [2, 2],
    u32(65001),
    u32(4200000000),
    [1, 2],
    u32(1),
    u32(2),
    [3, 1],
    u32(64512),
    [
      4,
      1,
    ],
    u32(64513),
  );
  assertEquals(decode(four), [
    { type: 2, asns: [65001, 4200000000] },
    { type: 1, asns: [1, 2] },
    { type: 3, asns: [64512] },
    { type: 4, asns: [64513] },
  ]);
  assertEquals(decode(cat([2, 2], u16(65001), u16(23456)), false), [
    { type: 2, asns: [65001, 23456] },
  ]);
});

Deno.test("decodeAsPath() reads an empty path", () => {
  assertEquals(decode([]), []);
});

Deno.test("decodeAsPath() rejects an unknown segment type and an empty segment", () => {
  assertDecodeError(() => decode(cat([5, 1], u32(1))), "bad-value");
  assertDecodeError(() => decode([2, 0]), "bad-value");
});

Deno.test("decodeAsPath() rejects a segment crossing the attribute end", () => {
  const b = cat([2, 2], u32(1), u32(2));
  assertDecodeError(() => decodeAsPath(new WireReader(b, 0, 6), true), "short-input");
  // A 2-byte path read as 4-byte: 2 ASNs need 8 bytes, 4 are there.
  assertDecodeError(() => decode(cat([2, 2], u16(1), u16(2))), "short-input");
});

Deno.test("reconcileAs4Path() replaces the trailing AS_TRANS part (RFC 6793 §4.2.3)", () => {
  assertEquals(
    reconcileAs4Path([{ type: 2, asns: [100, 200, 23456, 23456] }], [{
      type: 2,
      asns: [4200000001, 4200000002],
    }]),
    [{ type: 2, asns: [100, 200, 4200000001, 4200000002] }],
  );
});

Deno.test("reconcileAs4Path() counts an AS_SET as one ASN", () => {
  assertEquals(
    reconcileAs4Path(
      [{ type: 2, asns: [100, 23456] }, { type: 1, asns: [23456, 300] }],
      [{ type: 2, asns: [4200000001] }, { type: 1, asns: [4200000002, 300] }],
    ),
    [{ type: 2, asns: [100, 4200000001] }, { type: 1, asns: [4200000002, 300] }],
  );
});

Deno.test("reconcileAs4Path() ignores an AS4_PATH longer than AS_PATH", () => {
  const p = [{ type: 2, asns: [23456] }];
  assertEquals(reconcileAs4Path(p, [{ type: 2, asns: [1, 2] }]), p);
});

Deno.test("pathLength() counts sequences by ASN, sets as 1 and confederations as 0", () => {
  assertEquals(
    pathLength([{ type: 2, asns: [1, 2] }, { type: 1, asns: [3, 4] }, { type: 3, asns: [5] }, {
      type: 4,
      asns: [6],
    }]),
    3,
  );
});

Deno.test("originAs(), flattenAsPath() and asPathText() read the path", () => {
  const p = [{ type: 3, asns: [64512] }, { type: 2, asns: [1, 2] }, { type: 1, asns: [3, 4] }];
  assertEquals(originAs(p), undefined);
  assertEquals(originAs(p.slice(0, 2)), 2);
  assertEquals(flattenAsPath(p), [64512, 1, 2, 3, 4]);
  assertEquals(asPathText(p), "(64512) 1 2 {3,4}");
});
