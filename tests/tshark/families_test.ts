/**
 * Acceptance (issue 16): our Flowspec and SR Policy decode against tshark 4.0's, field by
 * field, on messages built byte by byte from RFC 8955/8956 and RFC 9830 (no capture we
 * have carries either family). Per message both sides list the values of the fields in
 * {@linkcode FIELDS}; numbers compare as numbers (tshark prints bytes fields in hex), and
 * every disagreement must be listed in {@linkcode KNOWN}, exactly.
 *
 * Not compared, because tshark 4.0 has no field for them: the values of bitmask
 * components other than TCP flags and fragment bits, the flow label (component 13),
 * redirect and traffic-marking actions, the segment list weight and SRv6 SIDs of type B
 * segments (tshark: `segment_list.subtlv.data`, bytes).
 *
 * @module
 */

import type { Nlri } from "../../src/bgp/nlri/types.ts";
import type { PathAttributes } from "../../src/bgp/update.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import type { PcapPacket } from "../../src/io/pcap_write.ts";
import { assert, assertEquals } from "../_assert.ts";
import {
  asPath,
  attr,
  cat,
  extCommunities,
  fromHex,
  ip4,
  ip6,
  mpReach,
  origin,
  rd0,
  routeMonitoring,
  u16,
  u32,
  update,
} from "../_build.ts";
import { BMP_PORT, tsharkFields, tsharkVersion } from "./_tshark.ts";

const FS = "bgp.flowspec_nlri";
const TE = "bgp.update.encaps_tunnel_tlv_subtlv";

/** tshark 4.0.17 fields compared (`tshark -G fields | grep -e flowspec -e sr_policy -e encaps`). */
const FIELDS = [
  `${FS}.filter_type`,
  `${FS}.dst_prefix_filter`,
  `${FS}.src_prefix_filter`,
  `${FS}.dst_ipv6_pref`,
  `${FS}.src_ipv6_pref`,
  `${FS}.ipv6_pref_length`,
  `${FS}.ipv6_pref_offset`,
  `${FS}.op.eol`,
  `${FS}.op.and`,
  `${FS}.op.lt`,
  `${FS}.op.gt`,
  `${FS}.op.equal`,
  `${FS}.op.flg_not`,
  `${FS}.op.flg_match`,
  `${FS}.dec_val_8`,
  `${FS}.dec_val_16`,
  `${FS}.dec_val_32`,
  `${FS}.val_tcp.flags`,
  "bgp.flowspec_route_distinguisher_admin_as_num_2",
  "bgp.flowspec_route_distinguisher_asnum_4",
  "bgp.ext_com_flow.rate_limit",
  "bgp.ext_com_flow.sample",
  "bgp.ext_com_flow.traff_act",
  "bgp.sr_policy_nlri_length",
  "bgp.sr_policy_nlri_distinguisher",
  "bgp.sr_policy_nlri_policy_color",
  "bgp.sr_policy_nlri_endpoint_ipv4",
  "bgp.sr_policy_nlri_endpoint_ipv6",
  "bgp.update.encaps_tunnel_tlv_type",
  "bgp.update.encaps_tunnel_subtlv_type",
  `${TE}.pref.preference`,
  `${TE}.binding_sid.sid`,
  `${TE}.enlp.preference`,
  `${TE}.priority.priority`,
  `${TE}.segment_list.subtlv.type`,
  `${TE}.segment_list_subtlv.mpls_label`,
  `${TE}.segment_list_subtlv.traffic_class`,
  `${TE}.segment_list_subtlv.bottom_stack`,
  `${TE}.segment_list_subtlv.ttl`,
  `${TE}.policy_name.name`,
];

/** Numeric operator values: tshark has one field per value size, we keep no size. */
const DEC_VALUES = "dec_val (8, 16 and 32 bits)";

