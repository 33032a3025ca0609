import {
  decodeRtrPdu,
  encodeRtrPdu,
  RTR_MAX_PDU_LENGTH,
  RtrFramer,
} from "../../src/rpki/rtr_pdu.ts";
import { DecodeError } from "../../src/wire/errors.ts";
import { assertBytes, assertEquals, assertThrows } from "../_assert.ts";

// Each PDU is written byte by byte from the diagrams of RFC 8210 §5 (RFC 6810 §5 for
// version 0), then decoded, and encoded back to the same bytes.
const u32 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

const CASES: [string, number[], Record<string, unknown>][] = [
  ["Serial Notify (§5.2)", [1, 0, 0x12, 0x34, ...u32(12), ...u32(77)], {
    type: 0,
    sessionId: 0x1234,
    serial: 77,
  }],
  ["Serial Query (§5.3)", [1, 1, 0, 9, ...u32(12), ...u32(0xfffffffe)], {
    type: 1,
    sessionId: 9,
    serial: 0xfffffffe,
  }],
  ["Reset Query (§5.4)", [1, 2, 0, 0, ...u32(8)], { type: 2 }],
  ["Cache Response (§5.5)", [1, 3, 0xab, 0xcd, ...u32(8)], { type: 3, sessionId: 0xabcd }],
  ["IPv4 Prefix (§5.6)", [1, 4, 0, 0, ...u32(20), 1, 24, 26, 0, 192, 0, 2, 0, ...u32(64496)], {
    type: 4,
    announce: true,
    prefix: "192.0.2.0/24",
    prefixLength: 24,
    maxLength: 26,
    asn: 64496,
  }],
  [
    "IPv6 Prefix (§5.7), a withdrawal",
    [
      1,
      6,
      0,
      0,
      ...u32(32),
      0,
      32,
      48,
      0,
      0x20,
      0x01,
      0x0d,
      0xb8,
      ...new Array(12).fill(0),
      ...u32(
        4200000000,
      ),
    ],
    {
      type: 6,
      announce: false,
      prefix: "2001:db8::/32",
      prefixLength: 32,
      maxLength: 48,
      asn: 4200000000,
    },
  ],
  ["End of Data v1 (§5.8)", [
    1,
    7,
    0,
    5,
    ...u32(24),
    ...u32(3),
    ...u32(60),
    ...u32(30),
    ...u32(
      600,
    ),
  ], { type: 7, sessionId: 5, serial: 3, refresh: 60, retry: 30, expire: 600 }],
  ["End of Data v0 (RFC 6810 §5.7)", [0, 7, 0, 5, ...u32(12), ...u32(3)], {
    type: 7,
    version: 0,
    sessionId: 5,
    serial: 3,
  }],
  ["Cache Reset (§5.9)", [1, 8, 0, 0, ...u32(8)], { type: 8 }],
  [
    "Router Key (§5.10)",
    [1, 9, 1, 0, ...u32(32), ...new Array(20).fill(0xaa), ...u32(65001)],
    { type: 9, announce: true, asn: 65001 },
  ],
  [
    "Error Report (§5.11)",
    [
      1,
      10,
      0,
      4,
      ...u32(8 + 4 + 8 + 4 + 2),
      ...u32(8),
      1,
      2,
      0,
      0,
      ...u32(8),
      ...u32(2),
      0x68,
      0x69,
    ],
    { type: 10, errorCode: 4, text: "hi" },
  ],
];

for (const [name, bytes, want] of CASES) {
  Deno.test(`decodeRtrPdu() and encodeRtrPdu() round-trip ${name}`, () => {
    const b = new Uint8Array(bytes);
    const p = decodeRtrPdu(b) as Record<string, unknown>;
    for (const [k, v] of Object.entries(want)) assertEquals(p[k], v, `${name}: ${k}`);
    if (!("version" in want)) assertEquals(p.version, 1);
    // Router Key is encoded without its SKI and SPKI (the client never sends one).
    if (p.type === 9) return;
    const addr = p.type === 4 || p.type === 6
      ? b.subarray(12, 12 + (p.type === 4 ? 4 : 16))
      : undefined;
    assertBytes(encodeRtrPdu(p as never, addr), b, name);
  });
}

