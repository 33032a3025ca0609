/**
 * NetGauze's JSON decode (serde of `netgauze-bmp-pkt` / `netgauze-bgp-pkt`) in the normal
 * form of `_normal_form.ts`. Variants that do not occur in the fixtures throw, so a new
 * fixture cannot pass by being silently ignored.
 *
 * @module
 */

import {
  ADDRESS_TYPES,
  colonHex,
  hexOf,
  labelValue,
  type NAddPath,
  type NAttrs,
  type NCapability,
  type NEvpn,
  type NInfo,
  type NMessage,
  type NNlri,
  type NOpen,
  type NPeer,
  type NTlv,
  type NUpdate,
} from "./_normal_form.ts";

// deno-lint-ignore no-explicit-any
type J = any;

/** The single key of a serde externally tagged enum value, and its content. */
function variant(v: J, what: string): [string, J] {
  if (typeof v === "string") return [v, null];
  const keys = v && typeof v === "object" ? Object.keys(v) : [];
  if (keys.length !== 1) throw new Error(`Cannot read NetGauze ${what}: ${JSON.stringify(v)}`);
  return [keys[0], v[keys[0]]];
}

function unmapped(what: string, name: string): never {
  throw new Error(`Cannot map NetGauze ${what} variant ${name}`);
}

function family(name: string): [number, number] {
  return ADDRESS_TYPES[name] ?? unmapped("address type", name);
}

/** A NetGauze RD in our typed form, `type:administrator:assigned` (RFC 4364 §4.2). */
function rd(v: J): string | null {
  if (v === null) return null;
  const [k, x] = variant(v, "RD");
  if (k === "As2Administrator") return `0:${x.asn2}:${x.number}`;
  if (k === "Ipv4Administrator") return `1:${x.ip}:${x.number}`;
  if (k === "As4Administrator") return `2:${x.asn4}:${x.number}`;
  return unmapped("RD", k);
}

/** "2022-01-23T17:19:26.430157Z" as [seconds, microseconds]. */
function timestamp(s: string | null): [number, number] | null {
  if (s === null) return null;
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(s);
  if (!m) throw new Error(`Cannot read NetGauze timestamp ${s}`);
  const usec = Number((m[2] ?? "").padEnd(9, "0").slice(0, 6));
  return [Date.parse(m[1] + "Z") / 1000, usec];
}

const PEER_TYPES: Record<string, number> = {
  GlobalInstancePeer: 0,
  RdInstancePeer: 1,
  LocalInstancePeer: 2,
  LocRibInstancePeer: 3,
};

function peer(h: J): NPeer {
  const [k, f] = variant(h.peer_type, "peer type");
  const peerType = PEER_TYPES[k] ?? unmapped("peer type", k);
  return {
    peerType,
    flags: peerType === 3 ? { filtered: f.filtered } : {
      ipv6: f.ipv6,
      postPolicy: f.post_policy,
      asn2: f.asn2,
      adjRibOut: f.adj_rib_out,
    },
    rd: rd(h.rd),
    address: h.address,
    asn: h.peer_as,
    bgpId: h.bgp_id,
    timestamp: timestamp(h.timestamp),
  };
}

const labels = (stack: number[][]) => stack.map((l) => labelValue(l[0], l[1], l[2]));

function evpnRoute(route: J): NEvpn {
  const [k, r] = variant(route, "EVPN route");
  const ip = (x: string | null) => x ?? undefined;
  switch (k) {
    case "EthernetAutoDiscovery":
      return {
        routeType: 1,
        rd: rd(r.rd)!,
        esi: colonHex(r.segment_id),
        ethernetTag: r.tag,
        labels: labels([r.mpls_label]),
      };
    case "MacIpAdvertisement":
      return {
        routeType: 2,
        rd: rd(r.rd)!,
        esi: colonHex(r.segment_id),
        ethernetTag: r.tag,
        mac: colonHex(r.mac),
        ip: ip(r.ip),
        labels: labels(r.mpls_label2 ? [r.mpls_label1, r.mpls_label2] : [r.mpls_label1]),
      };
    case "InclusiveMulticastEthernetTagRoute":
      return { routeType: 3, rd: rd(r.rd)!, ethernetTag: r.tag, ip: r.ip };
    case "EthernetSegmentRoute":
      return { routeType: 4, rd: rd(r.rd)!, esi: colonHex(r.segment_id), ip: r.ip };
    case "IpPrefixRoute": {
      const [, p] = variant(r, "EVPN IP prefix route");
      return {
        routeType: 5,
        rd: rd(p.rd)!,
        esi: colonHex(p.segment_id),
        ethernetTag: p.tag,
        prefix: p.prefix,
        gateway: p.gateway,
        labels: labels([p.label]),
      };
    }
  }
  return unmapped("EVPN route", k);
}

