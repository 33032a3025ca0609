/**
 * The normal form both decodes are converted to before `tests/netgauze_test.ts` compares
 * them: plain JSON values, numbers for codepoints, our text forms for addresses, RDs and
 * extended communities. `undefined` and a missing key are the same.
 *
 * @module
 */

/** Per-peer header (RFC 7854 §4.2). */
export interface NPeer {
  peerType: number;
  /** V/L/A/O for peer types 0-2, F for Loc-RIB. */
  flags: Record<string, boolean>;
  rd: string | null;
  /** Null for a Loc-RIB peer (all-zero address). */
  address: string | null;
  asn: number;
  bgpId: string;
  /** [seconds, microseconds]; null when both are zero. */
  timestamp: [number, number] | null;
}

/** One EVPN route (RFC 7432 §7, RFC 9136). */
export interface NEvpn {
  routeType: number;
  rd?: string;
  esi?: string;
  ethernetTag?: number;
  mac?: string;
  ip?: string;
  prefix?: string;
  gateway?: string;
  labels?: number[];
}

/** One NLRI entry. */
export interface NNlri {
  pathId: number | null;
  prefix?: string;
  rd?: string;
  /** 20-bit label values. */
  labels?: number[];
  evpn?: NEvpn;
}

/** Path attributes; `raw` maps attribute type codes kept undecoded to hex or "present". */
export interface NAttrs {
  origin?: number;
  asPath?: { type: number; asns: number[] }[];
  nextHop?: string;
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: { asn: number; address: string };
  communities?: number[];
  originatorId?: string;
  clusterList?: string[];
  extendedCommunities?: string[];
  largeCommunities?: number[][];
  mpReach?: {
    afi: number;
    safi: number;
    nextHop: string;
    nextHopLocal: string | null;
    nlri: NNlri[];
  };
  mpUnreach?: { afi: number; safi: number; nlri: NNlri[] };
  /** BGP Prefix-SID in our form (`PrefixSid`, src/bgp/attributes/prefix_sid.ts). */
  prefixSid?: unknown;
  raw?: Record<string, string>;
}

/** A BGP UPDATE. `problems` lists our RFC 7606 findings (NetGauze: always none). */
export interface NUpdate {
  withdrawn: NNlri[];
  nlri: NNlri[];
  attrs: NAttrs;
  problems: string[];
}

/** A BMPv4 Route Monitoring TLV (other than the BGP PDU). */
export type NTlv =
  | { index: number; group: number[] }
  | { index: number; vrf: string }
  | { index: number; pathStatus: string; reason: number | null }
  | { index: number; addPath: NAddPath[] };

/** ADD-PATH family, as in the capability (RFC 7911 §4). */
export interface NAddPath {
  afi: number;
  safi: number;
  send: boolean;
  receive: boolean;
}

/** A BGP capability (RFC 5492); only the fields of its code are set. */
export interface NCapability {
  code: number;
  afi?: number;
  safi?: number;
  asn?: number;
  addPath?: NAddPath[];
  nextHops?: { afi: number; safi: number; nextHopAfi: number }[];
  restart?: boolean;
  notification?: boolean;
  time?: number;
  families?: { afi: number; safi: number; forwarding: boolean }[];
  hostname?: string;
  domain?: string;
  /** Value bytes in hex, for capabilities without a decoder here. */
  hex?: string;
}

/** An OPEN. */
export interface NOpen {
  version: number;
  myAs: number;
  holdTime: number;
  bgpId: string;
  capabilities: NCapability[];
}

/** An information TLV (RFC 7854 §4.4). */
export interface NInfo {
  type: number;
  value: string;
}

/** A BGP NOTIFICATION. */
export interface NNotification {
  code: number;
  subcode: number;
  data: string;
}

/** A BMP message in normal form. */
export type NMessage =
  | { kind: "route_monitoring"; version: number; peer: NPeer; update: NUpdate; tlvs?: NTlv[] }
  | {
    kind: "peer_up";
    version: number;
    peer: NPeer;
    localAddress: string | null;
    localPort: number | null;
    remotePort: number | null;
    sent: NOpen;
    received: NOpen;
    information: NInfo[];
  }
  | {
    kind: "peer_down";
    version: number;
    peer: NPeer;
    reason: number;
    notification?: NNotification;
    fsmEvent?: number;
    information?: NInfo[];
  }
  | {
    kind: "statistics_report";
    version: number;
    peer: NPeer;
    stats: { type: number; value: number; afi?: number; safi?: number }[];
  }
  | { kind: "initiation" | "termination"; version: number; information: NInfo[] }
  | { kind: "error"; version: number; message: string };

/** NetGauze `AddressType` names (netgauze-iana) as AFI/SAFI. */
export const ADDRESS_TYPES: Record<string, [number, number]> = {
  Ipv4Unicast: [1, 1],
  Ipv4Multicast: [1, 2],
  Ipv4NlriMplsLabels: [1, 4],
  Ipv4MplsLabeledVpn: [1, 128],
  Ipv4MulticastBgpMplsVpn: [1, 129],
  Ipv6Unicast: [2, 1],
  Ipv6Multicast: [2, 2],
  Ipv6NlriMplsLabels: [2, 4],
  Ipv6MplsLabeledVpn: [2, 128],
  Ipv6MulticastBgpMplsVpn: [2, 129],
  L2VpnBgpEvpn: [25, 70],
};

/**
 * The first difference between two normal-form values, as `path: actual != expected`;
 * undefined when equal. `undefined` properties count as missing.
 */
export function firstDifference(
  actual: unknown,
  expected: unknown,
  path = "$",
): string | undefined {
  if (actual === expected) return undefined;
  const show = (v: unknown) => JSON.stringify(v) ?? "undefined";
  if (
    typeof actual !== "object" || typeof expected !== "object" || actual === null ||
    expected === null || Array.isArray(actual) !== Array.isArray(expected)
  ) {
    return `${path}: ${show(actual)} != ${show(expected)}`;
  }
  if (Array.isArray(actual) && Array.isArray(expected)) {
    for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
      const d = firstDifference(actual[i], expected[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  for (const k of new Set([...Object.keys(a), ...Object.keys(e)])) {
    const d = firstDifference(a[k], e[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

/** The 20-bit label value of a 3-byte MPLS label field (RFC 3032). */
export function labelValue(b0: number, b1: number, b2: number): number {
  return ((b0 << 16) | (b1 << 8) | b2) >>> 4;
}

/** Colon-separated lower-case hex, like our ESI and MAC text. */
export function colonHex(bytes: number[]): string {
  return bytes.map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/** Lower-case hex of byte values. */
export function hexOf(bytes: number[]): string {
  return bytes.map((x) => x.toString(16).padStart(2, "0")).join("");
}
