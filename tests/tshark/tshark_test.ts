/**
 * Acceptance: tshark's BMP dissector as a second opinion on every capture of the shared
 * data set (`../shared/data/bmp` beside the repository).
 *
 * Each capture is re-framed with one BMP message per TCP packet (tshark 4.0 undercounts
 * when many messages share a segment) and both sides count messages by type, malformed
 * messages by type and NLRI by family, announced and withdrawn (see `_tshark.ts`). The
 * counts must agree except for the known dissector disagreements in {@linkcode KNOWN},
 * which must appear exactly: a new difference, or a known one that went away, fails.
 *
 * Needs tshark on PATH (Debian's 4.0.17 in CI) and the data directory; without either the
 * tests are registered as ignored, with the reason in their name.
 *
 * @module
 */

import { SummaryBuilder } from "../../src/bmp/summary.ts";
import {
  compareCapture,
  type Counts,
  diffCounts,
  type Difference,
  firstDifferingMessages,
  listCaptures,
  sumCounts,
  tsharkVersion,
} from "./_tshark.ts";

const DATA_DIR = decodeURIComponent(new URL("../../../shared/data/bmp", import.meta.url).pathname);

// Why tshark 4.0.17 disagrees; each was checked against the bytes (and, where there is
// one, the upstream expected decode).
const PEER_UP_INFO_TLV = "Peer Up Information TLVs after the two OPENs (RFC 7854 §4.10: " +
  "type 0 string, FRR's neighbor description; type 3 VRF/table name, RFC 9069 §5.3): " +
  "tshark 4.0 dissects them as one more BGP message and throws";
const STATS_65531 = "Statistics TLV type 65531 (FRR private, 'nexthop invalid'), " +
  "well-formed: tshark 4.0 notes 'Unknown stats type payload' and throws";
const BMPV4_TRAILER = "BMP version 4 Route Monitoring with a 18-byte TLV trailer after the " +
  "UPDATE (Huawei VRP 8, early draft-ietf-grow-bmp-tlv form, no index field): tshark 4.0 " +
  "dissects the trailer as a BGP message ('Marker is not all ones'); the UPDATE before it " +
  "is read, so NLRI counts agree";
const BMPV4_PATH_MARKING = "BMPv4 Route Monitoring TLVs (draft-ietf-grow-bmp-tlv): " +
  "tshark 4.0 skips the group/VRF TLVs and the BGP PDU TLV header up to the UPDATE, " +
  "then throws on the path marking TLV (type 5) after it";
const BMPV4_ADD_PATH = "VPNv4 NLRI with Add-Path path IDs, signalled only in the BMPv4 " +
  "stateless parsing TLV (capability 69, AFI 1/SAFI 128): tshark 4.0 ignores the TLV and " +
  "has no Add-Path guess for VPN NLRI, reads path ID byte 0 as prefix length 0 " +
  "('prefix length 0 invalid') and drops the NLRI. NetGauze's expected decode has our 15 " +
  "NLRI; tshark's 1 is the Loc-RIB message, sent without path IDs";
const INVALID_UPDATES = "Invalid UPDATEs (upstream README: 'contains invalid BMP data'): " +
  "140 announce IPv4 NLRI without NEXT_HOP, 2 carry a 2-octet AS_PATH with the A flag " +
  "clear (4-octet): RFC 7606 treat-as-withdraw for us; tshark checks neither (it guesses " +
  "the AS size). Both count the NLRI as sent";

/** A count on which tshark is wrong: what differs, our count, tshark's, why. */
type Known = [key: string, ours: number, tshark: number, reason: string];

/** Every known disagreement with tshark 4.0.17, by capture. */
const KNOWN: Record<string, Known[]> = {
  "gobgp-frr-lab/frr-8.4-mirror-100.bmp": [
    ["malformed peer_up", 0, 1, PEER_UP_INFO_TLV],
    ["malformed statistics_report", 0, 3, STATS_65531],
  ],
  "gobgp-frr-lab/frr-8.4-prepost-10k.bmp": [
    ["malformed peer_up", 0, 1, PEER_UP_INFO_TLV],
    ["malformed statistics_report", 0, 3, STATS_65531],
  ],
  "gobgp-frr-lab/frr-8.4-prepost-1k.bmp": [
    ["malformed peer_up", 0, 1, PEER_UP_INFO_TLV],
    ["malformed statistics_report", 0, 3, STATS_65531],
  ],
  "huawei-vrp-bmp_play/bmp.dump": [
    ["malformed route_monitoring", 0, 1186, BMPV4_TRAILER],
  ],
  "netgauze/path-status/ipv4_unicast_path_marking.pcap": [
    ["malformed peer_up", 0, 1, PEER_UP_INFO_TLV],
    ["malformed route_monitoring", 0, 2, BMPV4_PATH_MARKING],
  ],
  "netgauze/stateless-with-add-path/ipv4_unicast_all.pcap": [
    ["malformed peer_up", 0, 9, PEER_UP_INFO_TLV],
  ],
  "netgauze/unreachable-prefix-announcement/upa.pcap": [
    ["malformed peer_up", 0, 7, PEER_UP_INFO_TLV],
  ],
  "netgauze/vpnv4-stateless-with-withdraw/vpnv4-stateless-with-withdraw.pcap": [
    ["ipv4_vpn announced", 9, 1, BMPV4_ADD_PATH],
    ["ipv4_vpn withdrawn", 6, 0, BMPV4_ADD_PATH],
    ["malformed route_monitoring", 0, 14, BMPV4_ADD_PATH],
  ],
  "pmacct-tests/204-BMP-CISCO-peer_down": [
    ["malformed peer_up", 0, 2, PEER_UP_INFO_TLV],
  ],
  "pmacct-tests/205-BMP-6wind-FRR-peer_down": [
    ["malformed peer_up", 0, 1, PEER_UP_INFO_TLV],
    ["malformed route_monitoring", 142, 0, INVALID_UPDATES],
    ["malformed statistics_report", 0, 48, STATS_65531],
  ],
  "pmacct-tests/400-IPFIXv10-BMP-CISCO-SRv6-multiple-sources": [
    ["malformed peer_up", 0, 2, PEER_UP_INFO_TLV],
  ],
  "pmacct-tests/401-IPFIXv10-BMP-IPv6-CISCO-MPLS-multiple-sources": [
    ["malformed peer_up", 0, 2, PEER_UP_INFO_TLV],
  ],
  "pmacct-tests/403-IPFIXv10-BMP-IPv6-CISCO-locrib-peerdown-vrf": [
    ["malformed peer_up", 0, 12, PEER_UP_INFO_TLV],
  ],
};

