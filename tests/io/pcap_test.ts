import { isPcap, readPcap, type TcpFlow } from "../../src/io/pcap.ts";
import { MAX_SEGMENT, writePcap } from "../../src/io/pcap_write.ts";
import { assert, assertBytes, assertEquals } from "../_assert.ts";
import { concat } from "../_bytes.ts";

// ---------------------------------------------------------------------------------------
// Helpers: packet and container builders, so each test states exactly what is on the wire.
// ---------------------------------------------------------------------------------------

function assertThrows(fn: () => unknown, includes: string): void {
  try {
    fn();
  } catch (e) {
    assert(e instanceof Error && e.message.includes(includes), `unexpected error: ${e}`);
    return;
  }
  throw new Error(`expected an error containing "${includes}"`);
}

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

const SYN = 0x02;
const PSH_ACK = 0x18;
const A4 = [192, 0, 2, 1];
const B4 = [192, 0, 2, 2];
const A6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const B6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

interface Seg {
  seq: number;
  data?: Uint8Array | string;
  flags?: number;
  srcPort?: number;
  dstPort?: number;
}

function tcp(s: Seg): Uint8Array {
  const data = typeof s.data === "string" ? text(s.data) : s.data ?? new Uint8Array(0);
  const b = new Uint8Array(20 + data.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, s.srcPort ?? 40000);
  v.setUint16(2, s.dstPort ?? 1790);
  v.setUint32(4, s.seq >>> 0);
  b[12] = 5 << 4;
  b[13] = s.flags ?? PSH_ACK;
  b.set(data, 20);
  return b;
}

function ip4(payload: Uint8Array, opts: { proto?: number; frag?: number; ihl?: number } = {}) {
  const ihl = opts.ihl ?? 20;
  const b = new Uint8Array(ihl + payload.length);
  const v = new DataView(b.buffer);
  b[0] = 0x40 | (ihl / 4);
  v.setUint16(2, b.length);
  v.setUint16(6, opts.frag ?? 0x4000);
  b[8] = 64;
  b[9] = opts.proto ?? 6;
  b.set(A4, 12);
  b.set(B4, 16);
  b.set(payload, ihl);
  return b;
}

/** IPv6 with a chain of extension headers, each given as [type, length in bytes]. */
function ip6(payload: Uint8Array, ext: [number, number][] = [], last = 6): Uint8Array {
  const extLen = ext.reduce((n, [, len]) => n + len, 0);
  const b = new Uint8Array(40 + extLen + payload.length);
  const v = new DataView(b.buffer);
  b[0] = 0x60;
  v.setUint16(4, extLen + payload.length);
  b[6] = ext.length ? ext[0][0] : last;
  b[7] = 64;
  b.set(A6, 8);
  b.set(B6, 24);
  let p = 40;
  ext.forEach(([type, len], i) => {
    b[p] = i + 1 < ext.length ? ext[i + 1][0] : last;
    if (type === 44) b[p + 1] = 0;
    else if (type === 51) b[p + 1] = len / 4 - 2;
    else b[p + 1] = len / 8 - 1;
    p += len;
  });
  b.set(payload, p);
  return b;
}

/** Classic pcap. */
function pcap(
  frames: Uint8Array[],
  opts: { link?: number; bigEndian?: boolean; nano?: boolean; ts?: number } = {},
): Uint8Array {
  const le = !opts.bigEndian;
  const head = new Uint8Array(24);
  const hv = new DataView(head.buffer);
  hv.setUint32(0, opts.nano ? 0xa1b23c4d : 0xa1b2c3d4, le);
  hv.setUint16(4, 2, le);
  hv.setUint16(6, 4, le);
  hv.setUint32(16, 65535, le);
  hv.setUint32(20, opts.link ?? 101, le);
  const parts: Uint8Array[] = [head];
  frames.forEach((f, i) => {
    const r = new Uint8Array(16);
    const rv = new DataView(r.buffer);
    rv.setUint32(0, (opts.ts ?? 1700000000) + i, le);
    rv.setUint32(4, opts.nano ? 123456789 : 123456, le);
    rv.setUint32(8, f.length, le);
    rv.setUint32(12, f.length, le);
    parts.push(r, f);
  });
  return concat(parts);
}

