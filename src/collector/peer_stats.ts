/**
 * Per-router and per-peer counters, kept as messages pass to the store: what the
 * periodic statistics log line, `/metrics` and the control CLI report.
 *
 * @module
 */

import { forEachRoute } from "../bgp/routes.ts";
import type { RecoveryCause } from "../bgp/update.ts";
import type { BmpMessage } from "../bmp/message.ts";
import type { PeerUp } from "../bmp/peer_up.ts";
import type { PerPeerHeader } from "../bmp/per_peer_header.ts";
import { PEER_TYPE_NAMES } from "../bmp/constants.ts";
import { logger } from "../log.ts";
import type { DecodeError } from "../wire/errors.ts";
import type { MessageSink, RouterConnection } from "./server.ts";

/** Where the first recovery of each peer and cause is reported. */
export type RecoveryLog = (message: string, fields: Record<string, unknown>) => void;

const collectorLog = logger("collector");
const defaultRecoveryLog: RecoveryLog = (message, fields) => collectorLog.warn(message, fields);

/** Counters of one monitored peer (all RIB views together). */
export interface PeerCounters {
  key: string;
  peerType: string;
  address: string;
  asn: number;
  bgpId: string;
  rd?: string;
  state: "up" | "down" | "unknown";
  messages: number;
  announced: number;
  withdrawn: number;
  /** Routes in the last interval, for routes/s. */
  intervalRoutes: number;
  lastMessage?: Date;
  lastStats?: Record<string, number | string>;
  downReason?: string;
  /** The last Peer Up (session addresses, both OPENs with their capabilities). */
  session?: PeerUp;
  /** UPDATEs decoded through a sender-quirk recovery, by cause (`quirk_recovery.ts`). */
  recoveries: Partial<Record<RecoveryCause, number>>;
}

/** Counters of one router. */
export interface RouterCounters {
  peers: Map<string, PeerCounters>;
  decodeErrors: Map<string, number>;
}

function peerOf(rc: RouterCounters, h: PerPeerHeader): PeerCounters {
  let p = rc.peers.get(h.key);
  if (!p) {
    p = {
      key: h.key,
      peerType: PEER_TYPE_NAMES[h.peerType] ?? String(h.peerType),
      address: h.address,
      asn: h.asn,
      bgpId: h.bgpId,
      rd: h.rd,
      state: "unknown",
      messages: 0,
      announced: 0,
      withdrawn: 0,
      intervalRoutes: 0,
      recoveries: {},
    };
    rc.peers.set(h.key, p);
  }
  return p;
}

/** A sink that counts, then passes every call on to `inner`. */
export class PeerStatsSink implements MessageSink {
  readonly routers: Map<number, RouterCounters> = new Map();
  readonly #inner: MessageSink;
  readonly #log: RecoveryLog;

  /** @param log where the first recovery per peer and cause goes (default: the
   *   `bmpmon.collector` logger, at warning level) */
  constructor(inner: MessageSink, log: RecoveryLog = defaultRecoveryLog) {
    this.#inner = inner;
    this.#log = log;
  }

  #router(r: RouterConnection): RouterCounters {
    let rc = this.routers.get(r.id);
    if (!rc) this.routers.set(r.id, rc = { peers: new Map(), decodeErrors: new Map() });
    return rc;
  }

  write(router: RouterConnection, m: BmpMessage, raw: Uint8Array): void | Promise<void> {
    if ("peer" in m) {
      const p = peerOf(this.#router(router), m.peer);
      p.messages++;
      p.lastMessage = new Date();
      if (m.kind === "route_monitoring") {
        forEachRoute(m.update, (_afi, _safi, withdrawn) => {
          if (withdrawn) p.withdrawn++;
          else p.announced++;
          p.intervalRoutes++;
        });
        if (m.update.problems.length) this.#countRecoveries(router, p, m);
      } else if (m.kind === "peer_up") {
        p.state = "up";
        p.downReason = undefined;
        p.session = m;
      } else if (m.kind === "peer_down") {
        p.state = "down";
        p.downReason = m.reasonName;
      } else if (m.kind === "statistics_report") {
        const s: Record<string, number | string> = {};
        for (const st of m.stats) {
          const name = st.afi === undefined ? st.name : `${st.name}[${st.afi}/${st.safi}]`;
          s[name] = typeof st.value === "bigint" ? st.value.toString() : st.value ?? st.raw ?? "";
        }
        p.lastStats = s;
      }
    }
    return this.#inner.write(router, m, raw);
  }

  #countRecoveries(
    router: RouterConnection,
    p: PeerCounters,
    m: BmpMessage & { kind: "route_monitoring" },
  ): void {
    // One count per UPDATE and cause, however many families it recovered.
    const causes = new Set<RecoveryCause>();
    for (const q of m.update.problems) if (q.action === "recovered" && q.cause) causes.add(q.cause);
    for (const cause of causes) {
      const n = (p.recoveries[cause] ?? 0) + 1;
      p.recoveries[cause] = n;
      if (n > 1) continue;
      const q = m.update.problems.find((x) => x.cause === cause)!;
      this.#log("decoder recovered from a sender quirk; later ones of this peer are counted", {
        router: router.id,
        endpoint: router.endpoint,
        peer: p.address,
        peer_type: p.peerType,
        rd: p.rd ?? null,
        cause,
        reason: q.reason,
      });
    }
  }

  decodeError(router: RouterConnection, error: DecodeError, raw: Uint8Array): void {
    const rc = this.#router(router);
    rc.decodeErrors.set(error.code, (rc.decodeErrors.get(error.code) ?? 0) + 1);
    this.#inner.decodeError?.(router, error, raw);
  }

  routerUp(router: RouterConnection): void | Promise<void> {
    this.#router(router);
    return this.#inner.routerUp?.(router);
  }

  routerDown(router: RouterConnection, reason: string): void | Promise<void> {
    const rc = this.#router(router);
    for (const p of rc.peers.values()) {
      if (p.state !== "down") {
        p.state = "down";
        p.downReason = `router disconnected (${reason})`;
      }
    }
    return this.#inner.routerDown?.(router, reason);
  }

  /**
   * One statistics record per peer for the interval that just ended (routes/s over
   * `seconds`), resetting the interval counters.
   */
  interval(seconds: number, routers: Map<number, RouterConnection>): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const [id, rc] of this.routers) {
      const r = routers.get(id);
      for (const p of rc.peers.values()) {
        out.push({
          router: id,
          router_name: r?.sysName ?? r?.endpoint,
          peer: p.address,
          peer_type: p.peerType,
          peer_asn: p.asn,
          rd: p.rd ?? null,
          state: p.state,
          routes_per_s: Math.round(p.intervalRoutes / seconds),
          announced: p.announced,
          withdrawn: p.withdrawn,
          messages: p.messages,
          decode_errors: [...rc.decodeErrors.values()].reduce((a, b) => a + b, 0),
        });
        p.intervalRoutes = 0;
      }
    }
    return out;
  }
}
