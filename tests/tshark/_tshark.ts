/**
 * tshark as a second opinion: re-frames a capture with one BMP message per TCP packet,
 * runs tshark's BMP dissector over it and counts messages and NLRI, the same way as over
 * our own decode of the same bytes.
 *
 * Count keys (both sides):
 * - `messages <type>`: BMP messages by type (`route_monitoring`, `peer_up`, ...);
 *   `messages undissected` for a data packet tshark gave no BMP type, `messages error` for
 *   bytes our decoder could not frame.
 * - `malformed <type>`: tshark: packets it flags `_ws.malformed`; ours: messages that
 *   failed to decode, and Route Monitoring messages with RFC 7606 problems.
 * - `<family> announced|withdrawn`: NLRI in Route Monitoring messages, the family spelled
 *   by {@linkcode familyName}; EVPN adds the route type (`l2vpn_evpn type2 announced`).
 *
 * tshark only prints what it decodes; see {@linkcode parseTsharkFields} for the fields.
 *
 * @module
 */

import { familyName } from "../../src/bgp/constants.ts";
import { forEachRoute } from "../../src/bgp/routes.ts";
import { BMP_MESSAGE_NAMES } from "../../src/bmp/constants.ts";
import type { BmpMessage } from "../../src/bmp/message.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { readCapture } from "../../src/io/file.ts";
import type { TcpFlow } from "../../src/io/pcap.ts";
import { type PcapPacket, writePcap } from "../../src/io/pcap_write.ts";

/** Counts by key (see the module doc). */
export type Counts = Record<string, number>;

/** One count on which our decode and tshark differ. */
export interface Difference {
  key: string;
  ours: number;
  tshark: number;
}

/** The BMP streams of one capture, cut into whole messages. */
export interface FramedCapture {
  /** Each flow's bytes up to the end of its last kept message. */
  streams: Uint8Array[];
  /** One packet per kept BMP message, in stream order, ready for {@linkcode writePcap}. */
  packets: PcapPacket[];
  /** Messages in the capture, kept or not. */
  totalMessages: number;
}

/** The TCP port of the re-framed pcap (whatever port the original capture used). */
export const BMP_PORT = 1790;

/** tshark's `-T fields` columns, in this order. */
const FIELDS = [
  "frame.number",
  "tcp.len",
  "tcp.reassembled_in",
  "bmp.type",
  "_ws.malformed",
  "bgp.withdrawn_prefix",
  "bgp.nlri_prefix",
  "bgp.update.path_attribute.mp_reach_nlri.afi",
  "bgp.update.path_attribute.mp_reach_nlri.safi",
  "bgp.update.path_attribute.mp_unreach_nlri.afi",
  "bgp.update.path_attribute.mp_unreach_nlri.safi",
  "bgp.mp_reach_nlri_ipv4_prefix",
  "bgp.mp_reach_nlri_ipv6_prefix",
  "bgp.mp_unreach_nlri_ipv4_prefix",
  "bgp.mp_unreach_nlri_ipv6_prefix",
  "bgp.label_stack",
  "bgp.evpn.nlri.rt",
] as const;

type Field = typeof FIELDS[number];

const IPV6_VPN = 2 * 256 + 128;
const EVPN = 25 * 256 + 70;
/** SAFIs whose NLRI carry a label stack: labeled unicast (RFC 8277), VPN (RFC 4364). */
const LABELED = new Set([4, 128]);

function inc(c: Counts, key: string, n = 1): void {
  if (n !== 0) c[key] = (c[key] ?? 0) + n;
}

