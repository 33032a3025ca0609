/**
 * Our decode (`BmpMessage`) in the normal form of `_normal_form.ts`.
 *
 * @module
 */

import type { BgpOpen, Capability } from "../../src/bgp/open.ts";
import type { Nlri } from "../../src/bgp/nlri/types.ts";
import type { BgpUpdate } from "../../src/bgp/update.ts";
import type { BmpMessage } from "../../src/bmp/message.ts";
import type { PerPeerHeader } from "../../src/bmp/per_peer_header.ts";
import type { PathMarking, RouteMonitoringTlv } from "../../src/bmp/route_monitoring.ts";
import type { InfoTlv } from "../../src/bmp/tlv.ts";
import type {
  NAddPath,
  NAttrs,
  NCapability,
  NInfo,
  NMessage,
  NNlri,
  NOpen,
  NPeer,
  NTlv,
  NUpdate,
} from "./_normal_form.ts";

const isZeroAddress = (a: string) => a === "0.0.0.0" || a === "::";

function peer(h: PerPeerHeader): NPeer {
  const locRib = h.peerType === 3;
  return {
    peerType: h.peerType,
    flags: locRib ? { filtered: h.filtered } : {
      ipv6: (h.flags & 0x80) !== 0,
      postPolicy: h.postPolicy,
      asn2: h.asn2,
      adjRibOut: h.adjRibOut,
    },
    rd: h.rd ?? null,
    // RFC 9069 §4.1: a Loc-RIB peer address is zero-filled; NetGauze shows it as null.
    address: locRib && isZeroAddress(h.address) ? null : h.address,
    asn: h.asn,
    bgpId: h.bgpId,
    timestamp: h.tsSec === 0 && h.tsUsec === 0 ? null : [h.tsSec, h.tsUsec],
  };
}

function nlri(n: Nlri): NNlri {
  if (n.evpn) {
    const e = n.evpn;
    return {
      pathId: n.pathId ?? null,
      evpn: {
        routeType: e.routeType,
        rd: e.rd,
        esi: e.esi,
        ethernetTag: e.ethernetTag,
        mac: e.mac,
        ip: e.ip,
        prefix: e.prefix,
        gateway: e.gateway,
        labels: e.labels,
      },
    };
  }
  return { pathId: n.pathId ?? null, prefix: n.prefix, rd: n.rd, labels: n.labels };
}

function update(u: BgpUpdate): NUpdate {
  const a = u.attributes;
  const attrs: NAttrs = {
    origin: a.origin,
    asPath: a.asPath?.map((s) => ({ type: s.type, asns: s.asns })),
    nextHop: a.nextHop,
    med: a.med,
    localPref: a.localPref,
    atomicAggregate: a.atomicAggregate,
    aggregator: a.aggregator,
    communities: a.communities,
    originatorId: a.originatorId,
    clusterList: a.clusterList,
    extendedCommunities: a.extendedCommunities,
    largeCommunities: a.largeCommunities,
  };
  if (a.mpReach) {
    attrs.mpReach = {
      afi: a.mpReach.afi,
      safi: a.mpReach.safi,
      nextHop: a.mpReach.nextHop,
      nextHopLocal: a.mpReach.nextHopLinkLocal ?? null,
      nlri: a.mpReach.nlri.map(nlri),
    };
  }
  if (a.mpUnreach) {
    attrs.mpUnreach = {
      afi: a.mpUnreach.afi,
      safi: a.mpUnreach.safi,
      nlri: a.mpUnreach.nlri.map(nlri),
    };
  }
  attrs.prefixSid = a.prefixSid;
  if (a.unknown?.length) {
    attrs.raw = {};
    for (const r of a.unknown) attrs.raw[r.type] = r.value;
  }
  return {
    withdrawn: u.withdrawn.map(nlri),
    nlri: u.nlri.map(nlri),
    attrs,
    problems: u.problems.map((p) => `${p.action}: ${p.reason}`),
  };
}

function addPathFamilies(fs: { afi: number; safi: number; sendReceive: number }[]): NAddPath[] {
  return fs.map((f) => ({
    afi: f.afi,
    safi: f.safi,
    send: (f.sendReceive & 2) !== 0,
    receive: (f.sendReceive & 1) !== 0,
  }));
}

