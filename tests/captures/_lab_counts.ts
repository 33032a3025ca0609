/**
 * Our decode of a lab stream, counted in the shape of the reference decodes
 * (`gobgp-frr-lab/*.expected.json`, made with tshark 4.0.17 and an independent counter).
 *
 * @module
 */

import { forEachRoute } from "../../src/bgp/routes.ts";
import { PEER_TYPE_NAMES } from "../../src/bmp/constants.ts";
import { peerFlagsText } from "../../src/bmp/per_peer_header.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";

type Counts = Record<string, number>;

function inc(o: Counts, k: string | number, n = 1): void {
  o[k] = (o[k] ?? 0) + n;
}

/** Counts a lab stream like the reference decode (its `frames_*` fields excepted). */
export function labCounts(bytes: Uint8Array): Record<string, unknown> {
  const byType: Counts = {};
  const rm: Record<string, Counts> = {};
  const peerUp: Counts = {};
  const downReasons: Counts = {};
  const stats: Counts = {};
  const init: Counts = {};
  const term: Counts = {};
  const mirror: Counts = {};
  let total = 0;
  for (const item of readBmpStream(bytes)) {
    if (item.error) throw item.error;
    const m = item.message;
    total++;
    inc(byType, m.kind.replace("_", "-"));
    switch (m.kind) {
      case "route_monitoring": {
        const key = `peer-type=${PEER_TYPE_NAMES[m.peer.peerType]} flags=${
          peerFlagsText(m.peer)
        } peer=${m.peer.address}`;
        const c = rm[key] ??= {};
        inc(c, "messages");
        forEachRoute(m.update, (afi, safi, withdrawn, n) => {
          const action = withdrawn ? "withdrawn" : "announced";
          if (n.evpn) inc(c, `evpn-type${n.evpn.routeType}-${action}`);
          else if (safi === 1 && afi === 1) inc(c, `ipv4-${action}`);
          else if (safi === 1 && afi === 2) inc(c, `ipv6-${action}`);
          else inc(c, `afi${afi}-safi${safi}-${action}`);
        });
        break;
      }
      case "peer_up":
        inc(peerUp, `${PEER_TYPE_NAMES[m.peer.peerType]} ${m.peer.address} AS${m.peer.asn}`);
        break;
      case "peer_down":
        inc(downReasons, m.reason);
        break;
      case "statistics_report":
        for (const s of m.stats) inc(stats, s.type);
        break;
      case "initiation":
        for (const t of m.information) inc(init, t.type);
        break;
      case "termination":
        for (const t of m.information) inc(term, t.type);
        break;
      case "route_mirroring":
        for (const e of m.entries) {
          if (e.type === 0 && e.message) inc(mirror, `bgp-type-${e.message.type}`);
        }
        break;
    }
  }
  return {
    messages_total: total,
    messages_by_type: byType,
    route_monitoring: rm,
    peer_up: peerUp,
    peer_down_reasons: downReasons,
    statistics_tlv_types: stats,
    initiation_tlv_types: init,
    termination_tlv_types: term,
    route_mirroring_bgp_types: mirror,
  };
}