/** One NLRI entry of any family: the field names tell the family apart. */
function nlri(n: J): NNlri {
  if (n.route !== undefined) return { pathId: n.path_id, evpn: evpnRoute(n.route) };
  const out: NNlri = { pathId: n.path_id, prefix: n.network ?? n.prefix };
  if (n.rd !== undefined) out.rd = rd(n.rd)!;
  if (n.label_stack !== undefined) out.labels = labels(n.label_stack);
  if (n.labels !== undefined) out.labels = labels(n.labels);
  return out;
}

const MP_FAMILIES: Record<string, [number, number]> = {
  Ipv4Unicast: [1, 1],
  Ipv4Multicast: [1, 2],
  Ipv4NlriMplsLabels: [1, 4],
  Ipv4MplsVpnUnicast: [1, 128],
  Ipv6Unicast: [2, 1],
  Ipv6Multicast: [2, 2],
  Ipv6NlriMplsLabels: [2, 4],
  Ipv6MplsVpnUnicast: [2, 128],
  L2Evpn: [25, 70],
};

function mpReach(v: J): NAttrs["mpReach"] {
  const [k, x] = variant(v, "MP_REACH_NLRI");
  const [afi, safi] = MP_FAMILIES[k] ?? unmapped("MP_REACH_NLRI", k);
  let nextHop: string;
  let nextHopLocal: string | null = x.next_hop_local ?? null;
  if (typeof x.next_hop === "string") nextHop = x.next_hop;
  else {
    // VPN next hop: {Ipv4|Ipv6: {rd, next_hop, next_hop_local?}}; its RD (zero) is not kept.
    const [, nh] = variant(x.next_hop, "VPN next hop");
    nextHop = nh.next_hop;
    nextHopLocal = nh.next_hop_local ?? null;
  }
  return { afi, safi, nextHop, nextHopLocal, nlri: x.nlri.map(nlri) };
}

function mpUnreach(v: J): NAttrs["mpUnreach"] {
  const [k, x] = variant(v, "MP_UNREACH_NLRI");
  const [afi, safi] = MP_FAMILIES[k] ?? unmapped("MP_UNREACH_NLRI", k);
  return { afi, safi, nlri: x.nlri.map(nlri) };
}

/** Extended communities in our text form (`extendedCommunityText`). */
function extendedCommunity(c: J): string {
  const [k, x] = variant(c, "extended community");
  const [sub, v] = variant(x, `extended community ${k}`);
  switch (`${k}.${sub}`) {
    case "TransitiveTwoOctet.RouteTarget":
    case "TransitiveFourOctet.RouteTarget":
      return `rt:${v.global_admin}:${v.local_admin}`;
    case "TransitiveTwoOctet.RouteOrigin":
    case "TransitiveFourOctet.RouteOrigin":
      return `soo:${v.global_admin}:${v.local_admin}`;
    case "TransitiveIpv4.RouteTarget":
      return `rt:${v.global_admin}:${v.local_admin}`;
    case "Evpn.EvpnL2Attribute":
      return `l2-attr:flags=${v.control_flags},mtu=${v.l2_mtu}`;
    case "TransitiveOpaque.Upa": {
      // draft-krierhorn-idr-upa: type 0x03 sub-type 0x09, Flags (D bit 0x80), Reserved,
      // BGP Router ID. We keep it in the unknown-type hex form.
      const id = (v.bgp_router_id as string).split(".").map(Number);
      return `0x0309:${v.drop ? "80" : "00"}00${hexOf(id)}`;
    }
  }
  return unmapped("extended community", `${k}.${sub}`);
}

const SEGMENT_TYPES: Record<string, number> = {
  AsSet: 1,
  AsSequence: 2,
  AsConfedSequence: 3,
  AsConfedSet: 4,
};

