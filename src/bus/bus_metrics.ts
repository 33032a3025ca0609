/**
 * The bus publisher's metrics, read at scrape time from {@linkcode BusPublisher.status}:
 *
 * ```text
 * bmpmon_bus_connected                 1 while connected to a NATS server, else 0
 * bmpmon_bus_published_total           messages acked by JetStream (duplicates included)
 * bmpmon_bus_published_bytes_total     their BMP bytes
 * bmpmon_bus_duplicates_total          of those, acked as already stored (a retry, a replay)
 * bmpmon_bus_parsed_total              bmp.parsed.* messages acked (BUS_PARSED)
 * bmpmon_bus_parsed_bytes_total        their JSON bytes
 * bmpmon_bus_publish_errors_total      publishes that failed (then retried)
 * bmpmon_bus_dropped_total             messages, raw or parsed, never stored (above max_payload)
 * bmpmon_bus_unacked                   publishes in flight, awaiting their ack
 * bmpmon_bus_backlog                   spool records the publisher has not read yet
 * ```
 *
 * @module
 */

import type { Registry } from "../metrics/registry.ts";
import type { BusStatus } from "./publisher.ts";

/** Registers the bus metrics on `registry`, fed by `status` at each scrape. */
export function registerBusMetrics(registry: Registry, status: () => BusStatus): void {
  const connected = registry.gauge(
    "bmpmon_bus_connected",
    "1 while the bus publisher is connected to a NATS server.",
  );
  const published = registry.counter(
    "bmpmon_bus_published_total",
    "BMP messages acked by JetStream.",
  );
  const bytes = registry.counter(
    "bmpmon_bus_published_bytes_total",
    "BMP bytes of the messages acked by JetStream.",
  );
  const duplicates = registry.counter(
    "bmpmon_bus_duplicates_total",
    "Messages JetStream acked as already stored (a retry or a replay after a restart).",
  );
  const parsed = registry.counter(
    "bmpmon_bus_parsed_total",
    "Decoded messages (bmp.parsed.*, BUS_PARSED) acked by JetStream.",
  );
  const parsedBytes = registry.counter(
    "bmpmon_bus_parsed_bytes_total",
    "JSON bytes of the decoded messages acked by JetStream.",
  );
  const errors = registry.counter(
    "bmpmon_bus_publish_errors_total",
    "Publishes that failed; each is retried until acked.",
  );
  const dropped = registry.counter(
    "bmpmon_bus_dropped_total",
    "Messages, raw or parsed, never published: larger than the server's max_payload.",
  );
  const unacked = registry.gauge("bmpmon_bus_unacked", "Publishes in flight, awaiting their ack.");
  const backlog = registry.gauge(
    "bmpmon_bus_backlog",
    "Spool records the bus publisher has not read yet.",
  );
  registry.onCollect(() => {
    const s = status();
    connected.labels().set(s.connected ? 1 : 0);
    published.labels().set(s.published);
    bytes.labels().set(s.bytes);
    duplicates.labels().set(s.duplicates);
    parsed.labels().set(s.parsed);
    parsedBytes.labels().set(s.parsedBytes);
    errors.labels().set(s.errors);
    dropped.labels().set(s.dropped);
    unacked.labels().set(s.inFlight);
    backlog.labels().set(s.backlog);
  });
}