function ourFields(a: PathAttributes): Record<string, string[]> {
  const out: Record<string, string[]> = Object.fromEntries(FIELDS.map((f) => [f, []]));
  out[DEC_VALUES] = [];
  const put = (f: string, v: number | string | boolean) => out[f].push(String(v));
  const r = a.mpReach;
  for (const n of r?.nlri ?? []) flowspecFields(n, r!.afi, put);
  for (const n of r?.nlri ?? []) {
    const p = n.srPolicy;
    if (!p) continue;
    put("bgp.sr_policy_nlri_length", r!.afi === 2 ? 192 : 96);
    put("bgp.sr_policy_nlri_distinguisher", p.distinguisher);
    put("bgp.sr_policy_nlri_policy_color", p.color);
    put(`bgp.sr_policy_nlri_endpoint_ipv${r!.afi === 2 ? 6 : 4}`, p.endpoint);
  }
  for (const c of a.extendedCommunities ?? []) {
    if (c.startsWith("traffic-rate:")) put("bgp.ext_com_flow.rate_limit", Number(c.split(":")[2]));
    if (c.startsWith("traffic-action:")) {
      put("bgp.ext_com_flow.sample", c.includes("sample"));
      put("bgp.ext_com_flow.traff_act", c.includes("terminal"));
    }
  }
  for (const t of a.tunnelEncap?.tunnels ?? []) {
    put("bgp.update.encaps_tunnel_tlv_type", t.tunnelType);
    const sr = t.srPolicy;
    if (!sr) continue;
    const subs = [
      sr.preference !== undefined ? [12] : [],
      sr.bindingSid !== undefined || sr.bindingSidFlags !== undefined ? [13] : [],
      sr.enlp !== undefined ? [14] : [],
      sr.priority !== undefined ? [15] : [],
      sr.segmentLists.map(() => 128),
      sr.policyName !== undefined ? [130] : [],
    ].flat();
    for (const s of subs) put("bgp.update.encaps_tunnel_subtlv_type", s);
    if (sr.preference !== undefined) put(`${TE}.pref.preference`, sr.preference);
    if (typeof sr.bindingSid === "number") put(`${TE}.binding_sid.sid`, sr.bindingSid * 4096);
    if (sr.enlp !== undefined) put(`${TE}.enlp.preference`, sr.enlp);
    if (sr.priority !== undefined) put(`${TE}.priority.priority`, sr.priority);
    for (const l of sr.segmentLists) {
      if (l.weight !== undefined) put(`${TE}.segment_list.subtlv.type`, 9);
      for (const s of l.segments) {
        put(`${TE}.segment_list.subtlv.type`, s.type === "A" ? 1 : s.type === "B" ? 13 : s.type);
        if (s.type !== "A") continue;
        put(`${TE}.segment_list_subtlv.mpls_label`, s.label!);
        put(`${TE}.segment_list_subtlv.traffic_class`, s.tc!);
        put(`${TE}.segment_list_subtlv.bottom_stack`, s.s!);
        put(`${TE}.segment_list_subtlv.ttl`, s.ttl!);
      }
    }
    if (sr.policyName !== undefined) put(`${TE}.policy_name.name`, sr.policyName);
  }
  return out;
}