/** A NetGauze Prefix-SID in our `PrefixSid` form (only the TLVs its captures have). */
function prefixSid(v: J): unknown {
  const out: Record<string, unknown> = {};
  for (const t of v.tlvs) {
    const [k, s] = variant(t, "Prefix-SID TLV");
    const key = { SRv6ServiceL3: "srv6L3Service", SRv6ServiceL2: "srv6L2Service" }[k as string];
    if (key === undefined) unmapped("Prefix-SID TLV", k);
    out[key] = {
      sidInformation: s.subtlvs.map((sub: J) => {
        const [sk, i] = variant(sub, "SRv6 Service Sub-TLV");
        if (sk !== "SRv6SIDInformation") unmapped("SRv6 Service Sub-TLV", sk);
        const info: Record<string, unknown> = {
          sid: i.sid,
          flags: i.service_sid_flags,
          endpointBehavior: i.endpoint_behaviour,
        };
        for (const ss of i.subsubtlvs) {
          const [ssk, st] = variant(ss, "SRv6 Service Data Sub-Sub-TLV");
          if (ssk !== "SRv6SIDStructure") unmapped("SRv6 Service Data Sub-Sub-TLV", ssk);
          info.structure = {
            locatorBlockLength: st.locator_block_len,
            locatorNodeLength: st.locator_node_len,
            functionLength: st.function_len,
            argumentLength: st.arg_len,
            transpositionLength: st.transposition_len,
            transpositionOffset: st.transposition_offset,
          };
        }
        return info;
      }),
    };
  }
  return out;
}

function attributes(list: J[]): NAttrs {
  const a: NAttrs = {};
  for (const attr of list) {
    const [k, v] = variant(attr.value, "path attribute");
    switch (k) {
      case "Origin":
        a.origin = { IGP: 0, EGP: 1, Incomplete: 2 }[v as string];
        break;
      case "AsPath": {
        const [, segs] = variant(v, "AS_PATH");
        a.asPath = segs.map((s: J) => ({
          type: SEGMENT_TYPES[s.segment_type] ?? unmapped("AS_PATH segment", s.segment_type),
          asns: s.as_numbers,
        }));
        break;
      }
      case "NextHop":
        a.nextHop = v.next_hop;
        break;
      case "MultiExitDiscriminator":
        a.med = v.metric;
        break;
      case "LocalPreference":
        a.localPref = v.metric;
        break;
      case "AtomicAggregate":
        a.atomicAggregate = true;
        break;
      case "Aggregator": {
        const [, x] = variant(v, "AGGREGATOR");
        a.aggregator = { asn: x.asn, address: x.origin };
        break;
      }
      case "Communities":
        a.communities = v.communities;
        break;
      case "Originator":
        a.originatorId = v;
        break;
      case "ClusterList":
        a.clusterList = v;
        break;
      case "ExtendedCommunities":
        a.extendedCommunities = v.communities.map(extendedCommunity);
        break;
      case "LargeCommunities":
        a.largeCommunities = v.communities.map((
          c: J,
        ) => [c.global_admin, c.local_data1, c.local_data2]);
        break;
      case "MpReach":
        a.mpReach = mpReach(v);
        break;
      case "MpUnreach":
        a.mpUnreach = mpUnreach(v);
        break;
      case "UnknownAttribute":
        (a.raw ??= {})[v.code] = hexOf(v.value);
        break;
      case "PrefixSegmentIdentifier":
        a.prefixSid = prefixSid(v);
        break;
      default:
        unmapped("path attribute", k);
    }
  }
  return a;
}

function update(u: J): NUpdate {
  return {
    withdrawn: u.withdrawn_routes.map(nlri),
    nlri: u.nlri.map(nlri),
    attrs: attributes(u.path_attributes),
    problems: [],
  };
}

function addPath(families: J[]): NAddPath[] {
  return families.map((f) => {
    const [afi, safi] = family(f.address_type);
    return { afi, safi, send: f.send, receive: f.receive };
  });
}

function tlv(t: J): NTlv {
  const [k, v] = variant(t.value, "Route Monitoring TLV");
  switch (k) {
    case "GroupTlv":
      return { index: t.index, group: v };
    case "VrfTableName":
      return { index: t.index, vrf: v };
    case "PathMarking":
      return { index: t.index, pathStatus: v.path_status, reason: v.reason };
    case "StatelessParsing": {
      const [cap, x] = variant(v, "stateless parsing capability");
      if (cap !== "AddPath") unmapped("stateless parsing capability", cap);
      return { index: t.index, addPath: addPath(x.address_families) };
    }
  }
  return unmapped("Route Monitoring TLV", k);
}

/** Capabilities without value: name → code. */
const FLAG_CAPABILITIES: Record<string, number> = {
  RouteRefresh: 2,
  ExtendedMessage: 6,
  EnhancedRouteRefresh: 70,
  CiscoRouteRefresh: 128,
};

