import { decodeNlri } from "../../../src/bgp/nlri/decode.ts";
import { decodePrefixes, decodePrefixesGuessAddPath } from "../../../src/bgp/nlri/prefix.ts";
import type { Nlri } from "../../../src/bgp/nlri/types.ts";
import { WireReader } from "../../../src/wire/reader.ts";
import {
  assertDecodeError,
  assertEquals,
  cat,
  type Part,
  prefix,
  rd0,
  rd1,
  rd2,
} from "../../_build.ts";

function decode(
  bytes: Part,
  afi: number,
  safi: number,
  addPath: boolean | undefined,
  withdraw = false,
): Nlri[] {
  const b = Uint8Array.from(bytes);
  const r = new WireReader(b);
  const out: Nlri[] = [];
  decodeNlri(r, afi, safi, addPath, withdraw, out);
  if (r.pos !== r.end) throw new Error(`stopped at ${r.pos} of ${r.end}`);
  return out;
}

Deno.test("decodePrefixes() reads IPv4 and IPv6 unicast prefixes", () => {
  assertEquals(decode(cat(prefix("10.0.0.0/8"), prefix("192.0.2.0/24")), 1, 1, false), [
    { prefix: "10.0.0.0/8" },
    { prefix: "192.0.2.0/24" },
  ]);
  assertEquals(decode(cat(prefix("2001:db8::/32"), prefix("::/0")), 2, 1, false), [
    { prefix: "2001:db8::/32" },
    { prefix: "::/0" },
  ]);
});

Deno.test("decodePrefixes() masks trailing bits of the last prefix byte", () => {
  assertEquals(decode([23, 10, 1, 3], 1, 1, false), [{ prefix: "10.1.2.0/23" }]);
  assertEquals(decode([9, 0xff, 0xff], 1, 1, false), [{ prefix: "255.128.0.0/9" }]);
});

Deno.test("decodePrefixes() reads Add-Path identifiers when told to", () => {
  assertEquals(
    decode(
      cat(prefix("10.101.0.0/24", { pathId: 1 }), prefix("10.0.0.0/8", { pathId: 7 })),
      1,
      1,
      true,
    ),
    [{ prefix: "10.101.0.0/24", pathId: 1 }, { prefix: "10.0.0.0/8", pathId: 7 }],
  );
});

Deno.test("decodePrefixes() rejects a prefix length above 32 for IPv4", () => {
  const r = new WireReader(new Uint8Array([33, 1, 2, 3, 4, 5]));
  assertDecodeError(() => decodePrefixes(r, 1, 1, false, false, []), "bad-length");
});

Deno.test("decodePrefixes() rejects a prefix crossing the end of its field", () => {
  // The field ends after 2 bytes; the /24 needs 3 more bytes, present in the buffer.
  const b = new Uint8Array([24, 10, 1, 2, 3]);
  assertDecodeError(
    () => decodePrefixes(new WireReader(b, 0, 2), 1, 1, false, false, []),
    "short-input",
  );
});

Deno.test("decodeNlri() guesses Add-Path: 10.101.0.0/24 path id 1 is not 101.0.0.0/10", () => {
  // 00000001 18 0a6500: read without path ids it parses as 0/0, 0/0, 0/0, 0.0.0.0/1,
  // 101.0.0.0/10 — the classic misreading.
  const b = prefix("10.101.0.0/24", { pathId: 1 });
  assertEquals(Array.from(b), [0, 0, 0, 1, 24, 10, 101, 0]);
  assertEquals(decode(b, 1, 1, undefined), [{ prefix: "10.101.0.0/24", pathId: 1 }]);
});

Deno.test("decodeNlri() guesses Add-Path for several IPv6 routes with path ids", () => {
  const b = cat(prefix("2001:db8::/32", { pathId: 1 }), prefix("2001:db8:1::/48", { pathId: 2 }));
  assertEquals(decode(b, 2, 1, undefined), [
    { prefix: "2001:db8::/32", pathId: 1 },
    { prefix: "2001:db8:1::/48", pathId: 2 },
  ]);
});

