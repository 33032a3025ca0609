/**
 * BUS_PARSED=true: `serve` publishes each BMP message decoded as well, on
 * `bmp.parsed.<kind>.<router>`. An independent reader (the npm client, none of bmpmon's
 * code) collects the stream: the parsed bodies of each connection are, in order and byte
 * for byte, what `bmpmon decode --format jsonl` prints for the capture replayed (without
 * `file` and `flow`), and the raw messages are still the capture's bytes with their own
 * Bmp-Router-Seq 1..n. A restart that publishes the spool again stores nothing twice.
 *
 * Beside it, without a server: the encoder's records after a restart (offsets from the
 * mark, Peer Up state from a segment's snapshot), and `consume` skipping parsed messages.
 */

import type { StreamConfig } from "@nats-io/jetstream";
import { BusError } from "../../src/bus/errors.ts";
import { checkStream, streamConfig } from "../../src/bus/stream.ts";
import { BusConsumer } from "../../src/bus/consumer.ts";
import { ParsedEncoder, type ParsedRecord } from "../../src/bus/parsed.ts";
import type { Entry } from "../../src/bus/publisher_types.ts";
import { BusHeader } from "../../src/bus/subject.ts";
import { replay } from "../../src/cli/replay.ts";
import type { StoreTarget } from "../../src/collector/store_sink.ts";
import { readCapture } from "../../src/io/file.ts";
import { RecordType, type SpoolRecord } from "../../src/spool/log.ts";
import type { SpoolMarks } from "../../src/store/spool_marks.ts";
import { headers } from "@nats-io/transport-node";
import postgres from "postgres";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  basicAttrs,
  capAddPath,
  open,
  peerUp,
  prefix,
  routeMonitoring,
  update,
} from "../_build.ts";
import { fixture } from "../_data.ts";
import { taskArgs } from "../_tasks.ts";
import { DATABASE_URL, dbTest, serve, type Served, until } from "../e2e/_serve.ts";
import { consumeAll, type Consumed, streamMessages } from "./_consumer.ts";
import { concat } from "../_bytes.ts";
import { freePort, metric, startNats } from "./_nats.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const text = new TextDecoder();

/** Between them every kind `decode --format jsonl` has. */
const CAPTURES = [
  "gobgp-frr-lab/gobgp-3.10-all-1k.bmp", // initiation … termination, statistics
  "gobgp-frr-lab/frr-8.4-mirror-100.bmp", // route mirroring
  "pmacct-tests/205-BMP-6wind-FRR-peer_down/traffic-00.pcap", // 142 RFC 7606 problems
  "netgauze/peers-with-different-caps/example.pcap", // 18 Peer Ups, different capabilities
].map(fixture);
const KINDS = [
  "error",
  "initiation",
  "peer_down",
  "peer_up",
  "route_mirroring",
  "route_monitoring",
  "statistics_report",
  "termination",
];

/** The lines of `bmpmon decode --format jsonl FILE`, without `file` and `flow`. */
async function jsonl(path: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "decode", "--format", "jsonl", path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`decode failed: ${text.decode(out.stderr)}`);
  return text.decode(out.stdout).split("\n").filter((l) => l).map((l) => {
    const { file: _, flow: __, ...rest } = JSON.parse(l);
    return JSON.stringify(rest);
  });
}

/** The one BMP stream of a capture (a raw file or a pcap of one flow). */
async function flowOf(path: string): Promise<Uint8Array> {
  const { flows } = await readCapture(path);
  assertEquals(flows.length, 1, `${path}: one flow`);
  return flows[0].data;
}

/** The messages of a BMP stream, by their common headers. */
function messagesOf(data: Uint8Array): Uint8Array[] {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: Uint8Array[] = [];
  for (let p = 0; p + 6 <= data.length; p += v.getUint32(p + 1)) {
    out.push(data.subarray(p, p + v.getUint32(p + 1)));
  }
  return out;
}

/** The gobgp capture with the BGP marker of its 5th Route Monitoring broken. */
async function brokenCapture(dir: string): Promise<string> {
  const b = await Deno.readFile(fixture("gobgp-frr-lab/gobgp-3.10-pre-100.bmp"));
  const rm = messagesOf(b).filter((m) => m[5] === 0)[4];
  b[rm.byteOffset + 6 + 42] = 0; // after the common and per-peer headers
  const path = `${dir}/broken-marker.bmp`;
  await Deno.writeFile(path, b);
  return path;
}

