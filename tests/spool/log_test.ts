import { assert, assertEquals } from "../_assert.ts";
import { crc32 } from "../../src/spool/crc32.ts";
import { RecordType, SpoolLog, type SpoolRecord } from "../../src/spool/log.ts";

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

function readAll(log: SpoolLog, from?: number): SpoolRecord[] {
  const c = log.cursor(from);
  const out: SpoolRecord[] = [];
  for (let r = c.next(); r; r = c.next()) out.push(r);
  c.close();
  return out;
}

Deno.test("crc32 matches the IEEE check value and zlib's result for a BMP header", () => {
  assertEquals(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  // zlib.crc32(bytes([3,0,0,0,6,4])) in Python
  assertEquals(crc32(new Uint8Array([3, 0, 0, 0, 6, 4])), 0x6661b092);
});

Deno.test("spool: records come back in order, across segments, and survive a reopen", () => {
  const dir = Deno.makeTempDirSync();
  try {
    let log = SpoolLog.open(dir, { segmentBytes: 1000, fsync: "never" });
    let rotations = 0;
    log.onRotate = () => rotations++;
    const seqs: number[] = [];
    // Segments end at a flush (at the latest, the end of the current task).
    for (let i = 0; i < 50; i++) {
      seqs.push(log.append(RecordType.Message, 1000 + i, 7, bytes(i * 3, i)));
      log.flush();
    }
    assertEquals(seqs, Array.from({ length: 50 }, (_, i) => i + 1));
    assert(log.segments > 3, `${log.segments} segments`);
    assertEquals(rotations, log.segments - 1);
    const got = readAll(log);
    assertEquals(got.map((r) => r.seq), seqs);
    assertEquals(got[10].time, 1010);
    assertEquals(got[10].conn, 7);
    assertEquals(got[10].body, bytes(30, 10));
    assertEquals(readAll(log, 40).map((r) => r.seq)[0], 40);
    log.close();
    log = SpoolLog.open(dir, { fsync: "never" });
    assertEquals(log.nextSeq, 51);
    assertEquals(readAll(log).length, 50);
    log.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("spool: a cursor sees records appended after it reached the end", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const log = SpoolLog.open(dir, { segmentBytes: 200, fsync: "never" });
    const c = log.cursor();
    assertEquals(c.next(), null);
    log.append(RecordType.ConnUp, 1, 1, bytes(10, 1));
    assertEquals(c.next()?.seq, 1);
    assertEquals(c.next(), null);
    for (let i = 0; i < 20; i++) {
      log.append(RecordType.Message, 2, 1, bytes(50, 2));
      if (i % 5 === 4) log.flush();
    }
    let n = 0;
    while (c.next()) n++;
    assertEquals(n, 20);
    c.close();
    log.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("spool: a torn last write and a damaged record are cut off at open", () => {
  const dir = Deno.makeTempDirSync();
  try {
    let log = SpoolLog.open(dir, { fsync: "never" });
    for (let i = 0; i < 5; i++) log.append(RecordType.Message, i, 1, bytes(20, i));
    log.close();
    const file = `${dir}/${[...Deno.readDirSync(dir)][0].name}`;
    const whole = Deno.readFileSync(file);
    // Half a record at the end, as a crash in the middle of write() leaves.
    Deno.writeFileSync(file, whole.subarray(0, whole.length - 10));
    const damage: number[] = [];
    log = SpoolLog.open(dir, {
      fsync: "never",
      onDamage: (_f, off, lost) => damage.push(off, lost),
    });
    assertEquals(readAll(log).map((r) => r.seq), [1, 2, 3, 4]);
    assertEquals(damage, [4 * 53, 53 - 10]);
    // New records continue after the cut, numbered on.
    assertEquals(log.append(RecordType.Message, 9, 1, bytes(20, 9)), 5);
    log.close();
    // A flipped bit in record 2: the rest of that segment is dropped, not misread; record 5
    // went to the segment started at the reopen, which stays readable.
    const data = Deno.readFileSync(file);
    data[53 + 40] ^= 1;
    Deno.writeFileSync(file, data);
    log = SpoolLog.open(dir, { fsync: "never" });
    assertEquals(readAll(log).map((r) => r.seq), [1, 5]);
    log.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("spool: deleteBefore drops whole applied segments; clear keeps the numbering", () => {
  const dir = Deno.makeTempDirSync();
  try {
    let log = SpoolLog.open(dir, { segmentBytes: 300, fsync: "never" });
    for (let i = 0; i < 30; i++) {
      log.append(RecordType.Message, i, 1, bytes(40, i));
      log.flush();
    }
    const before = log.segments;
    log.deleteBefore(12);
    assert(log.segments < before);
    assert(log.firstSeq <= 12, `first ${log.firstSeq}`);
    assertEquals(readAll(log).at(-1)?.seq, 30);
    log.clear();
    assertEquals(log.segments, 1);
    assertEquals(readAll(log).length, 0);
    log.close();
    log = SpoolLog.open(dir, { fsync: "never" });
    assertEquals(log.nextSeq, 31);
    log.advanceTo(100);
    assertEquals(log.append(RecordType.Message, 0, 1, bytes(1, 1)), 100);
    log.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