function flowspecFields(
  n: Nlri,
  afi: number,
  put: (f: string, v: number | string | boolean) => void,
) {
  const f = n.flowspec;
  if (!f) return;
  if (f.rd) {
    const [, admin, assigned] = f.rd.split(":");
    put("bgp.flowspec_route_distinguisher_admin_as_num_2", Number(admin));
    put("bgp.flowspec_route_distinguisher_asnum_4", Number(assigned));
  }
  for (const c of f.components) {
    put(`${FS}.filter_type`, c.type);
    if (c.prefix !== undefined) {
      const [addr, len] = c.prefix.split("/");
      const dst = c.type === 1;
      if (afi === 2) {
        put(`${FS}.${dst ? "dst" : "src"}_ipv6_pref`, addr);
        put(`${FS}.ipv6_pref_length`, Number(len));
        put(`${FS}.ipv6_pref_offset`, c.offset ?? 0);
      } else put(`${FS}.${dst ? "dst" : "src"}_prefix_filter`, addr);
      continue;
    }
    const bitmask = c.type === 9 || c.type === 12;
    const ops = c.ops ?? [];
    ops.forEach((o, i) => {
      put(`${FS}.op.eol`, i === ops.length - 1);
      put(`${FS}.op.and`, o.and);
      if (bitmask) {
        put(`${FS}.op.flg_not`, o.op.startsWith("!"));
        put(`${FS}.op.flg_match`, o.op.endsWith("="));
        if (c.type === 9) put(`${FS}.val_tcp.flags`, o.value);
      } else {
        const bits = NUMERIC[o.op];
        put(`${FS}.op.lt`, (bits & 4) !== 0);
        put(`${FS}.op.gt`, (bits & 2) !== 0);
        put(`${FS}.op.equal`, (bits & 1) !== 0);
        put(DEC_VALUES, o.value);
      }
    });
  }
}

const NUMERIC: Record<string, number> = {
  "false": 0,
  "==": 1,
  ">": 2,
  ">=": 3,
  "<": 4,
  "<=": 5,
  "!=": 6,
  "true": 7,
};

/** tshark's values in our forms: hex bytes and hex numbers as decimal, booleans as words. */
function normal(v: string[]): string[] {
  return v.map((x) => {
    if (/^([0-9a-f]{2}:)*[0-9a-f]{2}$/i.test(x) && x.length > 2) {
      return String(parseInt(x.replaceAll(":", ""), 16));
    }
    if (/^[0-9a-f]{8}$/i.test(x)) return String(parseInt(x, 16));
    if (/^0x[0-9a-f]+$/i.test(x)) return String(Number(x));
    if (x === "True" || x === "1") return x === "1" ? "1" : "true";
    if (x === "False" || x === "0") return x === "0" ? "0" : "false";
    return x;
  });
}

/** Our booleans are compared with tshark's 1/0 (-T fields prints booleans as 1 or 0). */
const asBits = (v: string[]) => v.map((x) => x === "true" ? "1" : x === "false" ? "0" : x);

