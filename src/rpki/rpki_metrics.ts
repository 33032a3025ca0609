/**
 * The RPKI sources' metrics, read at scrape time from {@linkcode RpkiService.sources}:
 *
 * ```text
 * bmpmon_rpki_vrps{source}                 VRPs in use (0 once expired)
 * bmpmon_rpki_source_state{source,state}   1 for the source's state, 0 for the others
 * bmpmon_rtr_session_up{source}            1 while connected to a cache with a current set
 * bmpmon_rtr_serial{source}                serial of the last End of Data
 * bmpmon_rpki_update_age_seconds{source}   since the set last changed (+Inf: never)
 * ```
 *
 * A source that a fallback cache took over keeps its series, at 0 VRPs and down.
 *
 * @module
 */

import type { Registry } from "../metrics/registry.ts";
import type { RpkiSourceStatus } from "./rpki_service.ts";

const STATES = ["syncing", "current", "stale", "expired", "error"] as const;

/** Registers the RPKI metrics on `registry`, fed by `sources` at each scrape. */
export function registerRpkiMetrics(
  registry: Registry,
  sources: () => RpkiSourceStatus[],
  now: () => number = Date.now,
): void {
  const vrps = registry.gauge("bmpmon_rpki_vrps", "VRPs in use, by RPKI source.", ["source"]);
  const state = registry.gauge(
    "bmpmon_rpki_source_state",
    "State of each RPKI source: 1 for its current state (syncing, current, stale, expired, " +
      "error), 0 for the others.",
    ["source", "state"],
  );
  const up = registry.gauge(
    "bmpmon_rtr_session_up",
    "1 while the RTR client is connected to a cache and its set is current.",
    ["source"],
  );
  const serial = registry.gauge(
    "bmpmon_rtr_serial",
    "Serial number of the last End of Data from the RTR cache.",
    ["source"],
  );
  const age = registry.gauge(
    "bmpmon_rpki_update_age_seconds",
    "Seconds since the source's VRP set last changed or was confirmed (+Inf: never).",
    ["source"],
  );
  const seen = new Set<string>();
  registry.onCollect(() => {
    const current = new Set<string>();
    for (const s of sources()) {
      current.add(s.source);
      seen.add(s.source);
      vrps.labels(s.source).set(s.vrps);
      for (const st of STATES) state.labels(s.source, st).set(s.state === st ? 1 : 0);
      age.labels(s.source).set(
        s.updatedAt === undefined ? Infinity : Math.max(0, (now() - s.updatedAt) / 1000),
      );
      if (s.kind === "rtr") {
        up.labels(s.source).set(s.connected && s.state === "current" ? 1 : 0);
        if (s.serial !== undefined) serial.labels(s.source).set(s.serial);
      }
    }
    for (const name of seen) {
      if (current.has(name)) continue;
      vrps.labels(name).set(0);
      for (const st of STATES) state.labels(name, st).set(0);
      if (name.startsWith("rtr:")) up.labels(name).set(0);
    }
  });
}
