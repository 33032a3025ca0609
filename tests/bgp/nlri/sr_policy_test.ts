import { assertDecodeError, assertEquals, cat, ip, u32 } from "../../_build.ts";
import { decodeFamily } from "./_typed.ts";

Deno.test("decodeSrPolicyNlri() reads IPv4 and IPv6 endpoints (RFC 9830 §2.1)", () => {
  const [a] = decodeFamily(1, 73, cat([96], u32(2), u32(100), ip("10.0.0.1")));
  assertEquals(a.srPolicy, { distinguisher: 2, color: 100, endpoint: "10.0.0.1" });
  assertEquals(a.key, "2|100|10.0.0.1");
  const [b] = decodeFamily(2, 73, cat([192], u32(1), u32(4294967295), ip("2001:db8::1")));
  assertEquals(b.key, "1|4294967295|2001:db8::1");
});

Deno.test("decodeSrPolicyNlri() rejects a length that does not fit the family", () => {
  assertDecodeError(() => decodeFamily(1, 73, cat([192], u32(1), u32(1), ip("::1"))), "bad-length");
  assertDecodeError(() => decodeFamily(1, 73, cat([96], u32(1), u32(1), [10, 0])), "short-input");
});