/** Built messages: the RFC 8955 examples, IPv6 and VPN flowspec, actions, SR Policies. */
function builtMessages(): Uint8Array[] {
  const basic = [origin(0), asPath([65001])];
  const fs = (afi: number, safi: number, ...rules: Uint8Array[]) =>
    mpReach(afi, safi, [], rules.map((r) => cat([r.length], r)));
  const sub = (type: number, ...v: number[][]) => {
    const b = v.flat();
    return cat([type], type >= 128 ? u16(b.length) : [b.length], b);
  };
  const sr = (...subs: Uint8Array[]) => {
    const b = cat(...subs);
    return attr(23, cat(u16(15), u16(b.length), b), 0xc0);
  };
  const segA = (label: number, tc: number, s: number, ttl: number) =>
    sub(1, [0, 0], u32((label << 12) | (tc << 9) | (s << 8) | ttl));
  return [
    // RFC 8955 §4.2.2 examples 1-3, with a rate limit and sample+terminal.
    update({
      attrs: [
        ...basic,
        fs(1, 133, fromHex("0118c00002038106048119")),
        extCommunities([...fromHex("8006000048435000")], [...fromHex("8007000000000003")]),
      ],
    }),
    update({ attrs: [...basic, fs(1, 133, fromHex("0118c000020218cb0071040389458b911f90"))] }),
    update({ attrs: [...basic, fs(1, 133, fromHex("0120c00002010c8005"))] }),
    // TCP flags, packet length, DSCP, ICMP.
    update({
      attrs: [...basic, fs(1, 133, fromHex("0218c6336407810808810009010283100a9505dc0b812e"))],
    }),
    // IPv6: offset 0 and offset 64 (RFC 8956 §3.1), next header.
    update({
      attrs: [
        ...basic,
        fs(
          2,
          133,
          cat(fromHex("01400020010db800000000"), fromHex("02300020010db80001"), fromHex("038111")),
        ),
      ],
    }),
    update({ attrs: [...basic, fs(2, 133, fromHex("016840123456789a"))] }),
    // VPN (SAFI 134).
    update({ attrs: [...basic, fs(1, 134, cat(rd0(65000, 100), fromHex("0110" + "0a01")))] }),
    // SR Policies: preference, binding SID, two segment lists, ENLP, priority, name.
    update({
      attrs: [
        ...basic,
        mpReach(1, 73, ip4("192.0.2.1"), [cat([96], u32(2), u32(100), ip4("10.0.0.9"))]),
        sr(
          sub(12, [0, 0], u32(200)),
          sub(13, [0, 0], u32(24000 << 12)),
          sub(128, [0], [...sub(9, [0, 0], u32(10))], [...segA(16001, 0, 0, 0)], [
            ...segA(16002, 5, 1, 255),
          ]),
          sub(128, [0], [...segA(17000, 0, 1, 64)]),
          sub(14, [0, 0, 1]),
          sub(15, [7, 0]),
          sub(130, [0], [...new TextEncoder().encode("to-pe9")]),
        ),
      ],
    }),
    update({
      attrs: [
        ...basic,
        mpReach(2, 73, ip6("2001:db8::1"), [cat([192], u32(1), u32(7), ip6("2001:db8::9"))]),
        sr(sub(12, [0, 0], u32(1)), sub(128, [0], [...sub(13, [0, 0], ip6("2001:db8:a::1"))])),
      ],
    }),
  ].map((u) => routeMonitoring(u));
}

interface Mismatch {
  message: number;
  field: string;
  ours: string[];
  tshark: string[];
}

/** A disagreement with tshark: field, messages where it differs, why. */
type Known = [field: string, messages: number, reason: string];

const DSCP_AS_BITMASK = "DSCP (component 11) is numeric (RFC 8955 §4.2.2.11); tshark 4.0 " +
  "dissects its operator as a bitmask one: no lt/gt/eq and value, a not and a match bit";
const OFFSET = "IPv6 prefix with offset 64 (RFC 8956 §3.1, its example 1: 5 pattern bytes); " +
  "tshark 4.0 reads ceil(length/8) bytes and reports Malformed Packet (GoBGP 3.10 sends " +
  "that form, see tests/e2e/gobgp_families_test.ts)";
const SR6 = "IPv6 SR Policy (AFI 2/SAFI 73): tshark 4.0 says 'Unknown SAFI (73) for AFI 2', " +
  "reads the endpoint as IPv4 ('Trying to fetch an IPv6 address with length 4') and " +
  "stops: nothing after the NLRI is dissected";

/** Known tshark 4.0.17 disagreements on the built messages. */
const KNOWN: Known[] = [
  [`${FS}.op.lt`, 1, DSCP_AS_BITMASK],
  [`${FS}.op.gt`, 1, DSCP_AS_BITMASK],
  [`${FS}.op.equal`, 1, DSCP_AS_BITMASK],
  [`${FS}.op.flg_not`, 1, DSCP_AS_BITMASK],
  [`${FS}.op.flg_match`, 1, DSCP_AS_BITMASK],
  [DEC_VALUES, 1, DSCP_AS_BITMASK],
  [`${FS}.dst_ipv6_pref`, 1, OFFSET],
  [`${FS}.ipv6_pref_length`, 1, OFFSET],
  [`${FS}.ipv6_pref_offset`, 1, OFFSET],
  [
    `${TE}.policy_name.name`,
    1,
    "Policy Name is sub-TLV 130 in RFC 9830 §2.4.8; tshark 4.0 has the draft's 129 " +
    "(now Candidate Path Name) and shows no name for 130",
  ],
  ["bgp.sr_policy_nlri_endpoint_ipv6", 1, SR6],
  ["bgp.update.encaps_tunnel_tlv_type", 1, SR6],
  ["bgp.update.encaps_tunnel_subtlv_type", 1, SR6],
  [`${TE}.pref.preference`, 1, SR6],
  [`${TE}.segment_list.subtlv.type`, 1, SR6],
];

