import {
  addressNumber,
  Allowlist,
  ConnectionCounter,
  LIMIT_REASONS,
  newLimitCounters,
  PeerCap,
  TokenBucket,
} from "../../src/collector/limits.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";

Deno.test("TokenBucket: the burst is free, then each message costs 1/rate s, refilled by time", () => {
  const b = new TokenBucket(1000, 100, 0);
  assertEquals(b.take(100, 0), 0);
  assertEquals(b.take(1, 0), 1); // 1 token in debt at 1000/s: 1 ms
  assertEquals(b.take(0, 1), 0); // paid back
  assertEquals(b.take(500, 1), 500);
  // Debt is remembered: after 200 ms, 300 tokens are still owed.
  assertEquals(b.take(0, 201), 300);
  // Refill never exceeds the burst.
  assertEquals(b.take(0, 10_000), 0);
  assertEquals(b.take(100, 10_000), 0);
  assertEquals(b.take(10, 10_000), 10);
  // A clock going backwards refills nothing.
  assertEquals(b.take(0, 5_000), 10);
});

Deno.test("TokenBucket: a burst below 1 is raised to 1", () => {
  const b = new TokenBucket(10, 0, 0);
  assertEquals(b.burst, 1);
  assertEquals(b.take(1, 0), 0);
  assertEquals(b.take(1, 0), 100);
});

Deno.test("addressNumber() reads IPv4, IPv6, IPv4-mapped and embedded forms alike", () => {
  const v4 = addressNumber("192.0.2.1");
  assertEquals(v4, (0xffffn << 32n) | 0xc0000201n);
  assertEquals(addressNumber("::ffff:192.0.2.1"), v4);
  assertEquals(addressNumber("::ffff:c000:201"), v4);
  assertEquals(addressNumber("::1"), 1n);
  assertEquals(addressNumber("2001:db8::"), 0x20010db8n << 96n);
  assertEquals(addressNumber("2001:db8:0:0:0:0:0:1"), (0x20010db8n << 96n) | 1n);
  assertEquals(addressNumber("fe80::1%eth0"), (0xfe80n << 112n) | 1n);
  for (
    const bad of [
      "",
      "1.2.3",
      "1.2.3.256",
      "1.2.3.4.5",
      "01234.1.1.1",
      "a.b.c.d",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8::",
      "12345::",
      "::g",
      "::1.2.3.256",
    ]
  ) {
    assertEquals(addressNumber(bad), undefined, bad);
  }
});

Deno.test("Allowlist matches IPv4 and IPv6 networks, hosts, and mapped IPv4 sources", () => {
  const a = Allowlist.parse(" 10.0.0.0/8 ,192.0.2.7, 2001:db8:100::/40,,::1");
  assertEquals(a.text, ["10.0.0.0/8", "192.0.2.7", "2001:db8:100::/40", "::1"]);
  for (const ok of ["10.0.0.0", "10.255.255.255", "192.0.2.7", "::ffff:10.1.2.3", "::1"]) {
    assert(a.allows(ok), ok);
  }
  for (const ok of ["2001:db8:100::1", "2001:db8:1ff:ffff::"]) assert(a.allows(ok), ok);
  for (
    const no of ["11.0.0.0", "9.255.255.255", "192.0.2.8", "2001:db8:200::", "::2", "nonsense"]
  ) {
    assert(!a.allows(no), no);
  }
  // An IPv4 network never matches an IPv6 address that merely shares the low bits.
  assert(!Allowlist.parse("0.0.0.0/0").allows("::1"));
  assert(Allowlist.parse("0.0.0.0/0").allows("203.0.113.9"));
  assert(Allowlist.parse("::/0").allows("203.0.113.9"), "::/0 holds mapped IPv4 too");
  // Host bits set in the network are ignored.
  assert(Allowlist.parse("10.1.2.3/8").allows("10.9.9.9"));
});

Deno.test("Allowlist.parse() names the entry it cannot read", () => {
  for (
    const [list, bad] of [
      ["10.0.0.0/33", "10.0.0.0/33"],
      ["10.0.0.0/8, 2001:db8::/129", "2001:db8::/129"],
      ["10.0.0/8", "10.0.0/8"],
      ["example.com", "example.com"],
      ["10.0.0.0/x", "10.0.0.0/x"],
      ["10.0.0.0/", "10.0.0.0/"],
    ]
  ) {
    const e = assertThrows(() => Allowlist.parse(list), Error);
    assert(e.message.includes(JSON.stringify(bad)), e.message);
  }
  assertThrows(() => Allowlist.parse(" , "), Error);
});

Deno.test("ConnectionCounter refuses beyond the total and the per-address limit, and releases", () => {
  const c = new ConnectionCounter(3, 2);
  assertEquals(c.admit("a"), undefined);
  assertEquals(c.admit("a"), undefined);
  assertEquals(c.admit("a"), "max_connections_per_address");
  assertEquals(c.admit("b"), undefined);
  assertEquals(c.admit("c"), "max_connections");
  assertEquals([c.total, c.from("a"), c.from("b"), c.from("c")], [3, 2, 1, 0]);
  c.release("a");
  assertEquals(c.admit("c"), undefined);
  c.release("zzz"); // never admitted: nothing to release
  assertEquals(c.total, 3);
  for (const x of ["a", "b", "c"]) c.release(x);
  assertEquals([c.total, c.from("a")], [0, 0]);
  const none = new ConnectionCounter(Infinity, Infinity);
  for (let i = 0; i < 10_000; i++) assertEquals(none.admit("x"), undefined);
});

Deno.test("PeerCap admits the first peers and refuses messages of the rest", () => {
  const p = new PeerCap(2);
  assert(p.admit("0||192.0.2.1"));
  assert(p.admit("0||192.0.2.2"));
  assert(!p.admit("0||192.0.2.3"));
  assert(p.admit("0||192.0.2.1"), "an admitted peer stays admitted");
  assertEquals(p.size, 2);
});

Deno.test("newLimitCounters() has a zero for every reason", () => {
  const c = newLimitCounters();
  assertEquals(Object.keys(c), [...LIMIT_REASONS]);
  assertEquals(Object.values(c).every((n) => n === 0), true);
});