function byConnection(msgs: Consumed[]): Consumed[][] {
  const out = new Map<string, Consumed[]>();
  for (const m of msgs) {
    const k = m.headers[BusHeader.Connection];
    out.set(k, [...(out.get(k) ?? []), m]);
  }
  return [...out.keys()].sort((a, b) => Number(a) - Number(b)).map((k) => out.get(k)!);
}

dbTest(
  "serve with BUS_PARSED=true publishes what decode --format jsonl prints, beside raw unchanged",
  async () => {
    const nats = await startNats();
    const tmp = await Deno.makeTempDir({ prefix: "bmpmon-parsed-" });
    const captures = [...CAPTURES, await brokenCapture(tmp)];
    const flows = await Promise.all(captures.map(flowOf));
    const expected = await Promise.all(captures.map(jsonl));
    const metricsPort = freePort();
    const dataDir = `${tmp}/data`;
    const env = {
      BUS_URL: nats.url,
      BUS_COLLECTOR_ID: "lab-p",
      BUS_MAX_AGE: "1d",
      BUS_PARSED: "true",
      METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
      DATA_DIR: dataDir,
    };
    let s: Served | undefined = await serve(env, {
      denoArgs: (e) => taskArgs("start", e),
      keepDatabase: true,
    });
    const url = s.url;
    try {
      for (const c of captures) {
        // One after the other: each is one connection from 127.0.0.1.
        await replay([c], { hostname: "127.0.0.1", port: s.port, rate: 0, connections: 1 });
      }
      const messages = flows.reduce((n, f) => n + messagesOf(f).length, 0);
      const raw = messages + captures.length; // and each connection's end
      const total = raw + messages; // one parsed record per message
      await until(async () => (await streamMessages(nats.url, "BMP")) >= total, 30_000, "stored");
      await until(
        async () => (await metric(metricsPort, "bmpmon_bus_parsed_total")) === messages,
        10_000,
        "parsed acked",
      );
      const all = await consumeAll(nats.url, "BMP", total);
      assertEquals(all.length, total, "stream messages");

      // Raw: as without BUS_PARSED. The capture's bytes per connection, then its end;
      // Bmp-Router-Seq 1..n over the raw subject alone.
      const rawMsgs = all.filter((m) => m.subject.startsWith("bmp.raw."));
      assertEquals(rawMsgs.length, raw, "raw messages");
      assertEquals(new Set(rawMsgs.map((m) => m.subject)), new Set(["bmp.raw.127_0_0_1"]));
      assert(rawMsgs.every((m) => m.headers[BusHeader.ParsedVersion] === undefined), "no version");
      assertEquals(
        rawMsgs.map((m) => Number(m.headers[BusHeader.RouterSeq])),
        Array.from({ length: raw }, (_, i) => i + 1),
        "Bmp-Router-Seq of raw messages",
      );
      const rawConns = byConnection(rawMsgs);
      assertEquals(rawConns.length, captures.length, "one Bmp-Connection per replay");
      for (const [i, msgs] of rawConns.entries()) {
        const end = msgs.pop()!;
        assert(end.headers[BusHeader.ConnectionEnd] !== undefined, `${captures[i]}: its end`);
        assertEquals(concat(msgs.map((m) => m.data)), flows[i], `${captures[i]}: raw bytes`);
      }

      // Parsed: decode's jsonl per connection, in order, byte for byte.
      const parsed = all.filter((m) => m.subject.startsWith("bmp.parsed."));
      assertEquals(parsed.length, messages, "one parsed record per BMP message");
      const parsedConns = byConnection(parsed);
      assertEquals(parsedConns.length, captures.length, "parsed records of every connection");
      for (const [i, msgs] of parsedConns.entries()) {
        assertEquals(msgs.map((m) => text.decode(m.data)), expected[i], `${captures[i]}: jsonl`);
      }
      const kinds = new Set(parsed.map((m) => JSON.parse(text.decode(m.data)).kind));
      assertEquals([...kinds].sort(), KINDS, "every kind");

      // Each parsed record: its kind's subject, the raw message's headers, its msgID + ":p0",
      // right after the raw message in the stream.
      const byId = new Map(all.map((m, i) => [m.headers["Nats-Msg-Id"], i]));
      for (const m of parsed) {
        const body = JSON.parse(text.decode(m.data));
        assertEquals(m.subject, `bmp.parsed.${body.kind}.127_0_0_1`);
        const id = m.headers["Nats-Msg-Id"];
        assert(id.endsWith(":p0"), id);
        const at = byId.get(id.slice(0, -3));
        assert(at !== undefined, `raw message of ${id}`);
        assertEquals(all[at + 1], m, `${id} right after its raw message`);
        const { [BusHeader.ParsedVersion]: version, "Nats-Msg-Id": _, ...hdrs } = m.headers;
        const { "Nats-Msg-Id": __, ...rawHdrs } = all[at].headers;
        assertEquals(version, "1", "Bmp-Parsed-Version");
        assertEquals(hdrs, rawHdrs, `${id}: the raw message's headers`);
      }
      assertEquals(await metric(metricsPort, "bmpmon_bus_published_total"), raw);

      // Killed (the spool keeps every record) and started without its mark, serve publishes
      // the whole spool again, decoded again: the same msgIDs, so JetStream stores none of
      // it twice, the parsed records included.
      Deno.kill(s.pid, "SIGKILL");
      await s.stop();
      await Deno.remove(`${dataDir}/bus/mark.json`);
      s = await serve({ ...env, DATABASE_URL: url });
      await until(
        async () => (await metric(metricsPort, "bmpmon_bus_parsed_total")) === messages,
        30_000,
        "parsed records published again",
      );
      await until(
        async () => (await metric(metricsPort, "bmpmon_bus_published_total")) === raw,
        10_000,
        "raw messages published again",
      );
      assertEquals(await metric(metricsPort, "bmpmon_bus_duplicates_total"), raw, "duplicates");
      assertEquals(await streamMessages(nats.url, "BMP"), total, "nothing stored twice");
      assertEquals(await s.stop(), 0);
      s = undefined;
    } catch (e) {
      const log = s?.log.slice(-20).join("\n") ?? "";
      await s?.stop().catch(() => {});
      throw new Error(`${(e as Error).message}\nserve log:\n${log}`, { cause: e });
    } finally {
      await nats.close();
      const admin = postgres(DATABASE_URL!, { max: 1, onnotice: () => {} });
      await admin.unsafe(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
      await admin.end();
      await Deno.remove(tmp, { recursive: true });
    }
  },
);

/** A spool record as the publisher reads it. */
function record(type: number, seq: number, conn: number, body?: Uint8Array): SpoolRecord {
  return { type, seq, time: 0, conn, body: body ?? new Uint8Array(0) };
}

/** The JSON of `records`, published as a message's entry would be (so the mark follows). */
function published(enc: ParsedEncoder, r: SpoolRecord, records: ParsedRecord[]): string[] {
  const raw = { subject: "s", body: r.body, hdrs: headers(), msgID: `t:${r.seq}` };
  const e: Entry = { seq: r.seq, state: "done", parts: [{ ...raw, state: "done" }] };
  enc.attach(e, { records, address: "192.0.2.1", conn: r.conn, headers: () => headers() });
  enc.passed(e);
  return records.map((p) => text.decode(p.body));
}

/**
 * A connection's messages published over two runs: the first from its start until
 * message `k` (the mark); the next after its first segment was deleted, from the next
 * segment's snapshot (its ConnUp, and its Peer Ups as State records) and the mark.
 */
function overRestart(msgs: Uint8Array[], k: number, o: { mark?: boolean; state?: boolean } = {}) {
  const first = new ParsedEncoder();
  first.read(record(RecordType.ConnUp, 1, 1), false);
  const before = msgs.slice(0, k).flatMap((m, i) => {
    const r = record(RecordType.Message, i + 2, 1, m);
    return published(first, r, first.read(r, true));
  });
  const mark = Object.fromEntries(first.ackedOffsets());
  const next = new ParsedEncoder(o.mark === false ? {} : mark);
  next.read(record(RecordType.ConnUp, 5000, 1), false);
  for (const m of o.state === false ? [] : msgs.slice(0, k).filter((m) => m[5] === 3)) {
    next.read(record(RecordType.State, 5001, 1, m), false);
  }
  const after = msgs.slice(k).flatMap((m, i) => {
    const r = record(RecordType.Message, 6000 + i, 1, m);
    return published(next, r, next.read(r, true));
  });
  return { before, after, mark };
}

Deno.test("ParsedEncoder after a restart: the stream offset from the mark", async () => {
  const path = fixture("netgauze/peers-with-different-caps/example.pcap");
  const msgs = messagesOf(await flowOf(path));
  const expected = await jsonl(path);
  const k = 40; // after its 18 Peer Ups
  const { before, after, mark } = overRestart(msgs, k);
  assertEquals(before, expected.slice(0, k));
  assertEquals(mark, { 1: msgs.slice(0, k).reduce((n, m) => n + m.length, 0) });
  assertEquals(after, expected.slice(k));
  // Without the mark the snapshot does not say where the connection's stream was.
  const { after: lost } = overRestart(msgs, k, { mark: false });
  assert(lost.every((l, i) => l !== expected[k + i]), "offsets count from the snapshot");
});

Deno.test("ParsedEncoder after a restart: Peer Up state from the snapshot", async () => {
  // The peer sends path ids and the router receives them: Adj-RIB-In has path ids. This
  // one's bytes read as three prefixes without them, which a guess takes.
  const up = peerUp(
    open({ caps: [capAddPath([1, 1, 1])] }),
    open({ caps: [capAddPath([1, 1, 2])] }),
  );
  const pdu = update({ attrs: basicAttrs(), nlri: [prefix("12.0.0.0/8", { pathId: 0x080a080b })] });
  const msgs = [up, routeMonitoring(pdu), routeMonitoring(pdu)];
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/addpath.bmp`, concat(msgs));
    const expected = await jsonl(`${dir}/addpath.bmp`);
    assert(expected[2].includes('"pathId":134875147'), expected[2]);
    assertEquals(overRestart(msgs, 2).after, expected.slice(2));
    const { after: guessed } = overRestart(msgs, 2, { state: false });
    assert(guessed[0] !== expected[2], `decoded otherwise without its Peer Up: ${guessed[0]}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ParsedEncoder publishes what a restart reads again only as state", () => {
  const enc = new ParsedEncoder();
  enc.read(record(RecordType.ConnUp, 1, 1), false);
  const termination = new Uint8Array([3, 0, 0, 0, 6, 5]);
  assertEquals(enc.read(record(RecordType.Message, 2, 1, termination), false), []);
  const [r] = enc.read(record(RecordType.Message, 3, 1, termination), true);
  assertEquals(JSON.parse(text.decode(r.body)).offset, 6, "after the one read again");
  // A message of a connection it never saw start is not published.
  assertEquals(enc.read(record(RecordType.Message, 4, 9, termination), true), []);
});

Deno.test("BusConsumer skips bmp.parsed.* messages: no store call, no count", async () => {
  const calls: string[] = [];
  const target: StoreTarget = {
    routerUp: () => Promise.resolve(void calls.push("routerUp")),
    write: () => void calls.push("write"),
    decodeError: () => void calls.push("decodeError"),
    routerDown: () => Promise.resolve(void calls.push("routerDown")),
  };
  const marks = { lowestPending: () => Infinity } as unknown as SpoolMarks;
  const consumer = new BusConsumer(target, marks);
  const initiation = messagesOf(
    await Deno.readFile(fixture("gobgp-frr-lab/gobgp-3.10-pre-100.bmp")),
  )[0];
  const h: Record<string, string> = {
    [BusHeader.RouterAddress]: "192.0.2.1",
    [BusHeader.RouterPort]: "179",
    [BusHeader.Collector]: "edge",
    [BusHeader.Connection]: "7",
  };
  const json = new TextEncoder().encode(
    JSON.stringify({ kind: "initiation", offset: 0 }),
  );
  await consumer.handle({ seq: 1, header: (n) => h[n], data: initiation });
  const parsed: Record<string, string> = { ...h, [BusHeader.ParsedVersion]: "1" };
  await consumer.handle({ seq: 2, header: (n) => parsed[n], data: json });
  assertEquals(calls, ["routerUp", "write"]);
  assertEquals([consumer.stats.messages, consumer.stats.foreign, consumer.stats.decodeErrors], [
    1,
    0,
    0,
  ]);
  assertEquals(consumer.last, 2);
  // Without the version header the same bytes are a BMP message that fails to decode.
  await consumer.handle({ seq: 3, header: (n) => h[n], data: json });
  assertEquals(calls.at(-1), "decodeError");
});

Deno.test("checkStream() refuses BUS_PARSED on a stream without bmp.parsed.>", () => {
  const c = streamConfig({ name: "BMP", replicas: 1, maxAgeMs: 0, maxBytes: -1 });
  const settings = { name: "BMP", replicas: 1, maxAgeMs: 0, maxBytes: -1, parsed: true };
  assertEquals(checkStream({ ...c } as StreamConfig, settings), []);
  const rawOnly = { ...c, subjects: ["bmp.raw.>"] } as StreamConfig;
  assertEquals(checkStream(rawOnly, { ...settings, parsed: false }), []);
  const e = assertThrows(() => checkStream(rawOnly, settings), BusError);
  assert(e.message.startsWith("BUS_PARSED=true: stream BMP exists with subjects"), e.message);
  assertEquals(checkStream({ ...c, subjects: ["bmp.>"] } as StreamConfig, settings), []);
});