Deno.test("decodeNlri() guesses no Add-Path for plain prefixes", () => {
  const b = cat(prefix("10.101.0.0/24"), prefix("192.0.2.0/24"), prefix("0.0.0.0/0"));
  const r = new WireReader(b);
  const out: Nlri[] = [];
  assertEquals(decodePrefixesGuessAddPath(r, 1, 1, false, out), false);
  assertEquals(out, [{ prefix: "10.101.0.0/24" }, { prefix: "192.0.2.0/24" }, {
    prefix: "0.0.0.0/0",
  }]);
});

Deno.test("decodeNlri() keeps the capability's answer over the guess", () => {
  // With Add-Path known to be off, the same bytes are the (odd but valid) plain reading.
  assertEquals(decode(prefix("10.101.0.0/24", { pathId: 1 }), 1, 1, false).length, 5);
});

Deno.test("decodePrefixes() reads labeled unicast with a label stack (RFC 8277)", () => {
  const b = prefix("10.1.0.0/16", { labels: [100, 200] });
  assertEquals(decode(b, 1, 4, false), [{ prefix: "10.1.0.0/16", labels: [100, 200] }]);
});

Deno.test("decodePrefixes() stops at a withdrawn label 0x800000 (RFC 8277 §2.4)", () => {
  // No bottom-of-stack bit: only the compatibility value ends the stack of a withdrawal.
  const b = cat(
    prefix("10.1.0.0/16", { rawLabels: [0x800000] }),
    prefix("10.2.0.0/16", { rawLabels: [0x800000] }),
  );
  assertEquals(decode(b, 1, 4, false, true), [
    { prefix: "10.1.0.0/16", labels: [0x80000] },
    { prefix: "10.2.0.0/16", labels: [0x80000] },
  ]);
});

Deno.test("decodePrefixes() rejects a labeled NLRI too short for its label", () => {
  assertDecodeError(() => decode([16, 0, 0], 1, 4, false), "bad-length");
});

Deno.test("decodePrefixes() reads VPN NLRI with RD types 0, 1 and 2 (RFC 4364 §4.2)", () => {
  const b = cat(
    prefix("10.0.0.0/8", { labels: [16], rd: rd0(65000, 100) }),
    prefix("10.1.0.0/16", { labels: [17], rd: rd1("192.0.2.1", 7) }),
    prefix("10.2.0.0/16", { labels: [18], rd: rd2(4200000000, 5) }),
  );
  assertEquals(decode(b, 1, 128, false), [
    { prefix: "10.0.0.0/8", rd: "0:65000:100", labels: [16] },
    { prefix: "10.1.0.0/16", rd: "1:192.0.2.1:7", labels: [17] },
    { prefix: "10.2.0.0/16", rd: "2:4200000000:5", labels: [18] },
  ]);
  const v6 = prefix("2001:db8::/32", { labels: [19], rd: rd0(1, 1) });
  assertEquals(decode(v6, 2, 128, false), [{ prefix: "2001:db8::/32", rd: "0:1:1", labels: [19] }]);
});

Deno.test("decodePrefixes() reads a VPN withdrawal with label 0x800000 and path id", () => {
  const b = prefix("10.0.0.0/24", { pathId: 9, rawLabels: [0x800000], rd: rd0(65000, 1) });
  assertEquals(decode(b, 1, 128, true, true), [
    { prefix: "10.0.0.0/24", pathId: 9, rd: "0:65000:1", labels: [0x80000] },
  ]);
});

Deno.test("decodePrefixes() rejects a VPN NLRI with no room for its RD", () => {
  assertDecodeError(
    () => decode([24 + 32, ...[0, 1, 0x41], 1, 2, 3, 4], 1, 128, false),
    "bad-length",
  );
});