function tlv(t: RouteMonitoringTlv): NTlv {
  const index = t.index ?? -1;
  switch (t.name) {
    case "group":
      return { index, group: t.value as number[] };
    case "vrf_table_name":
      return { index, vrf: t.value as string };
    case "path_marking": {
      const m = t.value as PathMarking;
      return {
        index,
        pathStatus: m.statusNames.map((n) => n.toUpperCase()).join(" | "),
        reason: m.reason ?? null,
      };
    }
    case "stateless_parsing": {
      const v = t.value as { families: { afi: number; safi: number; sendReceive: number }[] };
      return { index, addPath: addPathFamilies(v.families) };
    }
  }
  throw new Error(`Cannot normalise our Route Monitoring TLV: ${t.name}`);
}

function capability(c: Capability): NCapability {
  switch (c.code) {
    case 1:
      if (c.afi !== undefined) return { code: 1, afi: c.afi, safi: c.safi };
      break;
    case 5:
      if (c.nextHops) return { code: 5, nextHops: c.nextHops };
      break;
    case 64:
      if (c.families) {
        return {
          code: 64,
          restart: ((c.restartFlags ?? 0) & 8) !== 0,
          notification: ((c.restartFlags ?? 0) & 4) !== 0,
          time: c.restartTime,
          families: c.families.map((f) => ({
            afi: f.afi,
            safi: f.safi,
            forwarding: (f.flags & 0x80) !== 0,
          })),
        };
      }
      break;
    case 65:
      if (c.asn !== undefined) return { code: 65, asn: c.asn };
      break;
    case 69:
      if (c.addPath) return { code: 69, addPath: addPathFamilies(c.addPath) };
      break;
    case 73:
      if (c.hostname !== undefined) return { code: 73, hostname: c.hostname, domain: c.domain };
      break;
  }
  return c.value === undefined ? { code: c.code } : { code: c.code, hex: c.value };
}

function open(o: BgpOpen): NOpen {
  return {
    version: o.version,
    myAs: o.myAs,
    holdTime: o.holdTime,
    bgpId: o.bgpId,
    capabilities: o.capabilities.map(capability),
  };
}

const info = (ts: InfoTlv[]): NInfo[] => ts.map((t) => ({ type: t.type, value: t.value }));

/** Converts one of our decoded messages to the normal form. */
export function fromBmpmon(m: BmpMessage): NMessage {
  const version = m.version;
  switch (m.kind) {
    case "route_monitoring": {
      const out: NMessage = { kind: m.kind, version, peer: peer(m.peer), update: update(m.update) };
      if (m.tlvs) out.tlvs = m.tlvs.map(tlv);
      return out;
    }
    case "peer_up": {
      const locRib = m.peer.peerType === 3;
      // RFC 9069 §5.2: Loc-RIB local address and ports are zero; NetGauze shows null.
      const zero = locRib && isZeroAddress(m.localAddress) && m.localPort === 0 &&
        m.remotePort === 0;
      return {
        kind: m.kind,
        version,
        peer: peer(m.peer),
        localAddress: zero ? null : m.localAddress,
        localPort: zero ? null : m.localPort,
        remotePort: zero ? null : m.remotePort,
        sent: open(m.sentOpen),
        received: open(m.receivedOpen),
        information: info(m.information),
      };
    }
    case "peer_down":
      return {
        kind: m.kind,
        version,
        peer: peer(m.peer),
        reason: m.reason,
        notification: m.notification && {
          code: m.notification.code,
          subcode: m.notification.subcode,
          data: m.notification.data,
        },
        fsmEvent: m.fsmEvent,
        information: m.information && info(m.information),
      };
    case "statistics_report":
      return {
        kind: m.kind,
        version,
        peer: peer(m.peer),
        stats: m.stats.map((s) => ({
          type: s.type,
          value: Number(s.value ?? NaN),
          afi: s.afi,
          safi: s.safi,
        })),
      };
    case "initiation":
    case "termination":
      return { kind: m.kind, version, information: info(m.information) };
  }
  throw new Error(`Cannot normalise our ${m.kind} message`);
}