function block(type: number, body: Uint8Array, le: boolean): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const b = new Uint8Array(12 + padded);
  const v = new DataView(b.buffer);
  v.setUint32(0, type, le);
  v.setUint32(4, b.length, le);
  b.set(body, 8);
  v.setUint32(b.length - 4, b.length, le);
  return b;
}

/** pcapng with one interface; `simple` uses Simple Packet Blocks instead of EPBs. */
function pcapng(
  frames: Uint8Array[],
  opts: { link?: number; bigEndian?: boolean; simple?: boolean; tsresol?: number } = {},
): Uint8Array {
  const le = !opts.bigEndian;
  const shb = new Uint8Array(16);
  const sv = new DataView(shb.buffer);
  sv.setUint32(0, 0x1a2b3c4d, le);
  sv.setUint16(4, 1, le);
  sv.setBigInt64(8, -1n, le);
  const idb = new Uint8Array(opts.tsresol === undefined ? 8 : 20);
  const iv = new DataView(idb.buffer);
  iv.setUint16(0, opts.link ?? 101, le);
  iv.setUint32(4, 0, le);
  if (opts.tsresol !== undefined) {
    iv.setUint16(8, 9, le); // if_tsresol
    iv.setUint16(10, 1, le);
    idb[12] = opts.tsresol;
    // bytes 16..19: opt_endofopt
  }
  const parts = [block(0x0a0d0d0a, shb, le), block(1, idb, le)];
  frames.forEach((f, i) => {
    if (opts.simple) {
      const body = new Uint8Array(4 + f.length);
      new DataView(body.buffer).setUint32(0, f.length, le);
      body.set(f, 4);
      parts.push(block(3, body, le));
    } else {
      const body = new Uint8Array(20 + f.length);
      const v = new DataView(body.buffer);
      const units = BigInt(1700000000 + i) * (opts.tsresol === 9 ? 1000000000n : 1000000n);
      v.setUint32(4, Number(units >> 32n), le);
      v.setUint32(8, Number(units & 0xffffffffn), le);
      v.setUint32(12, f.length, le);
      v.setUint32(16, f.length, le);
      body.set(f, 20);
      parts.push(block(6, body, le));
    }
  });
  return concat(parts);
}

/** Raw-IPv4 pcap of one direction's segments. */
const segments = (segs: Seg[]) => pcap(segs.map((s) => ip4(tcp(s))));

function onlyFlow(bytes: Uint8Array): TcpFlow {
  const r = readPcap(bytes);
  assertEquals(r.flows.length, 1, "flow count");
  return r.flows[0];
}