function capability(c: J): NCapability {
  const [k, v] = variant(c, "capability");
  if (FLAG_CAPABILITIES[k] !== undefined) return { code: FLAG_CAPABILITIES[k] };
  switch (k) {
    case "MultiProtocolExtensions": {
      const [afi, safi] = family(v.address_type);
      return { code: 1, afi, safi };
    }
    case "FourOctetAs":
      return { code: 65, asn: v.asn4 };
    case "AddPath":
      return { code: 69, addPath: addPath(v.address_families) };
    case "ExtendedNextHopEncoding":
      return {
        code: 5,
        nextHops: v.encodings.map((e: J) => {
          const [afi, safi] = family(e.address_type);
          const nextHopAfi = { IPv4: 1, IPv6: 2 }[e.next_hop_afi as string];
          return { afi, safi, nextHopAfi: nextHopAfi ?? unmapped("AFI", e.next_hop_afi) };
        }),
      };
    case "GracefulRestartCapability":
      return {
        code: 64,
        restart: v.restart,
        notification: v.graceful_notification,
        time: v.time,
        families: v.address_families.map((f: J) => {
          const [afi, safi] = family(f.address_type);
          return { afi, safi, forwarding: f.forwarding_state };
        }),
      };
    case "LongLivedGracefulRestart": {
      // RFC 9494 §3: AFI (2) | SAFI (1) | Flags (1, F 0x80) | Long-lived Stale Time (3);
      // we keep this capability in hex.
      const bytes: number[] = [];
      for (const f of v.address_families) {
        const [afi, safi] = family(f.address_type);
        const t = f.stale_time;
        bytes.push(afi >> 8, afi & 255, safi, f.forwarding_state ? 0x80 : 0);
        bytes.push((t >> 16) & 255, (t >> 8) & 255, t & 255);
      }
      return bytes.length ? { code: 71, hex: hexOf(bytes) } : { code: 71 };
    }
    case "Fqdn":
      return { code: 73, hostname: v.hostname, domain: v.domain_name };
    case "Unrecognized":
      return v.value.length ? { code: v.code, hex: hexOf(v.value) } : { code: v.code };
  }
  return unmapped("capability", k);
}

function open(m: J): NOpen {
  const [k, o] = variant(m, "BGP message");
  if (k !== "Open") unmapped("Peer Up BGP message", k);
  const capabilities: NCapability[] = [];
  for (const p of o.params) {
    const [pk, caps] = variant(p, "OPEN parameter");
    if (pk !== "Capabilities") unmapped("OPEN parameter", pk);
    for (const c of caps) capabilities.push(capability(c));
  }
  return {
    version: o.version,
    myAs: o.my_as,
    holdTime: o.hold_time,
    bgpId: o.bgp_id,
    capabilities,
  };
}

const INFO_TYPES: Record<string, number> = {
  String: 0,
  SystemDescription: 1,
  SystemName: 2,
  VrfTableName: 3,
  AdminLabel: 4,
};

function info(list: J[]): NInfo[] {
  return list.map((t) => {
    const [k, v] = variant(t, "information TLV");
    return { type: INFO_TYPES[k] ?? unmapped("information TLV", k), value: v };
  });
}

const CEASE_SUBCODES: Record<string, number> = {
  MaximumNumberOfPrefixesReached: 1,
  AdministrativeShutdown: 2,
  PeerDeConfigured: 3,
  AdministrativeReset: 4,
  ConnectionRejected: 5,
  OtherConfigurationChange: 6,
  ConnectionCollisionResolution: 7,
  OutOfResources: 8,
  HardReset: 9,
  BfdDown: 10,
};

function notification(m: J): { code: number; subcode: number; data: string } {
  const [k, n] = variant(m, "BGP message");
  if (k !== "Notification") unmapped("Peer Down BGP message", k);
  const [code, sub] = variant(n, "NOTIFICATION");
  const [subName, x] = variant(sub, "NOTIFICATION subcode");
  if (code === "CeaseError") {
    const subcode = CEASE_SUBCODES[subName] ?? unmapped("Cease subcode", subName);
    return { code: 6, subcode, data: hexOf(x.value) };
  }
  return unmapped("NOTIFICATION", code);
}

