/**
 * One line of text per decoded BMP message, for `show client ID messages`:
 *
 * ```text
 * route_monitoring 127.0.0.2 AS65002 post-policy ipv4_unicast +10.0.0.0/24 path 65002 65010 nh 192.0.2.254 comm 65001:999
 * peer_down 127.0.0.2 AS65002 reason 3 remote_notification (cease/administrative_shutdown)
 * ```
 *
 * @module
 */

import { asPathText } from "../bgp/attributes/as_path.ts";
import { prefixSidText } from "../bgp/attributes/prefix_sid.ts";
import { communityText, largeCommunityText } from "../bgp/attributes/communities.ts";
import { familyName } from "../bgp/constants.ts";
import type { Nlri } from "../bgp/nlri/types.ts";
import type { Capability } from "../bgp/open.ts";
import { forEachRoute } from "../bgp/routes.ts";
import type { BmpMessage } from "../bmp/message.ts";
import type { PerPeerHeader } from "../bmp/per_peer_header.ts";
import type { DecodeError } from "../wire/errors.ts";

/** Routes shown per Route Monitoring line before "(N more)". */
const ROUTES_SHOWN = 6;

/** The RIB view a per-peer header names: pre-policy, post-policy, adj-rib-out…, loc-rib. */
export function ribViewText(h: PerPeerHeader): string {
  if (h.peerType === 3) return h.filtered ? "loc-rib filtered" : "loc-rib";
  const policy = h.postPolicy ? "post-policy" : "pre-policy";
  return h.adjRibOut ? `adj-rib-out ${policy}` : policy;
}

function peerText(h: PerPeerHeader): string {
  return `${h.rd ? `${h.rd} ` : ""}${h.address} AS${h.asn}`;
}

/** An NLRI as text: the prefix (with RD and path id), or the EVPN route's fields. */
export function nlriText(n: Nlri): string {
  const path = n.pathId === undefined ? "" : `#${n.pathId}`;
  const rd = n.rd ? `${n.rd}:` : "";
  const e = n.evpn;
  if (!e) return `${rd}${n.prefix}${path}`;
  const parts = [`evpn${e.routeType}`, e.rd, e.esi, e.ethernetTag, e.mac, e.ip, e.prefix, e.raw];
  return parts.filter((p) => p !== undefined && p !== "").join(" ") + path;
}

/** A capability as text: its name and the values that matter (families, ASN, Add-Path). */
export function capabilityText(c: Capability): string {
  const fam = (afi: number, safi: number) => familyName(afi, safi);
  if (c.afi !== undefined && c.safi !== undefined) return `${c.name} ${fam(c.afi, c.safi)}`;
  if (c.asn !== undefined) return `${c.name} ${c.asn}`;
  if (c.addPath) {
    const dir = ["", "receive", "send", "send/receive"];
    return `${c.name} ${
      c.addPath.map((a) => `${fam(a.afi, a.safi)} ${dir[a.sendReceive] ?? a.sendReceive}`).join(
        ", ",
      )
    }`;
  }
  if (c.restartTime !== undefined) return `${c.name} ${c.restartTime}s`;
  if (c.hostname !== undefined) return `${c.name} ${c.hostname}${c.domain ? `.${c.domain}` : ""}`;
  if (c.text !== undefined) return `${c.name} ${c.text}`;
  if (c.role !== undefined) return `${c.name} ${c.role}`;
  if (c.value) return `${c.name} 0x${c.value}`;
  return c.name;
}

function routeMonitoringText(m: BmpMessage & { kind: "route_monitoring" }): string {
  const u = m.update;
  const parts = [m.kind, peerText(m.peer), ribViewText(m.peer)];
  if (u.endOfRib) {
    return [...parts, `End-of-RIB ${familyName(u.endOfRib.afi, u.endOfRib.safi)}`].join(" ");
  }
  const families = new Set<string>();
  const routes: string[] = [];
  let total = 0;
  forEachRoute(u, (afi, safi, withdrawn, n) => {
    families.add(familyName(afi, safi));
    if (total++ < ROUTES_SHOWN) routes.push(`${withdrawn ? "-" : "+"}${nlriText(n)}`);
  });
  parts.push([...families].join(","), ...routes);
  if (total > ROUTES_SHOWN) parts.push(`(${total - ROUTES_SHOWN} more)`);
  const a = u.attributes;
  if (a.asPath) parts.push(`path ${asPathText(a.asPath) || "(empty)"}`);
  const nh = a.mpReach?.nextHop ?? a.nextHop;
  if (nh && (u.nlri.length > 0 || (a.mpReach?.nlri.length ?? 0) > 0)) parts.push(`nh ${nh}`);
  const comms = [
    ...(a.communities ?? []).map(communityText),
    ...(a.largeCommunities ?? []).map(largeCommunityText),
  ];
  if (comms.length) parts.push(`comm ${comms.join(" ")}`);
  if (a.prefixSid) parts.push(`sid ${prefixSidText(a.prefixSid)}`);
  if (u.treatAsWithdraw) parts.push("(treat-as-withdraw)");
  if (u.problems.length) parts.push(`problems ${u.problems.map((p) => p.reason).join("; ")}`);
  return parts.join(" ");
}

/** One line describing a decoded message. */
export function messageLine(m: BmpMessage): string {
  switch (m.kind) {
    case "route_monitoring":
      return routeMonitoringText(m);
    case "peer_up":
      return `${m.kind} ${peerText(m.peer)} ${
        ribViewText(m.peer)
      } bgp-id ${m.receivedOpen.bgpId} ` +
        `local ${m.localAddress}:${m.localPort} remote-port ${m.remotePort} hold ${
          Math.min(m.sentOpen.holdTime, m.receivedOpen.holdTime)
        } capabilities ${m.receivedOpen.capabilities.length}`;
    case "peer_down": {
      const n = m.notification;
      const why = n ? ` (${n.codeName}/${n.subcodeName})` : "";
      return `${m.kind} ${peerText(m.peer)} reason ${m.reason} ${m.reasonName}${why}`;
    }
    case "statistics_report": {
      const stats = m.stats.map((s) => {
        const name = s.afi === undefined ? s.name : `${s.name}[${familyName(s.afi, s.safi!)}]`;
        return `${name}=${s.value ?? s.raw ?? ""}`;
      });
      return `${m.kind} ${peerText(m.peer)} ${stats.join(" ")}`;
    }
    case "initiation":
      return [m.kind, m.sysName && `sysName ${m.sysName}`, m.sysDescr && `sysDescr ${m.sysDescr}`]
        .filter(Boolean).join(" ");
    case "termination":
      return `${m.kind}${m.reason === undefined ? "" : ` reason ${m.reason} ${m.reasonName}`}`;
    case "route_mirroring": {
      const entries = m.entries.map((e) => {
        if (e.type === 1) return `info ${e.codeName ?? e.code}`;
        if (e.error) return `error ${e.error}`;
        const names = ["", "open", "update", "notification", "keepalive"];
        const t = e.message?.type;
        return t === undefined ? "bgp ?" : `bgp ${names[t] ?? `type ${t}`}`;
      });
      return `${m.kind} ${peerText(m.peer)} ${entries.join(", ")}`;
    }
  }
}

/** One line describing a message that could not be decoded. */
export function errorLine(e: DecodeError): string {
  const type = e.messageType === undefined ? "" : ` (BMP type ${e.messageType})`;
  return `error ${e.code}${type} at offset ${e.offset}: ${e.message}`;
}