/** Deterministic shuffle (xorshift), so a failure reproduces. */
function shuffle<T>(items: T[], seed: number): T[] {
  const out = items.slice();
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Splits a classic little-endian pcap into its header and whole records. */
function records(file: Uint8Array): { head: Uint8Array; recs: Uint8Array[] } {
  const v = new DataView(file.buffer, file.byteOffset);
  const recs: Uint8Array[] = [];
  for (let off = 24; off < file.length;) {
    const len = 16 + v.getUint32(off + 8, true);
    recs.push(file.subarray(off, off + len));
    off += len;
  }
  return { head: file.subarray(0, 24), recs };
}

// ---------------------------------------------------------------------------------------
// File structure
// ---------------------------------------------------------------------------------------

Deno.test("isPcap() recognises pcap and pcapng magic in both byte orders", () => {
  for (const bigEndian of [false, true]) {
    for (const nano of [false, true]) assert(isPcap(pcap([], { bigEndian, nano })));
    assert(isPcap(pcapng([], { bigEndian })));
  }
  assert(!isPcap(new Uint8Array([3, 0, 0, 0, 6, 4])));
  assert(!isPcap(new Uint8Array([0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0, 1, 2, 3, 4])));
  assert(!isPcap(new Uint8Array(0)));
});

Deno.test("readPcap() rejects a file that is not a capture", () => {
  assertThrows(() => readPcap(text("not a capture at all")), "Cannot read capture");
});

Deno.test("readPcap() rejects corrupt file structure", () => {
  const ng = pcapng([ip4(tcp({ seq: 1, data: "x" }))]);
  const v = new DataView(ng.buffer);
  v.setUint32(28 + 4, 13, true); // IDB length not a multiple of 4
  assertThrows(() => readPcap(ng), "Cannot read pcapng");
  const classic = pcap([ip4(tcp({ seq: 1, data: "x" }))]);
  new DataView(classic.buffer).setUint32(24 + 8, 0x7fffffff, true);
  assertThrows(() => readPcap(classic), "Cannot read pcap");
});

Deno.test("readPcap() counts a truncated final packet instead of failing", () => {
  const file = segments([{ seq: 1, data: "hello " }, { seq: 7, data: "world" }]);
  for (const cut of [1, 30, 60]) {
    const r = readPcap(file.subarray(0, file.length - cut));
    assertEquals(r.skipped.truncated, 1, `cut ${cut}`);
    assertEquals(str(r.flows[0].data), "hello ");
  }
  const ng = pcapng([ip4(tcp({ seq: 1, data: "hello " })), ip4(tcp({ seq: 7, data: "world" }))]);
  const r = readPcap(ng.subarray(0, ng.length - 8));
  assertEquals([r.packets, r.skipped.truncated, str(r.flows[0].data)], [2, 1, "hello "]);
});

Deno.test("readPcap() reads classic pcap in both byte orders, micro and nano", () => {
  const frames = [ip4(tcp({ seq: 1, data: "ab" })), ip4(tcp({ seq: 3, data: "cd" }))];
  for (const bigEndian of [false, true]) {
    for (const nano of [false, true]) {
      const f = onlyFlow(pcap(frames, { bigEndian, nano }));
      assertEquals(str(f.data), "abcd");
      assertEquals([f.src, f.srcPort, f.dst, f.dstPort], ["192.0.2.1", 40000, "192.0.2.2", 1790]);
      const frac = nano ? 0.123456789 : 0.123456;
      assert(Math.abs(f.firstTimestamp - (1700000000 + frac)) < 1e-6, `ts ${f.firstTimestamp}`);
    }
  }
});

Deno.test("readPcap() reads pcapng EPB and SPB blocks in both byte orders", () => {
  const frames = [ip4(tcp({ seq: 1, data: "ab" })), ip4(tcp({ seq: 3, data: "cde" }))];
  for (const bigEndian of [false, true]) {
    for (const simple of [false, true]) {
      const r = readPcap(pcapng(frames, { bigEndian, simple }));
      assertEquals([r.packets, r.flows.length, str(r.flows[0].data)], [2, 1, "abcde"]);
    }
    const nano = onlyFlow(pcapng(frames, { bigEndian, tsresol: 9 }));
    assertEquals(nano.firstTimestamp, 1700000000);
  }
  // Unknown blocks (here a Name Resolution Block) are skipped.
  const ng = pcapng(frames);
  const nrb = block(4, new Uint8Array(4), true);
  const withNrb = concat([ng.subarray(0, 48), nrb, ng.subarray(48)]);
  assertEquals(str(onlyFlow(withNrb).data), "abcde");
});

Deno.test("readPcap() decodes every supported link type", () => {
  const seg = tcp({ seq: 1, data: "payload" });
  const v4 = ip4(seg);
  const v6 = ip6(seg);
  const eth = (ip: Uint8Array, type: number, tags: number[] = []) => {
    const h = new Uint8Array(12 + tags.length * 4 + 2);
    const v = new DataView(h.buffer);
    tags.forEach((tpid, i) => {
      v.setUint16(12 + i * 4, tpid);
      v.setUint16(14 + i * 4, 100 + i);
    });
    v.setUint16(12 + tags.length * 4, type);
    return concat([h, ip]);
  };
  const sll = (ip: Uint8Array, type: number) => {
    const h = new Uint8Array(16);
    new DataView(h.buffer).setUint16(14, type);
    return concat([h, ip]);
  };
  const sll2 = (ip: Uint8Array, type: number) => {
    const h = new Uint8Array(20);
    new DataView(h.buffer).setUint16(0, type);
    return concat([h, ip]);
  };
  const af = (ip: Uint8Array, family: number, le: boolean) => {
    const h = new Uint8Array(4);
    new DataView(h.buffer).setUint32(0, family, le);
    return concat([h, ip]);
  };
  const mpls = new Uint8Array([0, 0x01, 0x00, 0x40, 0, 0x02, 0x01, 0x40]); // two labels
  const cases: [string, number, Uint8Array, string][] = [
    ["Ethernet IPv4", 1, eth(v4, 0x0800), "192.0.2.1"],
    ["Ethernet IPv6", 1, eth(v6, 0x86dd), "2001:db8::1"],
    ["802.1Q", 1, eth(v4, 0x0800, [0x8100]), "192.0.2.1"],
    ["QinQ", 1, eth(v6, 0x86dd, [0x88a8, 0x8100]), "2001:db8::1"],
    ["MPLS", 1, eth(concat([mpls, v4]), 0x8847), "192.0.2.1"],
    ["raw 101 v4", 101, v4, "192.0.2.1"],
    ["raw 101 v6", 101, v6, "2001:db8::1"],
    ["raw 228", 228, v4, "192.0.2.1"],
    ["raw 229", 229, v6, "2001:db8::1"],
    ["SLL", 113, sll(v4, 0x0800), "192.0.2.1"],
    ["SLL2", 276, sll2(v6, 0x86dd), "2001:db8::1"],
    ["NULL", 0, af(v4, 2, true), "192.0.2.1"],
    ["NULL v6", 0, af(v6, 30, true), "2001:db8::1"],
    ["LOOP", 108, af(v6, 24, false), "2001:db8::1"],
  ];
  for (const [name, link, frame, src] of cases) {
    for (const file of [pcap([frame], { link }), pcapng([frame], { link })]) {
      const f = onlyFlow(file);
      assertEquals([f.src, str(f.data)], [src, "payload"], name);
    }
  }
  const r = readPcap(pcap([v4, v4], { link: 147 }));
  assertEquals([r.packets, r.skipped.unsupportedLinkType, r.flows.length], [2, 2, 0]);
  const arp = readPcap(pcap([eth(new Uint8Array(28), 0x0806)], { link: 1 }));
  assertEquals(arp.skipped.nonTcp, 1);
});

Deno.test("readPcap() skips IPv4 options and IPv6 extension headers", () => {
  const seg = tcp({ seq: 1, data: "payload" });
  const frames = [
    ip4(seg, { ihl: 24 }),
    ip6(seg, [[0, 8], [43, 24], [60, 16]]),
    ip6(seg, [[51, 16]]),
  ];
  for (const frame of frames) assertEquals(str(onlyFlow(pcap([frame])).data), "payload");
});

Deno.test("readPcap() counts non-first fragments and non-TCP packets", () => {
  const seg = tcp({ seq: 1, data: "payload" });
  const r = readPcap(pcap([
    ip4(seg, { frag: 0x2000 }), // first fragment: has the TCP header, kept
    ip4(new Uint8Array(16), { frag: 0x0002 }), // offset 16: skipped
    ip4(new Uint8Array(8), { proto: 17 }), // UDP (e.g. IPFIX)
    ip6(new Uint8Array(8), [], 17),
  ]));
  assertEquals(r.skipped, { nonTcp: 2, fragments: 1, unsupportedLinkType: 0, truncated: 0 });
  const frag6 = ip6(new Uint8Array(16), [[44, 8]]);
  new DataView(frag6.buffer).setUint16(40 + 2, 16 << 3); // fragment offset 16
  const r2 = readPcap(pcap([ip4(new Uint8Array(16), { frag: 0x0002 }), frag6]));
  assertEquals(r2.skipped.fragments, 2);
  assertEquals(str(r.flows[0].data), "payload");
});

// ---------------------------------------------------------------------------------------
// TCP reassembly
// ---------------------------------------------------------------------------------------

Deno.test("readPcap() reassembles out-of-order segments", () => {
  const payloads = Array.from({ length: 40 }, (_, i) => text(`<message ${i}>`));
  const expected = concat(payloads);
  const file = writePcap(payloads.map((payload) => ({
    src: "192.0.2.1",
    srcPort: 40000,
    dst: "192.0.2.2",
    dstPort: 1790,
    payload,
  })));
  const { head, recs } = records(file);
  for (const seed of [1, 2, 3]) {
    const data = shuffle(recs.slice(3), seed);
    const f = onlyFlow(concat([head, ...recs.slice(0, 3), ...data]));
    assertBytes(f.data, expected, `seed ${seed}`);
    assertEquals(f.gaps, []);
    assertEquals(f.packets, 42); // SYN, ACK and 40 data segments
  }
  // Even with the SYN last, the stream starts right after it.
  const synLast = concat([head, ...shuffle(recs.slice(1), 9), recs[0]]);
  assertBytes(onlyFlow(synLast).data, expected, "SYN last");
});

Deno.test("readPcap() keeps the first copy of retransmitted and overlapping bytes", () => {
  const f = onlyFlow(segments([
    { seq: 100, flags: SYN },
    { seq: 101, data: "abcdef" },
    { seq: 101, data: "XXXXXX" }, // retransmission with different bytes
    { seq: 111, data: "klmn" }, // out of order
    { seq: 104, data: "YYYYYYYYY" }, // overlaps both sides, fills 107..110
    { seq: 109, data: "ZZZZZZZZ" }, // overlaps the tail, extends it
    { seq: 101, data: "abc" },
  ]));
  assertEquals(str(f.data), "abcdefYYYYklmnZZ");
  assertEquals(f.gaps, []);
});

Deno.test("readPcap() handles 32-bit sequence number wrap-around", () => {
  const isn = 0xfffffff0;
  const segs: Seg[] = [{ seq: isn, flags: SYN }];
  for (let i = 0; i < 8; i++) segs.push({ seq: isn + 1 + i * 4, data: "0123" });
  const f = onlyFlow(segments([segs[0], ...shuffle(segs.slice(1), 5)]));
  assertEquals(str(f.data), "0123".repeat(8));
});

Deno.test("readPcap() starts a mid-stream capture at the lowest sequence number", () => {
  const f = onlyFlow(segments([
    { seq: 0x00000008, data: "ghij" },
    { seq: 0xfffffffc, data: "abcd" },
    { seq: 0x00000004, data: "klmn" },
    { seq: 0x00000000, data: "efgh" },
    { seq: 0xfffffffe, data: "WXYZ" }, // across the wrap, already received
  ]));
  assertEquals(str(f.data), "abcdefghklmnghij");
  assertEquals(f.gaps, []);
});

Deno.test("readPcap() records gaps and continues after them", () => {
  const f = onlyFlow(segments([
    { seq: 999, flags: SYN },
    { seq: 1005, data: "after" }, // 5 bytes after the SYN are missing
    { seq: 1020, data: "end" },
  ]));
  assertEquals(str(f.data), "afterend");
  assertEquals(f.gaps, [{ offset: 0, missing: 5 }, { offset: 5, missing: 10 }]);
});

Deno.test("readPcap() places SYN payload before the next segment when the SYN takes no sequence number", () => {
  // pmacct's traffic-reproducer captures: SYN seq 1 carries 5 bytes, next segment at 6.
  const quirk = onlyFlow(segments([
    { seq: 1, flags: SYN, data: "hello" },
    { seq: 6, data: " world" },
  ]));
  assertEquals(str(quirk.data), "hello world");
  // RFC 793: the SYN occupies seq 1, its data starts at 2.
  const normal = onlyFlow(segments([
    { seq: 1, flags: SYN, data: "hello" },
    { seq: 7, data: " world" },
  ]));
  assertEquals(str(normal.data), "hello world");
});

Deno.test("readPcap() starts a new flow when a 4-tuple reconnects with a new ISN", () => {
  const r = readPcap(segments([
    { seq: 100, flags: SYN },
    { seq: 101, data: "first" },
    { seq: 100, flags: SYN }, // retransmitted SYN: same connection
    { seq: 5000, flags: SYN },
    { seq: 5001, data: "second" },
  ]));
  assertEquals(r.flows.map((f) => str(f.data)), ["first", "second"]);
  assertEquals(r.flows.map((f) => f.packets), [3, 2]);
});

Deno.test("readPcap() ignores Ethernet padding after a short IP packet", () => {
  const ip = ip4(tcp({ seq: 1, data: "hi" }));
  const frame = concat([
    new Uint8Array([...new Array(12).fill(0), 0x08, 0x00]),
    ip,
    new Uint8Array(10),
  ]);
  assertEquals(str(onlyFlow(pcap([frame], { link: 1 })).data), "hi");
});

// ---------------------------------------------------------------------------------------
// writePcap()
// ---------------------------------------------------------------------------------------

Deno.test("writePcap() round-trips IPv4 and IPv6 flows in both directions", () => {
  const big = new Uint8Array(MAX_SEGMENT * 2 + 10).map((_, i) => i * 7);
  const packets = [
    { src: "192.0.2.1", srcPort: 40000, dst: "192.0.2.2", dstPort: 1790, payload: text("one") },
    { src: "2001:db8::1", srcPort: 40001, dst: "2001:db8::2", dstPort: 1790, payload: big },
    { src: "192.0.2.2", srcPort: 1790, dst: "192.0.2.1", dstPort: 40000, payload: text("back") },
    { src: "192.0.2.1", srcPort: 40000, dst: "192.0.2.2", dstPort: 1790, payload: text("two") },
    {
      src: "::ffff:192.0.2.9",
      srcPort: 1,
      dst: "::ffff:192.0.2.10",
      dstPort: 2,
      payload: text("m"),
    },
  ];
  const r = readPcap(writePcap(packets));
  assertEquals(
    r.flows.map((f) => [f.src, f.srcPort, f.dst, f.dstPort, f.data.length, f.gaps.length]),
    [
      ["192.0.2.1", 40000, "192.0.2.2", 1790, 6, 0],
      ["192.0.2.2", 1790, "192.0.2.1", 40000, 4, 0],
      ["2001:db8::1", 40001, "2001:db8::2", 1790, big.length, 0],
      ["::ffff:192.0.2.9", 1, "::ffff:192.0.2.10", 2, 1, 0],
    ],
  );
  assertEquals(str(r.flows[0].data), "onetwo");
  assertBytes(r.flows[2].data, big, "split payload");
  assertEquals(r.flows[2].packets, 2 + 3); // SYN, ACK, then 3 segments
  assertThrows(() => writePcap([{ ...packets[0], dst: "2001:db8::1" }]), "same family");
  assertThrows(() => writePcap([{ ...packets[0], src: "192.0.2.256" }]), "bad address");
});

Deno.test("writePcap() keeps given timestamps", () => {
  const f = onlyFlow(writePcap([{
    src: "192.0.2.1",
    srcPort: 1,
    dst: "192.0.2.2",
    dstPort: 2,
    payload: text("x"),
    timestamp: 1700000000.25,
  }]));
  assertEquals(f.firstTimestamp, 1700000000.25);
});

// ---------------------------------------------------------------------------------------
// Real captures (../shared/data next to the repository) and tshark cross-checks
// ---------------------------------------------------------------------------------------

const DATA = new URL("../../../shared/data/bmp/", import.meta.url);
const hasData = exists(DATA);
const hasTshark = commandWorks("tshark", ["-v"]);

function exists(url: URL): boolean {
  try {
    Deno.statSync(url);
    return true;
  } catch {
    return false;
  }
}

function commandWorks(cmd: string, args: string[]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

function findPcaps(dir: URL, rel = ""): string[] {
  const out: string[] = [];
  for (
    const e of [...Deno.readDirSync(new URL(rel, dir))].sort((a, b) => a.name < b.name ? -1 : 1)
  ) {
    if (e.isDirectory) out.push(...findPcaps(dir, `${rel}${e.name}/`));
    else if (e.name.endsWith(".pcap") || e.name.endsWith(".pcapng")) out.push(rel + e.name);
  }
  return out;
}

/** BMP message counts per type (0 RM, 1 Stats, 2 Peer Down, 3 Peer Up, 4 Init), SOURCES.md. */
const EXPECTED: Record<string, Record<number, number>> = {
  "netgauze/evpn/evpn.pcap": { 0: 143, 1: 7, 2: 2, 3: 4 },
  "netgauze/path-status/ipv4_unicast_path_marking.pcap": { 0: 3, 2: 1, 3: 1 },
  "netgauze/peers-with-different-caps/example.pcap": { 0: 173, 3: 18, 4: 1 },
  "netgauze/stateless-with-add-path/ipv4_unicast_all.pcap": { 0: 21, 3: 9 },
  "netgauze/unreachable-prefix-announcement/upa.pcap": { 0: 34, 3: 7, 4: 3 },
  "netgauze/vpnv4-stateless-with-withdraw/vpnv4-stateless-with-withdraw.pcap": { 0: 15 },
  "pmacct-tests/200-BMP-HUAWEI-locrib_instance/traffic-00.pcap": { 0: 84, 3: 18, 4: 1 },
  "pmacct-tests/201-BMP-CISCO-rd_instance/traffic-00.pcap": { 0: 251, 1: 42, 3: 42, 4: 1 },
  "pmacct-tests/204-BMP-CISCO-peer_down/traffic-00.pcap": { 0: 301, 1: 28, 2: 3, 3: 10, 4: 1 },
  "pmacct-tests/205-BMP-6wind-FRR-peer_down/traffic-00.pcap": { 0: 451, 1: 48, 2: 2, 3: 7, 4: 1 },
  "pmacct-tests/400-IPFIXv10-BMP-CISCO-SRv6-multiple-sources/traffic-00.pcap": {
    0: 156,
    1: 14,
    3: 7,
    4: 1,
  },
  "pmacct-tests/401-IPFIXv10-BMP-IPv6-CISCO-MPLS-multiple-sources/traffic-00.pcap": {
    0: 161,
    1: 7,
    3: 7,
    4: 1,
  },
  "pmacct-tests/403-IPFIXv10-BMP-IPv6-CISCO-locrib-peerdown-vrf/traffic-00.pcap": {
    0: 856,
    2: 1,
    3: 19,
    4: 1,
  },
};

/** Walks BMP common headers; throws unless the lengths add up to exactly the stream. */
function countBmp(data: Uint8Array, counts: Record<number, number>): void {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  while (off < data.length) {
    assert(off + 6 <= data.length, `partial header at ${off}`);
    const len = v.getUint32(off + 1);
    assert(data[off] === 3 || data[off] === 4, `version ${data[off]} at ${off}`);
    assert(len >= 6 && off + len <= data.length, `length ${len} at ${off}`);
    assert(data[off + 5] <= 6, `type ${data[off + 5]} at ${off}`);
    counts[data[off + 5]] = (counts[data[off + 5]] ?? 0) + 1;
    off += len;
  }
}

const SKIP_NO_DATA = "(skipped: ../shared/data not found)";

if (!hasData) {
  Deno.test({
    name: `readPcap() frames real BMP captures end to end ${SKIP_NO_DATA}`,
    ignore: true,
    fn() {},
  });
} else {
  for (const rel of findPcaps(DATA)) {
    Deno.test(`readPcap() frames every BMP flow end to end in ${rel}`, async () => {
      const r = readPcap(await Deno.readFile(new URL(rel, DATA)));
      assert(r.flows.length > 0, "no flows");
      assertEquals(r.skipped.truncated + r.skipped.unsupportedLinkType, 0, "skipped");
      const counts: Record<number, number> = {};
      for (const f of r.flows) {
        assertEquals(f.gaps, [], `gaps in ${f.src}:${f.srcPort}`);
        countBmp(f.data, counts);
      }
      if (EXPECTED[rel]) assertEquals(counts, EXPECTED[rel], "BMP messages by type");
    });
  }
}

/** tshark's `follow,tcp,raw` of every stream, keyed "src:port dst:port" per direction. */
async function tsharkStreams(file: URL): Promise<Map<string, Uint8Array>> {
  const run = async (args: string[]) => {
    const out = await new Deno.Command("tshark", { args, stdout: "piped", stderr: "null" })
      .output();
    assert(out.success, `tshark ${args.join(" ")} failed`);
    return new TextDecoder().decode(out.stdout);
  };
  const path = decodeURIComponent(file.pathname);
  const ids = new Set((await run(["-r", path, "-T", "fields", "-e", "tcp.stream"])).split("\n"));
  ids.delete("");
  const follow = [...ids].flatMap((id) => ["-z", `follow,tcp,raw,${id}`]);
  const streams = new Map<string, Uint8Array>();
  let node0 = "", node1 = "";
  let hex: [string[], string[]] = [[], []];
  const flush = () => {
    if (node0) {
      streams.set(`${node0} ${node1}`, hexBytes(hex[0].join("")));
      streams.set(`${node1} ${node0}`, hexBytes(hex[1].join("")));
    }
    node0 = "";
    hex = [[], []];
  };
  for (const line of (await run(["-r", path, "-q", ...follow])).split("\n")) {
    if (line.startsWith("Node 0: ")) node0 = line.slice(8).replace(/^\[(.*)\]/, "$1");
    else if (line.startsWith("Node 1: ")) node1 = line.slice(8).replace(/^\[(.*)\]/, "$1");
    else if (line.startsWith("=====")) flush();
    else if (/^\t[0-9a-f]+$/.test(line)) hex[1].push(line.slice(1));
    else if (/^[0-9a-f]+$/.test(line)) hex[0].push(line);
  }
  flush();
  return streams;
}

function hexBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

if (!hasData || !hasTshark) {
  Deno.test({
    name: `readPcap() matches tshark follow,tcp,raw on real captures ${
      hasData ? "(skipped: tshark not on PATH)" : SKIP_NO_DATA
    }`,
    ignore: true,
    fn() {},
  });
} else {
  // The pmacct captures put data on a SYN that takes no sequence number, and tshark
  // drops one byte of those streams: they are compared in the next test instead.
  for (const rel of findPcaps(DATA).filter((p) => p.startsWith("netgauze/"))) {
    Deno.test(`readPcap() matches tshark follow,tcp,raw for ${rel}`, async () => {
      const url = new URL(rel, DATA);
      const ours = readPcap(await Deno.readFile(url)).flows;
      const theirs = await tsharkStreams(url);
      const nonEmpty = [...theirs].filter(([, b]) => b.length > 0);
      assertEquals(ours.length, nonEmpty.length, "flows with data");
      for (const f of ours) {
        const key = `${f.src}:${f.srcPort} ${f.dst}:${f.dstPort}`;
        const t = theirs.get(key);
        assert(t, `tshark has no stream ${key}`);
        assertBytes(f.data, t, key);
      }
    });
  }
  Deno.test("readPcap() differs from tshark only by the byte tshark drops after SYN data", async () => {
    const url = new URL("pmacct-tests/201-BMP-CISCO-rd_instance/traffic-00.pcap", DATA);
    const [ours] = readPcap(await Deno.readFile(url)).flows;
    const theirs = (await tsharkStreams(url)).get(
      `${ours.src}:${ours.srcPort} ${ours.dst}:${ours.dstPort}`,
    );
    assert(theirs, "stream not found");
    const init = 42; // the Initiation message carried on the SYN
    assertBytes(
      theirs,
      concat([ours.data.subarray(0, init), ours.data.subarray(init + 1)]),
      "tshark",
    );
  });
}

if (!hasTshark) {
  Deno.test({
    name: "writePcap() output is dissected by tshark (skipped: tshark not on PATH)",
    ignore: true,
    fn() {},
  });
} else {
  Deno.test("writePcap() output is dissected by tshark", async () => {
    const payloads = [text("first message"), new Uint8Array(70000).fill(0x41), text("last")];
    const file = await Deno.makeTempFile({ suffix: ".pcap" });
    try {
      await Deno.writeFile(
        file,
        writePcap(payloads.map((payload) => ({
          src: "2001:db8::1",
          srcPort: 40000,
          dst: "2001:db8::2",
          dstPort: 1790,
          payload,
        }))),
      );
      const streams = await tsharkStreams(new URL(`file://${file}`));
      assertBytes(streams.get("2001:db8::1:40000 2001:db8::2:1790")!, concat(payloads), "follow");
      const out = await new Deno.Command("tshark", {
        args: [
          "-r",
          file,
          "-o",
          "tcp.check_checksum:TRUE",
          "-Y",
          "tcp.checksum.status == 1",
          "-T",
          "fields",
          "-e",
          "frame.number",
        ],
        stdout: "piped",
        stderr: "null",
      }).output();
      assertEquals(
        new TextDecoder().decode(out.stdout).trim().split("\n").length,
        7,
        "good checksums",
      );
    } finally {
      await Deno.remove(file);
    }
  });
}