const STAT_TYPES: Record<string, number> = {
  NumberOfPrefixesRejectedByInboundPolicy: 0,
  NumberOfDuplicatePrefixAdvertisements: 1,
  NumberOfDuplicateWithdraws: 2,
  NumberOfUpdatesInvalidatedDueToClusterListLoop: 3,
  NumberOfUpdatesInvalidatedDueToAsPathLoop: 4,
  NumberOfUpdatesInvalidatedDueToOriginatorId: 5,
  NumberOfUpdatesInvalidatedDueToAsConfederationLoop: 6,
  NumberOfRoutesInAdjRibIn: 7,
  NumberOfRoutesInLocRib: 8,
  NumberOfRoutesInPerAfiSafiAdjRibIn: 9,
  NumberOfRoutesInPerAfiSafiLocRib: 10,
  NumberOfUpdatesSubjectedToTreatAsWithdraw: 11,
  NumberOfPrefixesSubjectedToTreatAsWithdraw: 12,
  NumberOfDuplicateUpdateMessagesReceived: 13,
  NumberOfRoutesInPrePolicyAdjRibOut: 14,
  NumberOfRoutesInPostPolicyAdjRibOut: 15,
  NumberOfRoutesInPerAfiSafiPrePolicyAdjRibOut: 16,
  NumberOfRoutesInPerAfiSafiPostPolicyAdjRibOut: 17,
};

function statistic(c: J): { type: number; value: number; afi?: number; safi?: number } {
  const [k, v] = variant(c, "statistics counter");
  const type = STAT_TYPES[k] ?? unmapped("statistics counter", k);
  if (Array.isArray(v)) {
    const [afi, safi] = family(v[0]);
    return { type, value: v[1], afi, safi };
  }
  return { type, value: v };
}

function peerDown(version: number, d: J): NMessage {
  const [k, x] = variant(d.reason, "Peer Down reason");
  const base = { kind: "peer_down" as const, version, peer: peer(d.peer_header) };
  if ((d.tlvs ?? []).length) unmapped("Peer Down TLVs", JSON.stringify(d.tlvs));
  switch (k) {
    case "LocalSystemClosedNotificationPduFollows":
      return { ...base, reason: 1, notification: notification(x) };
    case "LocalSystemClosedFsmEventFollows":
      return { ...base, reason: 2, fsmEvent: x };
    case "RemoteSystemClosedNotificationPduFollows":
      return { ...base, reason: 3, notification: notification(x) };
    case "RemoteSystemClosedNoData":
      return { ...base, reason: 4 };
    case "PeerDeConfigured":
      return { ...base, reason: 5 };
    case "LocalSystemClosedTlvDataFollows":
      return { ...base, reason: 6, information: info([x]) };
  }
  return unmapped("Peer Down reason", k);
}

/** Converts one line of a NetGauze `*-bmp.json` file to the normal form. */
export function fromNetGauze(line: J): NMessage {
  const [v, body] = variant(line, "BMP version");
  const version = v === "V3" ? 3 : v === "V4" ? 4 : unmapped("BMP version", v);
  const [k, m] = variant(body, "BMP message");
  switch (k) {
    case "RouteMonitoring": {
      if (version === 3) {
        const [bk, u] = variant(m.update_message, "BGP message");
        if (bk !== "Update") unmapped("Route Monitoring BGP message", bk);
        return { kind: "route_monitoring", version, peer: peer(m.peer_header), update: update(u) };
      }
      const [pk, pdu] = variant(m.update_pdu.value, "BGP PDU TLV");
      if (pk !== "BgpUpdate") unmapped("BGP PDU TLV", pk);
      const [bk, u] = variant(pdu, "BGP message");
      if (bk !== "Update") unmapped("Route Monitoring BGP message", bk);
      return {
        kind: "route_monitoring",
        version,
        peer: peer(m.peer_header),
        update: update(u),
        tlvs: m.tlvs.map(tlv),
      };
    }
    case "PeerUpNotification":
      return {
        kind: "peer_up",
        version,
        peer: peer(m.peer_header),
        localAddress: m.local_address,
        localPort: m.local_port,
        remotePort: m.remote_port,
        sent: open(m.sent_message),
        received: open(m.received_message),
        information: info(m.information),
      };
    case "PeerDownNotification":
      return peerDown(version, m);
    case "StatisticsReport":
      return {
        kind: "statistics_report",
        version,
        peer: peer(m.peer_header),
        stats: m.counters.map(statistic),
      };
    case "Initiation":
      return { kind: "initiation", version, information: info(m.information) };
    case "Termination":
      return { kind: "termination", version, information: info(m.information) };
  }
  return unmapped("BMP message", k);
}
