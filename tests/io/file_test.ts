import {
  decompress,
  detectCompression,
  looksLikeBmp,
  readCapture,
  readInput,
} from "../../src/io/file.ts";
import { writePcap } from "../../src/io/pcap_write.ts";
import { assert, assertBytes, assertEquals } from "../_assert.ts";

async function assertRejects(fn: () => Promise<unknown>, includes: string): Promise<void> {
  try {
    await fn();
  } catch (e) {
    assert(e instanceof Error && e.message.includes(includes), `unexpected error: ${e}`);
    return;
  }
  throw new Error(`expected an error containing "${includes}"`);
}

function commandWorks(cmd: string, args: string[]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

/** Pipes `input` through a command line tool such as `xz -c`. */
async function pipe(cmd: string, args: string[], input: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(input);
  await writer.close();
  const out = await child.output();
  assert(out.success, `${cmd} failed`);
  return out.stdout;
}

async function gzip(input: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new ReadableStream<BufferSource>({
    start(c) {
      c.enqueue(input);
      c.close();
    },
  }).pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Writes `bytes` to a temporary file, runs `fn` on its path, and removes it. */
async function withFile<T>(bytes: Uint8Array, fn: (path: string) => Promise<T>): Promise<T> {
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeFile(path, bytes);
    return await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

/** A small BMP stream: Initiation (type 4) and Termination (type 5), 6 bytes each. */
const BMP = new Uint8Array([3, 0, 0, 0, 6, 4, 3, 0, 0, 0, 6, 5]);
/** Compressible but not trivial sample. */
const SAMPLE = new Uint8Array(200_000).map((_, i) => (i * 31) ^ (i >> 7));

const hasXz = commandWorks("xz", ["--version"]);
const hasBzip2 = commandWorks("bzip2", ["--help"]);
const DATA = new URL("../../../shared/data/bmp/", import.meta.url);
const hasData = (() => {
  try {
    Deno.statSync(DATA);
    return true;
  } catch {
    return false;
  }
})();
const pathOf = (rel: string) => decodeURIComponent(new URL(rel, DATA).pathname);

Deno.test("detectCompression() names formats by magic bytes", () => {
  assertEquals(detectCompression(new Uint8Array([0x1f, 0x8b, 8, 0])), "gzip");
  assertEquals(detectCompression(new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0])), "xz");
  assertEquals(detectCompression(new TextEncoder().encode("BZh91AY&SY")), "bzip2");
  assertEquals(detectCompression(new TextEncoder().encode("BZh0")), "none");
  assertEquals(detectCompression(BMP), "none");
  assertEquals(detectCompression(new Uint8Array(0)), "none");
});

Deno.test("readInput() returns an uncompressed file unchanged", async () => {
  await withFile(SAMPLE, async (path) => assertBytes(await readInput(path), SAMPLE));
});

Deno.test("readInput() round-trips gzip", async () => {
  const gz = await gzip(SAMPLE);
  assert(gz.length < SAMPLE.length / 2, "sample should compress");
  await withFile(gz, async (path) => assertBytes(await readInput(path), SAMPLE));
});

Deno.test("readInput() decodes concatenated gzip members", async () => {
  const both = new Uint8Array([...await gzip(SAMPLE.subarray(0, 1000)), ...await gzip(BMP)]);
  const expected = new Uint8Array([...SAMPLE.subarray(0, 1000), ...BMP]);
  await withFile(both, async (path) => assertBytes(await readInput(path), expected));
});

Deno.test("readInput() rejects truncated gzip with a clear error", async () => {
  const gz = await gzip(SAMPLE);
  await withFile(gz.subarray(0, gz.length >> 1), async (path) => {
    await assertRejects(() => readInput(path), `Cannot decompress ${path} (gzip)`);
  });
});

Deno.test({
  name: `readInput() round-trips xz${hasXz ? "" : " (skipped: xz not on PATH)"}`,
  ignore: !hasXz,
  async fn() {
    const xz = await pipe("xz", ["-c"], SAMPLE);
    await withFile(xz, async (path) => assertBytes(await readInput(path), SAMPLE));
    const two = new Uint8Array([...xz, ...await pipe("xz", ["-c"], BMP)]);
    await withFile(two, async (path) => {
      assertBytes(await readInput(path), new Uint8Array([...SAMPLE, ...BMP]), "two streams");
    });
    await withFile(xz.subarray(0, xz.length - 20), async (path) => {
      await assertRejects(() => readInput(path), "Cannot decompress");
    });
  },
});

Deno.test({
  name: `readInput() round-trips bzip2${hasBzip2 ? "" : " (skipped: bzip2 not on PATH)"}`,
  ignore: !hasBzip2,
  async fn() {
    const bz = await pipe("bzip2", ["-c"], SAMPLE);
    await withFile(bz, async (path) => assertBytes(await readInput(path), SAMPLE));
    const two = new Uint8Array([...bz, ...await pipe("bzip2", ["-c"], BMP)]);
    await withFile(two, async (path) => {
      assertBytes(await readInput(path), new Uint8Array([...SAMPLE, ...BMP]), "two streams");
    });
    await withFile(bz.subarray(0, bz.length - 20), async (path) => {
      await assertRejects(() => readInput(path), "Cannot decompress");
    });
  },
});

Deno.test("decompress() leaves unknown bytes alone", async () => {
  assertBytes(await decompress(BMP), BMP);
});

Deno.test({
  name: `readInput() decompresses m320.bmp.xz in under 3 s${
    hasData ? "" : " (skipped: ../shared/data not found)"
  }`,
  ignore: !hasData,
  async fn() {
    const t0 = performance.now();
    const raw = await readInput(pathOf("juniper-m320/m320.bmp.xz"));
    const ms = performance.now() - t0;
    assertEquals(raw.length, 21_881_973, "decompressed size");
    assert(looksLikeBmp(raw), "starts with a BMP header");
    assert(ms < 3000, `took ${ms.toFixed(0)} ms`);
  },
});

Deno.test("looksLikeBmp() accepts plausible BMP common headers only", () => {
  assert(looksLikeBmp(BMP));
  assert(looksLikeBmp(new Uint8Array([4, 0, 0, 1, 0, 0])));
  assert(!looksLikeBmp(new Uint8Array([2, 0, 0, 0, 6, 4])), "version 2");
  assert(!looksLikeBmp(new Uint8Array([3, 0, 0, 0, 5, 4])), "length 5");
  assert(!looksLikeBmp(new Uint8Array([3, 1, 0, 0, 1, 4])), "length over 16 MiB");
  assert(!looksLikeBmp(new Uint8Array([3, 0, 0, 0, 6, 7])), "type 7");
  assert(!looksLikeBmp(new Uint8Array([3, 0, 0, 0, 6])), "short");
});

const capturePackets = [
  // A BMP session, and on the same file an unrelated TCP flow (HTTP) and its reply.
  { src: "192.0.2.1", srcPort: 40000, dst: "192.0.2.9", dstPort: 1790, payload: BMP },
  {
    src: "192.0.2.2",
    srcPort: 40001,
    dst: "192.0.2.9",
    dstPort: 80,
    payload: new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"),
  },
  {
    src: "192.0.2.9",
    srcPort: 80,
    dst: "192.0.2.2",
    dstPort: 40001,
    payload: new TextEncoder().encode("HTTP/1.0 200 OK\r\n\r\n"),
  },
];

Deno.test("readCapture() keeps the flows that start like BMP", async () => {
  await withFile(writePcap(capturePackets), async (path) => {
    const cap = await readCapture(path);
    assertEquals([cap.kind, cap.path, cap.flows.length], ["pcap", path, 1]);
    assertBytes(cap.flows[0].data, BMP);
    assertEquals(cap.skipped, { nonTcp: 0, fragments: 0, unsupportedLinkType: 0, truncated: 0 });
  });
});

Deno.test("readCapture() selects flows by port when given", async () => {
  await withFile(writePcap(capturePackets), async (path) => {
    const http = await readCapture(path, { port: 80 });
    assertEquals(http.flows.map((f) => f.srcPort), [40001, 80]);
    assertEquals((await readCapture(path, { port: 1790 })).flows.length, 1);
    assertEquals((await readCapture(path, { port: 179 })).flows.length, 0);
  });
});

Deno.test("readCapture() reads a gzip-compressed pcap", async () => {
  await withFile(await gzip(writePcap(capturePackets)), async (path) => {
    const cap = await readCapture(path);
    assertEquals([cap.kind, cap.flows.length], ["pcap", 1]);
    assertBytes(cap.flows[0].data, BMP);
  });
});

Deno.test("readCapture() returns any other file as one raw flow", async () => {
  await withFile(await gzip(BMP), async (path) => {
    const cap = await readCapture(path, { port: 1790 });
    assertEquals(cap.kind, "raw");
    assertEquals(cap.skipped, undefined);
    assertEquals(cap.flows.length, 1);
    const { data, ...rest } = cap.flows[0];
    assertBytes(data, BMP);
    assertEquals(rest, {
      src: "",
      srcPort: 0,
      dst: "",
      dstPort: 0,
      gaps: [],
      packets: 0,
      firstTimestamp: 0,
    });
  });
});

Deno.test("readCapture() names the file when a pcap is corrupt", async () => {
  const pcap = writePcap(capturePackets);
  new DataView(pcap.buffer).setUint32(24 + 8, 0x7fffffff, true);
  await withFile(pcap, async (path) => {
    await assertRejects(() => readCapture(path), `Cannot read capture ${path}`);
  });
});

Deno.test({
  name: `readCapture() finds the BMP flow among IPFIX in a real capture${
    hasData ? "" : " (skipped: ../shared/data not found)"
  }`,
  ignore: !hasData,
  async fn() {
    const path = pathOf(
      "pmacct-tests/400-IPFIXv10-BMP-CISCO-SRv6-multiple-sources/traffic-00.pcap",
    );
    for (const opts of [{}, { port: 1790 }]) {
      const cap = await readCapture(path, opts);
      assertEquals(
        cap.flows.map((f) => [f.src, f.srcPort, f.dst, f.dstPort, f.data.length]),
        [["203.0.113.90", 20, "100.105.31.69", 1790, 27783]],
      );
      assertEquals(cap.skipped?.nonTcp, 583, "IPFIX packets");
    }
  },
});
