/**
 * Counts over a decoded BMP stream: messages by type, errors, and per family the
 * announced and withdrawn NLRI and the distinct routes (peer, RD, prefix, path id).
 *
 * @module
 */

import { familyName } from "../bgp/constants.ts";
import { evpnRouteKey } from "../bgp/nlri/evpn.ts";
import type { Nlri } from "../bgp/nlri/types.ts";
import { forEachRoute } from "../bgp/routes.ts";
import { BMP_MESSAGE_NAMES, type BmpMessageName } from "./constants.ts";
import type { BmpMessage } from "./message.ts";

/** Per-family counts. */
export interface FamilyCounts {
  announced: number;
  withdrawn: number;
  unique_prefixes: number;
}

/** Framing breaks of one stream (a flow): resynchronisations and bytes skipped. */
export interface FlowFraming {
  /** The stream's scope, as given to {@linkcode SummaryBuilder.addError}. */
  flow: string;
  /** Breaks after which reading resumed at a plausible header. */
  resyncs: number;
  /** Bytes not read as messages because framing was broken there. */
  skipped_bytes: number;
}

/** The `--summary --json` object. */
export interface Summary {
  messages: Record<BmpMessageName, number>;
  errors: number;
  /** Framing breaks in total, and per stream that had any (in order of first break). */
  framing: { resyncs: number; skipped_bytes: number; flows: FlowFraming[] };
  families: Record<string, FamilyCounts>;
}

/** A string identifying a route within its family: RD, prefix or EVPN key, path id. */
export function routeKey(n: Nlri): string {
  const body = n.evpn ? evpnRouteKey(n.evpn) : n.key ?? n.prefix;
  return `${n.rd ?? ""}|${body}|${n.pathId ?? ""}`;
}

/** Accumulates a {@linkcode Summary} message by message. */
export class SummaryBuilder {
  readonly messages = Object.fromEntries(BMP_MESSAGE_NAMES.map((n) => [n, 0])) as Record<
    BmpMessageName,
    number
  >;
  errors = 0;
  readonly #framing = new Map<string, FlowFraming>();
  readonly #families = new Map<
    string,
    { announced: number; withdrawn: number; keys: Set<string> }
  >();

  /** Counts one message. `scope` separates streams (e.g. routers) in the unique count. */
  add(m: BmpMessage, scope = ""): void {
    this.messages[m.kind]++;
    if (m.kind !== "route_monitoring") return;
    const peer = `${scope}|${m.peer.key}|${m.peer.postPolicy ? "L" : ""}${
      m.peer.adjRibOut ? "O" : ""
    }`;
    forEachRoute(m.update, (afi, safi, withdrawn, n) => {
      const name = familyName(afi, safi);
      let f = this.#families.get(name);
      if (!f) this.#families.set(name, f = { announced: 0, withdrawn: 0, keys: new Set() });
      if (withdrawn) f.withdrawn++;
      else f.announced++;
      f.keys.add(peer + "|" + routeKey(n));
    });
  }

  /**
   * Counts one error; a framing break (`framing: true`, see `StreamItem` in `stream.ts`)
   * also counts its skipped bytes and, when reading resumed, a resync of stream `scope`.
   */
  addError(item?: { framing: boolean; skipped?: number; resumeAt?: number }, scope = ""): void {
    this.errors++;
    if (!item?.framing) return;
    let f = this.#framing.get(scope);
    if (!f) this.#framing.set(scope, f = { flow: scope, resyncs: 0, skipped_bytes: 0 });
    f.skipped_bytes += item.skipped ?? 0;
    if ((item.resumeAt ?? -1) >= 0) f.resyncs++;
  }

  /** The framing breaks of stream `scope` so far, if it had any. */
  framing(scope = ""): FlowFraming | undefined {
    const f = this.#framing.get(scope);
    return f && { ...f };
  }

  /** The summary so far. */
  result(): Summary {
    const families: Record<string, FamilyCounts> = {};
    for (const [name, f] of [...this.#families].sort(([a], [b]) => a.localeCompare(b))) {
      families[name] = {
        announced: f.announced,
        withdrawn: f.withdrawn,
        unique_prefixes: f.keys.size,
      };
    }
    const flows = [...this.#framing.values()].map((f) => ({ ...f }));
    const framing = {
      resyncs: flows.reduce((n, f) => n + f.resyncs, 0),
      skipped_bytes: flows.reduce((n, f) => n + f.skipped_bytes, 0),
      flows,
    };
    return { messages: { ...this.messages }, errors: this.errors, framing, families };
  }
}
