import { hex, ipv4, ipv6, prefixText } from "../../src/wire/ip.ts";
import { assertEquals, fromHex, ip6 } from "../_build.ts";

const v6 = (s: string) => ipv6(new Uint8Array(ip6(s)), 0);

Deno.test("ipv4() formats dotted-quad at an offset", () => {
  assertEquals(ipv4(new Uint8Array([9, 192, 0, 2, 255]), 1), "192.0.2.255");
});

Deno.test("ipv6() compresses the longest run of zero groups (RFC 5952 §4.2.1)", () => {
  assertEquals(v6("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
  assertEquals(v6("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");
});

Deno.test("ipv6() compresses the first of equal runs (RFC 5952 §4.2.3)", () => {
  assertEquals(v6("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
});

Deno.test("ipv6() does not compress a single zero group (RFC 5952 §4.2.2)", () => {
  assertEquals(v6("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
});

Deno.test("ipv6() writes lower case without leading zeros (RFC 5952 §4.1, §4.3)", () => {
  assertEquals(ipv6(fromHex("20010DB8000A00BC0000000000000DEF"), 0), "2001:db8:a:bc::def");
});

Deno.test("ipv6() handles all-zero, loopback, trailing zeros and IPv4-mapped", () => {
  assertEquals(v6("::"), "::");
  assertEquals(v6("::1"), "::1");
  assertEquals(v6("fe80::"), "fe80::");
  assertEquals(v6("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
});

Deno.test("prefixText() masks bits beyond the prefix length", () => {
  // 10.1.3.x/23 sent with the host bit set in the third octet.
  assertEquals(prefixText(1, new Uint8Array([10, 1, 3]), 0, 23), "10.1.2.0/23");
  assertEquals(prefixText(1, new Uint8Array([0xff]), 0, 1), "128.0.0.0/1");
  assertEquals(prefixText(2, fromHex("20010db8ff"), 0, 33), "2001:db8:8000::/33");
});

Deno.test("prefixText() reads only ceil(bits/8) bytes", () => {
  // The byte after a /16 belongs to the next NLRI and must not show up.
  assertEquals(prefixText(1, new Uint8Array([10, 20, 99]), 0, 16), "10.20.0.0/16");
  assertEquals(prefixText(1, new Uint8Array([99]), 0, 0), "0.0.0.0/0");
  assertEquals(prefixText(2, fromHex("20010db8ffff"), 0, 32), "2001:db8::/32");
});

Deno.test("hex() writes two lower-case digits per byte", () => {
  assertEquals(hex(new Uint8Array([0, 0xab, 0x0f])), "00ab0f");
});
