import { isZeroRd, routeDistinguisher } from "../../src/bgp/rd.ts";
import { assertEquals, rd0, rd1, rd2 } from "../_build.ts";

const rd = (b: number[], off = 0) => routeDistinguisher(Uint8Array.from(b), off);

Deno.test("routeDistinguisher() formats type 0 as 2-byte ASN:4-byte number", () => {
  assertEquals(rd(rd0(65000, 4294967295)), "65000:4294967295");
});

Deno.test("routeDistinguisher() formats type 1 as IPv4:2-byte number", () => {
  assertEquals(rd(rd1("192.0.2.1", 65535)), "192.0.2.1:65535");
});

Deno.test("routeDistinguisher() formats type 2 as 4-byte ASN:2-byte number", () => {
  assertEquals(rd(rd2(4200000000, 7)), "4200000000:7");
});

Deno.test("routeDistinguisher() keeps an unknown type as type:hex", () => {
  assertEquals(rd([0, 3, 1, 2, 3, 4, 5, 6]), "3:010203040506");
});

Deno.test("routeDistinguisher() reads at an offset inside a larger buffer", () => {
  assertEquals(rd([9, 9, ...rd0(1, 2), 9], 2), "1:2");
});

Deno.test("isZeroRd() is true only for eight zero bytes", () => {
  assertEquals(isZeroRd(new Uint8Array(8), 0), true);
  assertEquals(isZeroRd(Uint8Array.from(rd0(0, 1)), 0), false);
});