const TSHARK = tsharkVersion();

Deno.test({
  name: `Flowspec and SR Policy fields agree with tshark on built messages${
    TSHARK === undefined ? " (skipped: tshark not on PATH)" : ""
  }`,
  ignore: TSHARK === undefined,
  async fn() {
    const messages = builtMessages();
    const ours: PathAttributes[] = [];
    for (const it of readBmpStream(cat(...messages))) {
      assert(it.message?.kind === "route_monitoring", "a route monitoring message");
      assertEquals(it.message.update.problems, [], "no problems");
      ours.push(it.message.update.attributes);
    }
    const packets: PcapPacket[] = messages.map((payload) => ({
      src: "192.0.2.1",
      dst: "192.0.2.2",
      srcPort: 50000,
      dstPort: BMP_PORT,
      payload,
    }));
    const theirs = await tsharkFields(packets, FIELDS);
    assertEquals(theirs.length, ours.length, "tshark packets vs our messages");
    const mismatches: Mismatch[] = [];
    const compared: Record<string, number> = {};
    ours.forEach((a, i) => {
      const o = ourFields(a);
      const t: Record<string, string[]> = {};
      for (const f of FIELDS) t[f] = normal(theirs[i][f] ?? []);
      t[DEC_VALUES] = [
        ...t[`${FS}.dec_val_8`],
        ...t[`${FS}.dec_val_16`],
        ...t[`${FS}.dec_val_32`],
      ].sort();
      o[DEC_VALUES].sort();
      for (const f of [...FIELDS.filter((f) => !f.includes(".dec_val_")), DEC_VALUES]) {
        const mine = asBits(o[f]);
        const their = asBits(t[f]);
        if (f.endsWith("subtlv_type")) mine.sort(), their.sort();
        if (JSON.stringify(mine) !== JSON.stringify(their)) {
          mismatches.push({ message: i, field: f, ours: mine, tshark: their });
        } else if (mine.length > 0) compared[f] = (compared[f] ?? 0) + mine.length;
      }
    });
    const byField: Record<string, number> = {};
    for (const m of mismatches) byField[m.field] = (byField[m.field] ?? 0) + 1;
    const expected = Object.fromEntries(KNOWN.map(([f, n]) => [f, n]));
    const sorted = (o: Record<string, number>) =>
      JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b))));
    if (sorted(byField) !== sorted(expected)) {
      throw new Error(
        `differences by field ${sorted(byField)}, known ${sorted(expected)}; first:\n  ${
          mismatches.slice(0, 40).map((m) =>
            `#${m.message} ${m.field} ours ${m.ours.join("|")} tshark ${m.tshark.join("|")}`
          ).join("\n  ")
        }`,
      );
    }
    for (
      const f of [
        `${FS}.filter_type`,
        `${FS}.ipv6_pref_offset`,
        `${FS}.val_tcp.flags`,
        DEC_VALUES,
        "bgp.flowspec_route_distinguisher_asnum_4",
        "bgp.ext_com_flow.rate_limit",
        "bgp.sr_policy_nlri_policy_color",
        `${TE}.binding_sid.sid`,
        `${TE}.segment_list_subtlv.mpls_label`,
      ]
    ) assert((compared[f] ?? 0) > 0, `no ${f} compared`);
    console.log(`values compared: ${JSON.stringify(compared)}`);
  },
});
