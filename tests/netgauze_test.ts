/**
 * Acceptance test: our decode of the NetGauze BMP captures, compared field by field with
 * the NetGauze JSON beside each pcap (tests/fixtures/netgauze/, see its README.md).
 *
 * Both decodes are converted to one normal form (tests/netgauze/_normal_form.ts):
 * `_from_netgauze.ts` reads NetGauze's serde JSON, `_from_bmpmon.ts` our `BmpMessage`.
 * Then every message is compared; a difference names the capture, NetGauze's line
 * index, our flow and position, and the first differing field.
 *
 * Message order: each TCP flow is one router session, decoded with its own `BmpSession`.
 * NetGauze's file lists the messages of all flows interleaved in capture order (the evpn
 * and upa captures interleave two and three routers). Our flows keep their own order, so
 * NetGauze's list is matched as a merge of the flows: each NetGauze message is paired with
 * the next unpaired message of the flow whose next message has the same type and per-peer
 * header (for Initiation, the same TLVs). Within a flow the order must agree exactly, and
 * every message on both sides must be paired.
 *
 * @module
 */

import { readCapture } from "../src/io/file.ts";
import { BmpSession } from "../src/bmp/session.ts";
import { readBmpStream } from "../src/bmp/stream.ts";
import { fromBmpmon } from "./netgauze/_from_bmpmon.ts";
import { fromNetGauze } from "./netgauze/_from_netgauze.ts";
import { firstDifference, type NMessage } from "./netgauze/_normal_form.ts";

/**
 * Fields NetGauze decodes that are not compared, and why. Everything else in NetGauze's
 * output is compared; a variant the converter does not know makes the test fail.
 *
 * Differences between NetGauze and us: none found. Representation mappings (not
 * differences): NetGauze shows a zero timestamp, a Loc-RIB peer's zero address and a
 * Loc-RIB Peer Up's zero local address and ports as null; the UPA extended community
 * (draft-krierhorn-idr-upa), which we keep as `0x0309:<hex>`, is compared by re-encoding
 * NetGauze's `drop` flag and router ID.
 */
export const NOT_COMPARED: { field: string; reason: string }[] = [
  {
    field: "path attribute flags (optional, transitive, partial, extended_length)",
    reason: "we keep flags only for attributes we store raw",
  },
  {
    field: "path attribute order",
    reason: "our PathAttributes is keyed by attribute type; each attribute is compared",
  },
  {
    field: "MPLS label TC and bottom-of-stack bits",
    reason: "we keep 20-bit label values; the stack length and every value are compared",
  },
  {
    field: "Route Distinguisher type 0 vs 2",
    reason: "our RD text is `asn:number` for both; administrator and number are compared",
  },
  {
    field: "RD of an MP_REACH VPN next hop (RFC 4364 §4.3.2, always zero)",
    reason: "we drop it and keep the address",
  },
  {
    field: "BMPv4 BGP PDU TLV index (update_pdu.index)",
    reason: "we do not keep the index of the PDU TLV; other TLV indexes are compared",
  },
  {
    field: "Prefix-SID reserved fields (SRv6 Service TLV, SID Information reserved1/2)",
    reason: "we skip reserved fields; every other Prefix-SID field is compared",
  },
];

/** Captures, their BMP port, and their messages (NetGauze's lines, our messages). */
const CAPTURES: { dir: string; port: number; messages: number }[] = [
  { dir: "evpn", port: 1790, messages: 156 },
  { dir: "path-status", port: 10000, messages: 5 },
  { dir: "peers-with-different-caps", port: 1790, messages: 192 },
  { dir: "stateless-with-add-path", port: 10000, messages: 30 },
  { dir: "unreachable-prefix-announcement", port: 1790, messages: 44 },
  { dir: "vpnv4-stateless-with-withdraw", port: 10000, messages: 15 },
];

const FIXTURES = new URL("./fixtures/netgauze/", import.meta.url);

function fixture(dir: string, suffix: string): URL {
  const name = [...Deno.readDirSync(new URL(dir, FIXTURES))].map((e) => e.name)
    .find((f) => f.endsWith(suffix));
  if (!name) throw new Error(`Cannot find *${suffix} in ${dir}`);
  return new URL(`${dir}/${name}`, FIXTURES);
}

