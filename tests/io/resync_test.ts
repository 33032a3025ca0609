/**
 * Broken TCP flows (issue 10): a lost segment, a sequence number reused for a different
 * payload, a corrupt common header. Pcaps are built from the bytes of real GoBGP and FRR
 * sessions (tests/fixtures/gobgp-frr-lab) cut into 1448-byte segments; the messages that
 * must survive are the original messages the damage did not touch, found by framing the
 * undamaged stream; they are compared by position in the damaged flow, whose bytes are
 * checked to be the original ones less the damage.
 */

import { BmpSession } from "../../src/bmp/session.ts";
import { readBmpStream, resync, type StreamItem } from "../../src/bmp/stream.ts";
import { readCapture } from "../../src/io/file.ts";
import { readPcap, type TcpFlow } from "../../src/io/pcap.ts";
import { type PcapPacket, writePcap } from "../../src/io/pcap_write.ts";
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";

const MSS = 1448;
const GOBGP = await Deno.readFile(fixture("gobgp-frr-lab/gobgp-3.10-all-1k.bmp"));
const FRR = await Deno.readFile(fixture("gobgp-frr-lab/frr-8.4-prepost-1k.bmp"));

/** Message extents of an undamaged stream, by its common header lengths. */
function frames(raw: Uint8Array): { start: number; end: number }[] {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = [];
  for (let o = 0; o < raw.length;) {
    const end = o + v.getUint32(o + 1);
    out.push({ start: o, end });
    o = end;
  }
  assertEquals(out.at(-1)!.end, raw.length);
  return out;
}

/** The original messages outside `[lo, hi)` of `raw` as "offset+length" in the flow
 * that lost `removed` bytes there, in order. */
function untouched(raw: Uint8Array, lo: number, hi: number, removed = hi - lo): string[] {
  return frames(raw).filter((f) => f.end <= lo || f.start >= hi)
    .map((f) => `${f.start >= hi ? f.start - removed : f.start}+${f.end - f.start}`);
}

/** Asserts that `data` is `raw` without the bytes `[lo, hi)`. */
function assertCut(data: Uint8Array, raw: Uint8Array, lo: number, hi: number): void {
  assertEquals(data.length, raw.length - (hi - lo));
  assert(
    Buffer.compare(data.subarray(0, lo), raw.subarray(0, lo)) === 0 &&
      Buffer.compare(data.subarray(lo), raw.subarray(hi)) === 0,
    "the flow is the original stream less the damage",
  );
}

/** Bytes lost to framing when `[lo, hi)` is cut out of `raw`: from the first message the
 * cut touches to the first message after it. */
function lostSpan(raw: Uint8Array, lo: number, hi: number): number {
  const fs = frames(raw);
  const first = fs.find((f) => f.end > lo)!;
  const after = fs.find((f) => f.start >= hi)!;
  return after.start - first.start - (hi - lo);
}

/** The stream as one client's segments of at most `mss` bytes. */
function segments(raw: Uint8Array, mss = MSS): PcapPacket[] {
  const out: PcapPacket[] = [];
  for (let o = 0; o < raw.length; o += mss) {
    out.push({
      src: "192.0.2.1",
      srcPort: 40000,
      dst: "192.0.2.2",
      dstPort: 1790,
      payload: raw.subarray(o, o + mss),
    });
  }
  return out;
}

/** Record extents of a classic pcap from `writePcap`. */
function records(pcap: Uint8Array): [number, number][] {
  const v = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  const out: [number, number][] = [];
  for (let o = 24; o < pcap.length; o += 16 + v.getUint32(o + 8, true)) {
    out.push([o, o + 16 + v.getUint32(o + 8, true)]);
  }
  return out;
}

/** The pcap without record `i` (0-2 are the handshake, 3 the first data segment). */
function withoutRecord(pcap: Uint8Array, i: number): Uint8Array {
  const [s, e] = records(pcap)[i];
  const out = new Uint8Array(pcap.length - (e - s));
  out.set(pcap.subarray(0, s));
  out.set(pcap.subarray(e), s);
  return out;
}

