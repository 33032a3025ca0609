/**
 * The metrics of `bmpmon consume`, read at scrape time from {@linkcode ConsumeRun.status}
 * (the store writer's are `bmpmon_store_*`, src/metrics/store_metrics.ts):
 *
 * ```text
 * bmpmon_consume_member{stream,index,count}   1: the member (CONSUME_MEMBER) of the stream
 * bmpmon_consume_connected                    1 while connected to a NATS server, else 0
 * bmpmon_consume_messages_total               BMP messages handed to the store
 * bmpmon_consume_skipped_total{reason}        messages read and not stored: other_member,
 *                                             foreign, orphan_end, parsed
 * bmpmon_consume_decode_errors_total          messages the decoder rejected (of the stored)
 * bmpmon_consume_connections_closed_total     edge connections closed by their end marker
 * bmpmon_consume_open_connections             edge connections open now
 * bmpmon_consume_last_seq                     stream sequence number of the last message read
 * bmpmon_consume_pending                      messages in the stream after it (the lag)
 * bmpmon_consume_resume_seq                   the position saved: where a restart reads from
 * bmpmon_consume_restarts_total               times reading went on through a new consumer
 * bmpmon_consume_start_time_seconds           start time
 * ```
 *
 * @module
 */

import type { Registry } from "../metrics/registry.ts";
import type { ConsumeStatus } from "./consume_status.ts";

/** The `reason` label values of `bmpmon_consume_skipped_total`. */
export const SKIP_REASONS = ["other_member", "foreign", "orphan_end", "parsed"] as const;

/** How many messages were skipped for `reason`. */
export function skipped(s: ConsumeStatus, reason: typeof SKIP_REASONS[number]): number {
  const st = s.stats;
  switch (reason) {
    case "other_member":
      return st.others;
    case "foreign":
      return st.foreign;
    case "orphan_end":
      return st.orphanEnds;
    case "parsed":
      return st.parsed;
  }
}

/**
 * Registers the consume metrics on `registry`, fed by `status` at each scrape.
 *
 * @example
 * ```ts
 * import { Registry } from "../metrics/registry.ts";
 * import { registerConsumeMetrics } from "./consume_metrics.ts";
 * const r = new Registry();
 * registerConsumeMetrics(r, () => ({
 *   stream: "BMP", member: { index: 1, count: 2 }, servers: [], connected: true,
 *   startSeq: 1, lastSeq: 40, pending: 2, caughtUp: false, resumeSeq: 31, restarts: 0,
 *   stats: { messages: 30, closed: 1, foreign: 0, orphanEnds: 0, decodeErrors: 0, others: 9, parsed: 0 },
 *   open: 1,
 * }));
 * const text = await r.expose();
 * for (const line of [
 *   'bmpmon_consume_member{stream="BMP",index="1",count="2"} 1',
 *   'bmpmon_consume_skipped_total{reason="other_member"} 9',
 *   "bmpmon_consume_pending 2",
 * ]) if (!text.includes(line + "\n")) throw new Error(text);
 * ```
 */
export function registerConsumeMetrics(registry: Registry, status: () => ConsumeStatus): void {
  const member = registry.gauge(
    "bmpmon_consume_member",
    "1: this consume is member index of count (CONSUME_MEMBER) reading the stream.",
    ["stream", "index", "count"],
  );
  const connected = registry.gauge(
    "bmpmon_consume_connected",
    "1 while consume is connected to a NATS server.",
  );
  const messages = registry.counter(
    "bmpmon_consume_messages_total",
    "BMP messages read from the stream and handed to the store.",
  );
  const skippedTotal = registry.counter(
    "bmpmon_consume_skipped_total",
    "Messages read and not stored, by reason: routers of another member, messages not from " +
      "a bmpmon edge, ends of connections whose start was not read, bmp.parsed.* copies.",
    ["reason"],
  );
  const decodeErrors = registry.counter(
    "bmpmon_consume_decode_errors_total",
    "Messages the BMP decoder rejected (stored as decode errors).",
  );
  const closed = registry.counter(
    "bmpmon_consume_connections_closed_total",
    "Edge connections closed by their end marker (their peers down, routes withdrawn).",
  );
  const open = registry.gauge(
    "bmpmon_consume_open_connections",
    "Edge router connections open now.",
  );
  const lastSeq = registry.gauge(
    "bmpmon_consume_last_seq",
    "Stream sequence number of the last message read.",
  );
  const pending = registry.gauge(
    "bmpmon_consume_pending",
    "Messages in the stream after the last one read (consumer lag).",
  );
  const resumeSeq = registry.gauge(
    "bmpmon_consume_resume_seq",
    "The position saved: the stream sequence number a restart reads from.",
  );
  const restarts = registry.counter(
    "bmpmon_consume_restarts_total",
    "Times reading went on through a new consumer (its server gone, heartbeats missed).",
  );
  const started = registry.gauge(
    "bmpmon_consume_start_time_seconds",
    "Start time of consume, seconds since the Unix epoch.",
  );
  started.labels().set(Math.floor(Date.now() / 1000));
  const s0 = status();
  member.labels(s0.stream, String(s0.member.index), String(s0.member.count)).set(1);
  registry.onCollect(() => {
    const s = status();
    connected.labels().set(s.connected ? 1 : 0);
    messages.labels().set(s.stats.messages);
    for (const r of SKIP_REASONS) skippedTotal.labels(r).set(skipped(s, r));
    decodeErrors.labels().set(s.stats.decodeErrors);
    closed.labels().set(s.stats.closed);
    open.labels().set(s.open);
    lastSeq.labels().set(s.lastSeq);
    pending.labels().set(s.pending);
    resumeSeq.labels().set(s.resumeSeq);
    restarts.labels().set(s.restarts);
  });
}