/** One TCP flow of ours, in normal form. */
interface Flow {
  name: string;
  messages: NMessage[];
}

const ourCache = new Map<string, Flow[]>();

async function ourDecode(dir: string, port: number): Promise<Flow[]> {
  const cached = ourCache.get(dir);
  if (cached) return cached;
  const capture = await readCapture(fixture(dir, ".pcap").pathname, { port });
  const flows = capture.flows.map((f) => {
    if (f.gaps.length) throw new Error(`${dir}: flow ${f.src}:${f.srcPort} has gaps`);
    const messages: NMessage[] = [];
    for (const item of readBmpStream(f.data, new BmpSession())) {
      messages.push(
        item.message
          ? fromBmpmon(item.message)
          : { kind: "error", version: 0, message: item.error.message },
      );
    }
    return { name: `${f.src}:${f.srcPort}`, messages };
  });
  ourCache.set(dir, flows);
  return flows;
}

// deno-lint-ignore no-explicit-any
type Json = any;

function netGauzeLines(dir: string): Json[] {
  const text = Deno.readTextFileSync(fixture(dir, "-bmp.json"));
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

function matchKey(m: NMessage): string {
  if ("peer" in m) return JSON.stringify([m.kind, m.peer]);
  if ("information" in m) return JSON.stringify([m.kind, m.information]);
  return m.kind;
}

/**
 * Pairs NetGauze's messages with ours (see the module doc) and returns every difference,
 * one line each, naming the capture, NetGauze's message index and our flow position.
 */
function compareCapture(capture: string, flows: Flow[], expected: NMessage[]): string[] {
  const problems: string[] = [];
  const next = flows.map(() => 0);
  const head = (f: number) => flows[f].messages[next[f]];
  expected.forEach((e, i) => {
    const open = flows.map((_, f) => f).filter((f) => next[f] < flows[f].messages.length);
    let candidates = open.filter((f) => matchKey(head(f)) === matchKey(e));
    if (!candidates.length) candidates = open.filter((f) => head(f).kind === e.kind);
    if (!candidates.length) candidates = open.filter((f) => head(f).kind === "error");
    if (!candidates.length) {
      problems.push(`${capture} message #${i} (${e.kind}): no message of ours left to pair`);
      return;
    }
    const f = candidates.find((c) => !firstDifference(head(c), e)) ?? candidates[0];
    const diff = firstDifference(head(f), e);
    if (diff) {
      problems.push(
        `${capture} message #${i} (${e.kind}; ours: flow ${flows[f].name} #${next[f]}): ${diff}`,
      );
    }
    next[f]++;
  });
  flows.forEach((flow, f) => {
    for (let p = next[f]; p < flow.messages.length; p++) {
      problems.push(`${capture}: our flow ${flow.name} #${p} (${flow.messages[p].kind}) unpaired`);
    }
  });
  return problems;
}

for (const { dir, port, messages } of CAPTURES) {
  Deno.test(`readBmpStream() decodes NetGauze capture ${dir} as NetGauze does`, async () => {
    const expected = netGauzeLines(dir).map(fromNetGauze);
    if (expected.length !== messages) {
      throw new Error(`${dir}: NetGauze file has ${expected.length} messages, not ${messages}`);
    }
    const flows = await ourDecode(dir, port);
    const problems = compareCapture(dir, flows, expected);
    const ours = flows.reduce((n, f) => n + f.messages.length, 0);
    if (ours !== messages) problems.unshift(`${dir}: we decode ${ours} messages, not ${messages}`);
    if (problems.length) {
      const shown = problems.slice(0, 20).join("\n  ");
      throw new Error(`${problems.length} differences:\n  ${shown}`);
    }
  });
}

// ---------------------------------------------------------------------------------------
// The comparison can fail: each compared field, changed in NetGauze's decode, is reported.
// ---------------------------------------------------------------------------------------

/** The first value stored under `key` anywhere in `v` (depth first), or undefined. */
function find(v: Json, key: string): Json {
  if (v === null || typeof v !== "object") return undefined;
  if (!Array.isArray(v) && key in v) return v[key];
  for (const x of Object.values(v)) {
    const r = find(x, key);
    if (r !== undefined) return r;
  }
  return undefined;
}

/** Applies `mutate` to the first line where it applies; returns that line's index. */
function mutateFirst(lines: Json[], mutate: (line: Json) => boolean): number {
  const i = lines.findIndex(mutate);
  if (i < 0) throw new Error("mutation found nothing to change");
  return i;
}

/** Changes the first value under `key` in `line` with `change`; false if there is none. */
function at(line: Json, key: string, change: (v: Json) => unknown): boolean {
  const v = find(line, key);
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return false;
  change(v);
  return true;
}

/** The path attribute of NetGauze variant `name` in `line`, or undefined. */
function attribute(line: Json, name: string): Json {
  const list = find(line, "path_attributes") as Json[] | undefined;
  return list?.find((a) => name in a.value)?.value;
}

/** One field of NetGauze's decode to change, and where the comparison must report it. */
interface Mutation {
  dir: string;
  what: string;
  /** Part of the reported normal-form path. */
  path: string;
  mutate: (line: Json) => boolean;
}

const MUTATIONS: Mutation[] = [
  {
    dir: "evpn",
    what: "EVPN Ethernet Segment Identifier",
    path: ".evpn.esi",
    mutate: (l) => at(l, "EthernetAutoDiscovery", (r) => r.segment_id[9] ^= 1),
  },
  {
    dir: "evpn",
    what: "EVPN MPLS label",
    path: ".evpn.labels[0]",
    mutate: (l) => at(l, "EthernetAutoDiscovery", (r) => r.mpls_label[1] ^= 1),
  },
  {
    dir: "evpn",
    what: "EVPN Ethernet tag",
    path: ".evpn.ethernetTag",
    mutate: (l) => at(l, "EthernetAutoDiscovery", (r) => r.tag++),
  },
  {
    dir: "evpn",
    what: "EVPN route distinguisher",
    path: ".evpn.rd",
    mutate: (l) => at(l, "EthernetAutoDiscovery", (r) => r.rd.Ipv4Administrator.number++),
  },
  {
    dir: "evpn",
    what: "community",
    path: ".attrs.communities[0]",
    mutate: (l) => at(l, "Communities", (c) => c.communities[0]++),
  },
  {
    dir: "evpn",
    what: "route target",
    path: ".attrs.extendedCommunities",
    mutate: (l) => at(l, "RouteTarget", (rt) => rt.local_admin++),
  },
  {
    dir: "evpn",
    what: "VPN label stack",
    path: ".mpReach.nlri[0].labels",
    mutate: (l) => at(find(l, "MpReach"), "label_stack", (s) => s.push([0, 1, 1])),
  },
  {
    dir: "evpn",
    what: "VPN prefix",
    path: ".mpReach.nlri[0].prefix",
    mutate: (l) =>
      at(find(l, "MpReach"), "nlri", (n) => n[0].network && (n[0].network = "2001:db8:ffff::/48")),
  },
  {
    dir: "evpn",
    what: "MP_REACH next hop",
    path: ".mpReach.nextHop",
    mutate: (l) => at(find(l, "Ipv6MplsVpnUnicast"), "Ipv6", (nh) => nh.next_hop = "2001:db8::1"),
  },
  {
    dir: "evpn",
    what: "Prefix-SID presence",
    path: ".attrs.prefixSid",
    mutate: (l) => {
      const list = find(l, "path_attributes") as Json[] | undefined;
      const i = list?.findIndex((a) => "PrefixSegmentIdentifier" in a.value) ?? -1;
      if (i < 0) return false;
      list!.splice(i, 1);
      return true;
    },
  },
  {
    dir: "evpn",
    what: "SRv6 SID value",
    path: ".attrs.prefixSid.srv6L3Service.sidInformation[0].sid",
    mutate: (l) => at(l, "SRv6SIDInformation", (i) => i.sid = "fcba:be00:3009::"),
  },
  {
    dir: "evpn",
    what: "SRv6 SID transposition offset",
    path: ".structure.transpositionOffset",
    mutate: (l) => at(l, "SRv6SIDStructure", (st) => st.transposition_offset = 44),
  },
  {
    dir: "evpn",
    what: "Peer Down NOTIFICATION subcode",
    path: ".notification.subcode",
    mutate: (l) =>
      at(l, "CeaseError", (c) => {
        if (!c.AdministrativeReset) throw new Error("fixture changed: no AdministrativeReset");
        c.AdministrativeShutdown = c.AdministrativeReset;
        delete c.AdministrativeReset;
      }),
  },
  {
    dir: "evpn",
    what: "statistics counter",
    path: ".stats[0].value",
    mutate: (l) =>
      at(l, "counters", (cs) => {
        const k = Object.keys(cs[0])[0];
        cs[0][k]++;
      }),
  },
  {
    dir: "evpn",
    what: "peer RD",
    path: ".peer.rd",
    mutate: (l) => at(find(l, "peer_header"), "As2Administrator", (rd) => rd.number++),
  },
  {
    dir: "peers-with-different-caps",
    what: "Peer Up ADD-PATH send flag",
    path: ".addPath[0].send",
    mutate: (l) =>
      at(l, "AddPath", (c) => c.address_families[0].send = !c.address_families[0].send),
  },
  {
    dir: "peers-with-different-caps",
    what: "Peer Up multiprotocol family",
    path: ".capabilities",
    mutate: (l) => at(l, "MultiProtocolExtensions", (c) => c.address_type = "Ipv6Multicast"),
  },
  {
    dir: "peers-with-different-caps",
    what: "OPEN hold time",
    path: ".received.holdTime",
    mutate: (l) => at(l, "received_message", (m) => m.Open.hold_time++),
  },
  {
    dir: "peers-with-different-caps",
    what: "originator ID",
    path: ".attrs.originatorId",
    mutate: (l) => {
      const a = attribute(l, "Originator");
      if (!a) return false;
      a.Originator = "192.0.2.99";
      return true;
    },
  },
  {
    dir: "peers-with-different-caps",
    what: "cluster list",
    path: ".attrs.clusterList",
    mutate: (l) => at(l, "ClusterList", (c) => c.push("192.0.2.98")),
  },
  {
    dir: "peers-with-different-caps",
    what: "labeled-unicast label",
    path: ".mpReach.nlri[0].labels[0]",
    mutate: (l) => at(find(l, "Ipv4NlriMplsLabels"), "nlri", (n) => n[0].labels[0][0] ^= 1),
  },
  {
    dir: "peers-with-different-caps",
    what: "peer flag post-policy",
    path: ".peer.flags.postPolicy",
    mutate: (l) => at(l, "GlobalInstancePeer", (g) => g.post_policy = !g.post_policy),
  },
  {
    dir: "peers-with-different-caps",
    what: "peer AS",
    path: ".peer.asn",
    mutate: (l) => at(l, "peer_header", (h) => h.peer_as++),
  },
  {
    dir: "stateless-with-add-path",
    what: "NLRI path ID",
    path: ".update.nlri[0].pathId",
    mutate: (l) => {
      const n = find(l, "nlri") as Json[] | undefined;
      if (typeof n?.[0]?.path_id !== "number") return false;
      n[0].path_id++;
      return true;
    },
  },
  {
    dir: "stateless-with-add-path",
    what: "stateless parsing receive flag",
    path: ".tlvs[0].addPath[0].receive",
    mutate: (l) =>
      at(find(l, "StatelessParsing"), "address_families", (fs) => fs[0].receive = !fs[0].receive),
  },
  {
    dir: "vpnv4-stateless-with-withdraw",
    what: "MP_UNREACH path ID",
    path: ".mpUnreach.nlri[0].pathId",
    mutate: (l) => at(find(l, "MpUnreach"), "nlri", (n) => n[0].path_id += 7),
  },
  {
    dir: "path-status",
    what: "path marking status",
    path: ".pathStatus",
    mutate: (l) => at(l, "PathMarking", (m) => m.path_status = "BEST"),
  },
  {
    dir: "path-status",
    what: "group TLV",
    path: ".group",
    mutate: (l) => at(l, "GroupTlv", (g) => g.push(3)),
  },
  {
    dir: "path-status",
    what: "VRF name TLV",
    path: ".vrf",
    mutate: (l) => {
      const t = (find(l, "tlvs") as Json[] | undefined)?.find((x) => "VrfTableName" in x.value);
      if (!t) return false;
      t.value.VrfTableName = "red";
      return true;
    },
  },
  {
    dir: "path-status",
    what: "Loc-RIB filtered flag",
    path: ".peer.flags.filtered",
    mutate: (l) => at(l, "LocRibInstancePeer", (p) => p.filtered = !p.filtered),
  },
  {
    dir: "path-status",
    what: "timestamp microseconds",
    path: ".peer.timestamp[1]",
    mutate: (l) => at(l, "peer_header", (h) => h.timestamp = h.timestamp.replace(/\d(?=Z)/, "0")),
  },
  {
    dir: "unreachable-prefix-announcement",
    what: "UPA extended community drop flag",
    path: ".attrs.extendedCommunities[0]",
    mutate: (l) => at(l, "Upa", (u) => u.drop = !u.drop),
  },
  {
    dir: "unreachable-prefix-announcement",
    what: "FQDN capability host name",
    path: ".hostname",
    mutate: (l) => at(l, "Fqdn", (c) => c.hostname += "x"),
  },
  {
    dir: "unreachable-prefix-announcement",
    what: "withdrawn route",
    path: ".update.withdrawn[0].prefix",
    mutate: (l) => at(l, "withdrawn_routes", (w) => w[0].network = "198.51.100.0/24"),
  },
  {
    dir: "unreachable-prefix-announcement",
    what: "AS path ASN",
    path: ".attrs.asPath[0].asns",
    mutate: (l) => at(l, "As4PathSegments", (s) => s[0].as_numbers[0]++),
  },
  {
    dir: "unreachable-prefix-announcement",
    what: "aggregator",
    path: ".attrs.aggregator.address",
    mutate: (l) => at(l, "As4Aggregator", (a) => a.origin = "192.0.2.1"),
  },
  {
    dir: "unreachable-prefix-announcement",
    what: "Initiation sysName",
    path: ".information[1].value",
    mutate: (l) => at(l, "Initiation", (m) => m.information[1].SystemName = "rX"),
  },
];

for (const { dir, what, path, mutate } of MUTATIONS) {
  Deno.test(`compareCapture() reports a changed ${what} (${dir})`, async () => {
    const port = CAPTURES.find((c) => c.dir === dir)!.port;
    const lines = netGauzeLines(dir);
    const i = mutateFirst(lines, mutate);
    const problems = compareCapture(dir, await ourDecode(dir, port), lines.map(fromNetGauze));
    const hit = problems.find((p) => p.includes(`message #${i} `) && p.includes(path));
    if (!hit) {
      throw new Error(
        `no difference at ${path} for message #${i}; got:\n  ${problems.join("\n  ")}`,
      );
    }
  });
}

Deno.test("compareCapture() reports messages of one flow in another order", async () => {
  const lines = netGauzeLines("path-status");
  [lines[2], lines[3]] = [lines[3], lines[2]];
  const problems = compareCapture(
    "path-status",
    await ourDecode("path-status", 10000),
    lines.map(fromNetGauze),
  );
  if (
    !problems.some((p) => p.includes("message #2 ")) ||
    !problems.some((p) => p.includes("message #3 "))
  ) {
    throw new Error(`swap not reported: ${problems.join("; ")}`);
  }
});

Deno.test("compareCapture() reports a message NetGauze has and we lack", async () => {
  const lines = netGauzeLines("path-status");
  lines.push(lines[4]);
  const problems = compareCapture(
    "path-status",
    await ourDecode("path-status", 10000),
    lines.map(fromNetGauze),
  );
  if (!problems.some((p) => p.includes("message #5 ") && p.includes("no message of ours"))) {
    throw new Error(`extra message not reported: ${problems.join("; ")}`);
  }
});

Deno.test("fromNetGauze() rejects a path attribute it does not map", () => {
  const line = netGauzeLines("path-status")[2];
  line.V4.RouteMonitoring.update_pdu.value.BgpUpdate.Update.path_attributes.push({
    optional: true,
    transitive: true,
    partial: false,
    extended_length: false,
    value: { Aigp: { AccumulatedIgpMetric: 1 } },
  });
  let message = "";
  try {
    fromNetGauze(line);
  } catch (e) {
    message = (e as Error).message;
  }
  if (message !== "Cannot map NetGauze path attribute variant Aigp") {
    throw new Error(`unexpected: ${message || "no error"}`);
  }
});