/** Moves the TCP sequence numbers of records `from`.. back by `delta` (raw IPv4). */
function rewindSeq(pcap: Uint8Array, from: number, delta: number): Uint8Array {
  const out = pcap.slice();
  const v = new DataView(out.buffer);
  for (const [s] of records(out).slice(from)) {
    const seq = s + 16 + 20 + 4;
    v.setUint32(seq, (v.getUint32(seq) - delta) >>> 0);
  }
  return out;
}

function onlyFlow(pcap: Uint8Array): TcpFlow {
  const { flows } = readPcap(pcap);
  assertEquals(flows.length, 1);
  return flows[0];
}

/** Decoded messages as "offset+length", and the framing reports, of one flow. */
function walk(data: Uint8Array, gaps?: TcpFlow["gaps"]) {
  const items: StreamItem[] = [...readBmpStream(data, new BmpSession(), { gaps })];
  const messages = items.flatMap((i) =>
    i.message ? [`${i.message.offset}+${i.message.length}`] : []
  );
  const framing = items.flatMap((i) =>
    i.error && i.framing ? [{ skipped: i.skipped, resumeAt: i.resumeAt }] : []
  );
  return { messages, framing };
}

Deno.test("readBmpStream() resynchronises after a lost segment of a real GoBGP capture", () => {
  // Segment 136 (bytes 196,928-198,376) ends inside a 196,608-byte-long "header"
  // (version 192): the walker used to skip that length and lose 1,955 messages.
  const k = 136;
  const lo = k * MSS;
  const flow = onlyFlow(withoutRecord(writePcap(segments(GOBGP)), 3 + k));
  assertEquals(flow.gaps, [{ offset: lo, missing: MSS }]);
  assertCut(flow.data, GOBGP, lo, lo + MSS);
  const want = untouched(GOBGP, lo, lo + MSS);
  const skipped = lostSpan(GOBGP, lo, lo + MSS);
  const resumeAt = frames(GOBGP).find((f) => f.start >= lo + MSS)!.start - MSS;
  for (const gaps of [flow.gaps, undefined]) {
    const got = walk(flow.data, gaps);
    assertEquals(got.messages.length, want.length);
    assertEquals(got.messages, want);
    assertEquals(got.framing, [{ skipped, resumeAt }]);
  }
});

Deno.test("readBmpStream() keeps every untouched message around each lost segment", () => {
  // Twelve segments spread over each capture, one at a time, with and without the gap
  // list.
  let splices = 0;
  for (const raw of [GOBGP, FRR]) {
    const pcap = writePcap(segments(raw));
    const fs = frames(raw);
    const count = Math.floor(raw.length / MSS);
    for (let k = 3; k + 1 < count; k += Math.floor(count / 12)) {
      const lo = k * MSS;
      const flow = onlyFlow(withoutRecord(pcap, 3 + k));
      assertCut(flow.data, raw, lo, lo + MSS);
      const want = untouched(raw, lo, lo + MSS);
      const skipped = lostSpan(raw, lo, lo + MSS);
      const withGaps = walk(flow.data, flow.gaps);
      assertEquals(withGaps.messages, want, `segment ${k}`);
      assertEquals(withGaps.framing.map((f) => f.skipped), [skipped], `segment ${k}`);
      // Without the gap list, the message cut by the gap can decode, spliced from its
      // head and later bytes (GoBGP sends runs of equal-length messages): it is then
      // kept, and the bytes skipped are that much fewer. Nothing else may differ.
      const blind = walk(flow.data);
      if (blind.messages.length === want.length + 1) {
        const cut = fs.find((f) => f.end > lo)!;
        const i = fs.filter((f) => f.end <= lo).length;
        const spliced = blind.messages[i];
        assertEquals(spliced.split("+")[0], String(cut.start), "the cut message, spliced");
        assertEquals(blind.messages.toSpliced(i, 1), want, `segment ${k} without gaps`);
        const rest = blind.framing.reduce((t, f) => t + f.skipped, 0);
        assertEquals(rest + Number(spliced.split("+")[1]), skipped, `segment ${k} without gaps`);
        splices++;
      } else {
        assertEquals(blind, withGaps, `segment ${k} without gaps`);
      }
    }
  }
  console.log(`${splices} cuts framed cleanly without the gap list`);
});