/** The sum of `list`, keys sorted. */
export function sumCounts(list: Counts[]): Counts {
  const c: Counts = {};
  for (const one of list) for (const [k, n] of Object.entries(one)) inc(c, k, n);
  return Object.fromEntries(Object.entries(c).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Cuts every flow of a capture into BMP messages by the common header's length field
 * (RFC 7854 §4.1) and keeps the first `limit` messages over all flows.
 *
 * @throws Error when a flow has capture gaps or does not end on a message boundary
 */
export function frameCapture(flows: TcpFlow[], limit = Infinity): FramedCapture {
  const streams: Uint8Array[] = [];
  const packets: PcapPacket[] = [];
  let total = 0;
  flows.forEach((f, i) => {
    if (f.gaps.length > 0) throw new Error(`flow ${i} has ${f.gaps.length} capture gaps`);
    const d = f.data;
    let off = 0;
    let kept = 0;
    while (off < d.length) {
      if (d.length - off < 6) throw new Error(`flow ${i}: ${d.length - off} trailing bytes`);
      const len = ((d[off + 1] << 24) >>> 0) + (d[off + 2] << 16) + (d[off + 3] << 8) + d[off + 4];
      if (len < 6 || off + len > d.length) {
        throw new Error(`flow ${i}: bad BMP length ${len} at offset ${off}`);
      }
      if (packets.length < limit) {
        packets.push({
          // Raw dumps have no addresses. The ports are ours, so `-d tcp.port==` is exact
          // (a low original port such as 20 would win tshark's port lookup).
          src: f.src || "192.0.2.1",
          dst: f.dst || "192.0.2.2",
          srcPort: 50000 + i,
          dstPort: BMP_PORT,
          payload: d.subarray(off, off + len),
        });
        kept = off + len;
      }
      off += len;
      total++;
    }
    streams.push(d.subarray(0, kept));
  });
  return { streams, packets, totalMessages: total };
}

/** Our counts for one decoded message. */
export function messageCounts(m: BmpMessage): Counts {
  const c: Counts = {};
  inc(c, `messages ${m.kind}`);
  if (m.kind !== "route_monitoring") return c;
  if (m.update.problems.length > 0) inc(c, `malformed ${m.kind}`);
  forEachRoute(m.update, (afi, safi, withdrawn, n) => {
    const rt = n.evpn ? ` type${n.evpn.routeType}` : "";
    inc(c, `${familyName(afi, safi)}${rt} ${withdrawn ? "withdrawn" : "announced"}`);
  });
  return c;
}

/**
 * Our counts over `streams` (each decoded as one BMP session), one entry per message in
 * stream order; `visit` sees every decoded message.
 */
export function ourCounts(
  streams: Uint8Array[],
  visit: (m: BmpMessage) => void = () => {},
): Counts[] {
  const out: Counts[] = [];
  for (const s of streams) {
    for (const item of readBmpStream(s)) {
      if (item.message) {
        visit(item.message);
        out.push(messageCounts(item.message));
        continue;
      }
      const name = BMP_MESSAGE_NAMES[item.error.messageType ?? -1];
      out.push(
        item.framing || !name ? { "messages error": 1 } : {
          [`messages ${name}`]: 1,
          [`malformed ${name}`]: 1,
        },
      );
    }
  }
  return out;
}

/** Values of one `-T fields` column (`-E occurrence=a -E aggregator=|`). */
function values(col: string | undefined): string[] {
  return col ? col.split("|") : [];
}

/** AFI * 256 + SAFI from the first values of two columns, or undefined. */
function family(afi: string[], safi: string[]): number | undefined {
  return afi.length === 0 || safi.length === 0 ? undefined : Number(afi[0]) * 256 + Number(safi[0]);
}

/**
 * Counts tshark's `-T fields` output (the columns of `FIELDS`, one line per packet): one
 * entry per packet that carries a whole BMP message, in capture order.
 *
 * NLRI fields: `bgp.withdrawn_prefix` and `bgp.nlri_prefix` (IPv4 fields of the UPDATE),
 * `bgp.mp_[un]reach_nlri_ipv{4,6}_prefix` (unicast, labeled and VPN), attributed to the
 * AFI/SAFI of their attribute (an UPDATE has at most one of each). tshark 4.0 gives each
 * VPNv6 NLRI one `bgp.label_stack` item (its text holds the RD and prefix) and no prefix
 * field, while the other labeled NLRI (SAFI 4 and 128) have both: VPNv6 NLRI are the label
 * stacks left over. They and EVPN NLRI (`bgp.evpn.nlri.rt`) use the same field in
 * MP_REACH and MP_UNREACH: a packet with that family in both attributes (or in neither)
 * is listed in `ambiguous` (frame numbers) and those NLRI are not counted.
 */
export function parseTsharkFields(text: string): { messages: Counts[]; ambiguous: number[] } {
  const messages: Counts[] = [];
  const ambiguous: number[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const col = line.split("\t");
    const get = (name: Field) => values(col[FIELDS.indexOf(name)]);
    // Handshake packets, and the first segments of a message split over several.
    if (Number(get("tcp.len")[0] ?? 0) === 0 || get("tcp.reassembled_in").length > 0) continue;
    const c: Counts = {};
    messages.push(c);
    const type = get("bmp.type");
    if (type.length === 0) {
      inc(c, "messages undissected");
      continue;
    }
    const name = BMP_MESSAGE_NAMES[Number(type[0])] ?? `type${type[0]}`;
    inc(c, `messages ${name}`);
    if (get("_ws.malformed").length > 0) inc(c, `malformed ${name}`);
    if (type[0] !== "0") continue;
    inc(c, "ipv4_unicast withdrawn", get("bgp.withdrawn_prefix").length);
    inc(c, "ipv4_unicast announced", get("bgp.nlri_prefix").length);
    const reach = family(
      get("bgp.update.path_attribute.mp_reach_nlri.afi"),
      get("bgp.update.path_attribute.mp_reach_nlri.safi"),
    );
    const unreach = family(
      get("bgp.update.path_attribute.mp_unreach_nlri.afi"),
      get("bgp.update.path_attribute.mp_unreach_nlri.safi"),
    );
    const announced = get("bgp.mp_reach_nlri_ipv4_prefix").length +
      get("bgp.mp_reach_nlri_ipv6_prefix").length;
    const withdrawn = get("bgp.mp_unreach_nlri_ipv4_prefix").length +
      get("bgp.mp_unreach_nlri_ipv6_prefix").length;
    if (reach !== undefined) inc(c, `${familyName(reach >> 8, reach & 255)} announced`, announced);
    if (unreach !== undefined) {
      inc(c, `${familyName(unreach >> 8, unreach & 255)} withdrawn`, withdrawn);
    }
    const labeled = (f: number | undefined) =>
      f !== undefined && f !== IPV6_VPN && LABELED.has(f & 255);
    const vpnv6 = get("bgp.label_stack").length - (labeled(reach) ? announced : 0) -
      (labeled(unreach) ? withdrawn : 0);
    const shared: [number, string[]][] = [
      [IPV6_VPN, Array(Math.max(vpnv6, 0)).fill("")],
      [EVPN, get("bgp.evpn.nlri.rt").map((rt) => ` type${rt}`)],
    ];
    for (const [fam, suffixes] of shared) {
      if (suffixes.length === 0) continue;
      if ((reach === fam) === (unreach === fam)) {
        ambiguous.push(Number(get("frame.number")[0]));
        continue;
      }
      const how = reach === fam ? "announced" : "withdrawn";
      for (const s of suffixes) inc(c, `${familyName(fam >> 8, fam & 255)}${s} ${how}`);
    }
  }
  return { messages, ambiguous };
}

/** tshark's version line (`TShark (Wireshark) 4.0.17 ...`), or undefined if not on PATH. */
export function tsharkVersion(): string | undefined {
  try {
    const out = new Deno.Command("tshark", { args: ["--version"], stderr: "null" }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).split("\n")[0] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes `packets` as a pcap, runs tshark's BMP dissector over it and counts the result,
 * one entry per packet.
 *
 * @throws Error if tshark fails or a packet's NLRI are ambiguous (see
 *   {@linkcode parseTsharkFields})
 */
export async function tsharkCounts(packets: PcapPacket[]): Promise<Counts[]> {
  const pcap = await Deno.makeTempFile({ prefix: "bmpmon-tshark-", suffix: ".pcap" });
  try {
    await Deno.writeFile(pcap, writePcap(packets));
    const args = [
      "-n",
      "-r",
      pcap,
      "-d",
      `tcp.port==${BMP_PORT},bmp`,
      // Deep BMP/BGP trees otherwise hit tshark 4.0's tree depth limit (data README).
      "-o",
      "gui.max_tree_depth:5000",
      "-T",
      "fields",
      "-E",
      "occurrence=a",
      "-E",
      "aggregator=|",
      ...FIELDS.flatMap((f) => ["-e", f]),
    ];
    const out = await new Deno.Command("tshark", { args, stdout: "piped", stderr: "piped" })
      .output();
    if (!out.success) throw new Error(`tshark failed: ${new TextDecoder().decode(out.stderr)}`);
    const { messages, ambiguous } = parseTsharkFields(new TextDecoder().decode(out.stdout));
    if (ambiguous.length > 0) {
      throw new Error(`tshark NLRI not attributable in frames ${ambiguous.join(", ")}`);
    }
    return messages;
  } finally {
    await Deno.remove(pcap);
  }
}

/** The keys where `ours` and `tshark` differ, sorted. */
export function diffCounts(ours: Counts, tshark: Counts): Difference[] {
  const keys = [...new Set([...Object.keys(ours), ...Object.keys(tshark)])].sort();
  return keys.flatMap((key) => {
    const o = ours[key] ?? 0;
    const t = tshark[key] ?? 0;
    return o === t ? [] : [{ key, ours: o, tshark: t }];
  });
}

/** A capture file to compare. */
export interface CaptureFile {
  /** Path relative to the data directory, without a `/traffic-00.pcap` suffix. */
  name: string;
  /** Absolute path. */
  path: string;
}

const CAPTURE_SUFFIXES = [".pcap", ".pcapng", ".bmp", ".bmp.xz", ".dump"];

/** Every capture under `dir` (recursively), sorted by name. */
export function listCaptures(dir: string): CaptureFile[] {
  const out: CaptureFile[] = [];
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(rel ? `${dir}/${rel}` : dir)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(r);
      else if (CAPTURE_SUFFIXES.some((s) => e.name.endsWith(s))) {
        out.push({ name: r.replace(/\/traffic-00\.pcap$/, ""), path: `${dir}/${r}` });
      }
    }
  };
  walk("");
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Both sides' counts for one capture file. */
export interface Comparison {
  /** Our counts per message, in packet order. */
  ours: Counts[];
  /** tshark's counts per packet carrying a message, in packet order. */
  tshark: Counts[];
  /** Messages compared, and in the whole capture. */
  messages: number;
  totalMessages: number;
}

/**
 * Reads a capture, re-frames it and counts it both ways. `visit` sees each message we
 * decode; `limit` keeps the first messages only.
 */
export async function compareCapture(
  path: string,
  opts: { limit?: number; visit?: (m: BmpMessage) => void } = {},
): Promise<Comparison> {
  const { flows } = await readCapture(path);
  if (flows.length === 0) throw new Error(`no BMP flow in ${path}`);
  const framed = frameCapture(flows, opts.limit);
  const ours = ourCounts(framed.streams, opts.visit);
  const tshark = await tsharkCounts(framed.packets);
  return { ours, tshark, messages: framed.packets.length, totalMessages: framed.totalMessages };
}

/**
 * Messages whose counts differ on any of `keys`, as "#index: key ours/tshark" lines (at
 * most `max`), to point at the bytes behind an unexpected difference.
 */
export function firstDifferingMessages(cmp: Comparison, keys: string[], max = 5): string[] {
  const out: string[] = [];
  const n = Math.max(cmp.ours.length, cmp.tshark.length);
  for (let i = 0; i < n && out.length < max; i++) {
    const d = diffCounts(cmp.ours[i] ?? {}, cmp.tshark[i] ?? {}).filter((x) =>
      keys.includes(x.key)
    );
    if (d.length > 0) {
      out.push(`#${i}: ${d.map((x) => `${x.key} ${x.ours}/${x.tshark}`).join(", ")}`);
    }
  }
  return out;
}

/**
 * Runs tshark's BMP dissector over `packets` and returns the values of `fields` (`-T
 * fields`, every occurrence) for each packet that carries a whole BMP message, in packet
 * order: one entry per message of {@linkcode frameCapture}'s packets.
 *
 * @throws Error if tshark fails
 */
export async function tsharkFields(
  packets: PcapPacket[],
  fields: readonly string[],
): Promise<Record<string, string[]>[]> {
  const pcap = await Deno.makeTempFile({ prefix: "bmpmon-tshark-", suffix: ".pcap" });
  const all = ["tcp.len", "tcp.reassembled_in", ...fields];
  try {
    await Deno.writeFile(pcap, writePcap(packets));
    const args = ["-n", "-r", pcap, "-d", `tcp.port==${BMP_PORT},bmp`];
    args.push("-o", "gui.max_tree_depth:5000", "-T", "fields", "-E", "occurrence=a");
    args.push("-E", "aggregator=|", ...all.flatMap((f) => ["-e", f]));
    const out = await new Deno.Command("tshark", { args, stdout: "piped", stderr: "piped" })
      .output();
    if (!out.success) throw new Error(`tshark failed: ${new TextDecoder().decode(out.stderr)}`);
    const rows: Record<string, string[]>[] = [];
    for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
      if (line === "") continue;
      const col = line.split("\t").map(values);
      // Handshake packets, and the first segments of a message split over several.
      if (Number(col[0][0] ?? 0) === 0 || col[1].length > 0) continue;
      rows.push(Object.fromEntries(fields.map((f, i) => [f, col[i + 2]])));
    }
    return rows;
  } finally {
    await Deno.remove(pcap);
  }
}