const TSHARK = tsharkVersion();
const captures = (() => {
  try {
    return listCaptures(DATA_DIR);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
})();

function expectedDifferences(file: string): Difference[] {
  return (KNOWN[file] ?? []).map(([key, ours, tshark]) => ({ key, ours, tshark }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** Our summary's message and per-family NLRI counts, in the keys of `Counts`. */
function summaryCounts(s: SummaryBuilder): Counts {
  const r = s.result();
  const c: Counts = {};
  for (const [kind, n] of Object.entries(r.messages)) if (n > 0) c[`messages ${kind}`] = n;
  for (const [name, f] of Object.entries(r.families)) {
    if (f.announced > 0) c[`${name} announced`] = f.announced;
    if (f.withdrawn > 0) c[`${name} withdrawn`] = f.withdrawn;
  }
  return sumCounts([c]);
}

/** `ours` without malformed counts and with EVPN route types merged, as a summary has it. */
function asSummary(ours: Counts): Counts {
  const c: Counts = {};
  for (const [key, n] of Object.entries(ours)) {
    if (key.startsWith("malformed ")) continue;
    const k = key.replace(/ type\d+ /, " ");
    c[k] = (c[k] ?? 0) + n;
  }
  return sumCounts([c]);
}

if (captures === undefined) {
  Deno.test({
    name: "decode agrees with tshark (skipped: ../shared/data/bmp not found)",
    ignore: true,
    fn() {},
  });
} else {
  const skip = TSHARK === undefined ? " (skipped: tshark not on PATH)" : "";

  Deno.test({
    name: `tshark known disagreements name existing captures${skip}`,
    ignore: TSHARK === undefined,
    fn() {
      const names = new Set(captures.map((c) => c.name));
      const stale = Object.keys(KNOWN).filter((f) => !names.has(f));
      if (stale.length > 0) throw new Error(`no such capture: ${stale.join(", ")}`);
    },
  });

  for (const c of captures) {
    Deno.test({
      name: `decode agrees with tshark on ${c.name}${skip}`,
      ignore: TSHARK === undefined,
      async fn() {
        const summary = new SummaryBuilder();
        const cmp = await compareCapture(c.path, { visit: (m) => summary.add(m) });
        if (cmp.messages !== cmp.totalMessages || cmp.messages === 0) {
          throw new Error(`compared ${cmp.messages} of ${cmp.totalMessages} messages`);
        }
        const ours = sumCounts(cmp.ours);
        const tshark = sumCounts(cmp.tshark);
        const actual = diffCounts(ours, tshark);
        const expected = expectedDifferences(c.name);
        const show = (d: Difference[]) => d.map((x) => `${x.key} ${x.ours}/${x.tshark}`);
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          const known = new Set(expected.map((d) => `${d.key} ${d.ours}/${d.tshark}`));
          const changed = actual.filter((d) => !known.has(`${d.key} ${d.ours}/${d.tshark}`));
          const keys = changed.map((d) => d.key);
          throw new Error(
            `differences (ours/tshark) ${JSON.stringify(show(actual))}, known ` +
              `${JSON.stringify(show(expected))} (${TSHARK})\nfirst messages differing:\n  ` +
              firstDifferingMessages(cmp, keys).join("\n  "),
          );
        }
        const fromSummary = summaryCounts(summary);
        if (JSON.stringify(fromSummary) !== JSON.stringify(asSummary(ours))) {
          throw new Error(
            `SummaryBuilder disagrees with the per-message counts: ` +
              `${JSON.stringify(diffCounts(asSummary(ours), fromSummary))}`,
          );
        }
      },
    });
  }
}