Deno.test("readPcap() and readBmpStream() recover from a sequence number reused for another payload", () => {
  // An FRR session in 1,000-byte segments up to segment 200, then 1,448-byte ones.
  // Segment 201 is sent at the sequence number of segment 200 and every later one 1,000
  // lower: reassembly keeps segment 200 and only the part of 201 past 1,000 bytes, so the
  // original bytes [a + 1000, a + 2000) are lost, with no hole in the sequence space.
  const raw = FRR;
  const k = 200;
  const a = k * 1000;
  const clean = [
    ...segments(raw.subarray(0, a), 1000),
    ...segments(raw.subarray(a, a + 1000), 1000),
    ...segments(raw.subarray(a + 1000, a + 1000 + MSS), MSS),
    ...segments(raw.subarray(a + 1000 + MSS), MSS),
  ];
  const pcap = rewindSeq(writePcap(clean), 3 + k + 1, 1000);
  const flow = onlyFlow(pcap);
  assertEquals(flow.gaps, [], "a reused sequence number leaves no hole");
  assertCut(flow.data, raw, a + 1000, a + 2000);
  const lo = a + 1000;
  const got = walk(flow.data, flow.gaps);
  assertEquals(got.messages, untouched(raw, lo, lo + 1000));
  assertEquals(got.framing.map((f) => f.skipped), [lostSpan(raw, lo, lo + 1000)]);
});

Deno.test("readBmpStream() resynchronises after a corrupt common header length", () => {
  // The 41st message claims 2,000 bytes more than it has: it fails to decode, and the
  // header at its claimed end is no header, so framing is broken there, not the message.
  const fs = frames(GOBGP);
  const bad = fs[40];
  const data = GOBGP.slice();
  const v = new DataView(data.buffer);
  v.setUint32(bad.start + 1, bad.end - bad.start + 2000);
  const got = walk(data);
  assertEquals(got.messages, untouched(GOBGP, bad.start, bad.end, 0));
  assertEquals(got.framing, [{ skipped: bad.end - bad.start, resumeAt: bad.end }]);
});

Deno.test("readBmpStream() reports the unreadable rest of a flow as skipped", () => {
  const fs = frames(GOBGP);
  const cut = fs[10].start + 3;
  const data = new Uint8Array([...GOBGP.subarray(0, cut), ...new Uint8Array(500).fill(0xee)]);
  const got = walk(data);
  assertEquals(got.messages, untouched(GOBGP, fs[10].start, Infinity));
  assertEquals(got.framing, [{ skipped: data.length - fs[10].start, resumeAt: -1 }]);
});

Deno.test("resync() accepts a candidate whose next header is cut by the stream end", () => {
  const fs = frames(GOBGP);
  const end = fs[5].start + 10; // message 5 truncated after 10 bytes
  const b = GOBGP.subarray(0, end);
  assertEquals(resync(b, fs[3].start + 1), fs[4].start);
  // Only the version byte of the next header left: still checked.
  assertEquals(resync(GOBGP.subarray(0, fs[5].start + 1), fs[4].start), fs[4].start);
  const bad = GOBGP.slice(0, fs[5].start + 1);
  bad[fs[5].start] = 9;
  assertEquals(resync(bad, fs[4].start), -1);
});

Deno.test("resync() skips a candidate that crosses a capture gap", () => {
  const fs = frames(GOBGP);
  const b = GOBGP.subarray(0, fs[8].end);
  const gaps = [{ offset: fs[5].start + 7, missing: 100 }];
  assertEquals(resync(b, fs[5].start, { gaps }), fs[6].start);
  assertEquals(resync(b, fs[5].start), fs[5].start);
});

Deno.test("readCapture() keeps a BMP flow whose first segment was lost", async () => {
  const pcap = withoutRecord(writePcap(segments(GOBGP)), 3);
  const path = await Deno.makeTempFile({ suffix: ".pcap" });
  try {
    await Deno.writeFile(path, pcap);
    const cap = await readCapture(path);
    assertEquals(cap.flows.length, 1);
    const got = walk(cap.flows[0].data, cap.flows[0].gaps);
    assertEquals(got.messages, untouched(GOBGP, 0, MSS));
    assert(got.framing.length === 1 && got.framing[0].skipped === lostSpan(GOBGP, 0, MSS));
  } finally {
    await Deno.remove(path);
  }
});