Deno.test("decodeRtrPdu() masks prefix bits past the length", () => {
  const b = new Uint8Array([1, 4, 0, 0, ...u32(20), 1, 23, 24, 0, 192, 0, 3, 255, ...u32(1)]);
  assertEquals((decodeRtrPdu(b) as { prefix: string }).prefix, "192.0.2.0/23");
});

Deno.test("decodeRtrPdu() rejects lengths its type cannot have", () => {
  const cases: [number[], string][] = [
    [[1, 2, 0, 0, ...u32(12), 0, 0, 0, 0], "bad-length"], // Reset Query of 12
    [[1, 4, 0, 0, ...u32(16), 1, 24, 24, 0, 192, 0, 2, 0], "bad-length"], // IPv4 Prefix, no ASN
    [[0, 7, 0, 0, ...u32(24), ...new Array(16).fill(0)], "bad-length"], // v0 End of Data of v1 size
    [[1, 7, 0, 0, ...u32(12), 0, 0, 0, 0], "bad-length"], // v1 End of Data of v0 size
    [[1, 4, 0, 0, ...u32(20), 1, 33, 33, 0, 192, 0, 2, 0, ...u32(1)], "bad-value"], // /33
    [[1, 4, 0, 0, ...u32(20), 1, 24, 23, 0, 192, 0, 2, 0, ...u32(1)], "bad-value"], // max < len
    [[1, 5, 0, 0, ...u32(8)], "bad-type"], // type 5 is unassigned
    [[1, 99, 0, 0, ...u32(8)], "bad-type"],
    [[0, 9, 0, 0, ...u32(32), ...new Array(24).fill(0)], "bad-type"], // Router Key in v0
    // Error Report whose inner PDU length runs past the PDU, and one with trailing bytes.
    [[1, 10, 0, 0, ...u32(16), ...u32(100), ...u32(0)], "short-input"],
    [[1, 10, 0, 0, ...u32(17), ...u32(0), ...u32(0), 7], "bad-length"],
  ];
  for (const [bytes, code] of cases) {
    const e = assertThrows(() => decodeRtrPdu(new Uint8Array(bytes)), DecodeError);
    assertEquals(e.code, code, JSON.stringify(bytes));
  }
});

Deno.test("RtrFramer.push() joins PDUs split across reads and splits several in one", () => {
  const a = new Uint8Array([1, 3, 0, 7, ...u32(8)]);
  const b = new Uint8Array([1, 7, 0, 7, ...u32(24), ...new Array(16).fill(1)]);
  const stream = new Uint8Array([...a, ...b, ...a]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const f = new RtrFramer();
    const out = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))];
    assertEquals(out.map((p) => p.length), [8, 24, 8], `cut ${cut}`);
    assertEquals(f.pending, 0);
  }
});

Deno.test("RtrFramer.push() rejects a length under 8 or over the limit before buffering", () => {
  assertEquals(
    assertThrows(() => new RtrFramer().push(new Uint8Array([1, 2, 0, 0, ...u32(7)])), DecodeError)
      .code,
    "bad-length",
  );
  const huge = new Uint8Array([1, 10, 0, 0, ...u32(RTR_MAX_PDU_LENGTH + 1)]);
  assertEquals(assertThrows(() => new RtrFramer().push(huge), DecodeError).code, "too-large");
  assertEquals(
    assertThrows(
      () => new RtrFramer().push(new Uint8Array([1, 10, 0, 0, ...u32(0xffffffff)])),
      DecodeError,
    )
      .code,
    "too-large",
  );
});
