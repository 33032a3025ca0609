/**
 * The store of an edge collector (`STORE=none`, README "Several sites"): it keeps nothing.
 * The spool holds each message until the bus has acked it, and the bus publisher's mark
 * alone decides what the spool may delete (`SpoolSink`'s `pending`); the store side of
 * the spool's protocol is then always caught up and always healthy.
 *
 * @module
 */

import type { BmpMessage } from "../bmp/message.ts";
import type { StoreTotals } from "../metrics/collector_metrics.ts";
import type { SpoolMarks } from "../store/spool_marks.ts";
import type { DecodeError } from "../wire/errors.ts";
import type { RouterConnection } from "./server.ts";
import type { StoreTarget } from "./store_sink.ts";

/** What an edge collector answers to a query: it has no tables. */
export const NO_STORE_QUERY =
  "STORE=none: this edge collector keeps no routes; query the database its consumers " +
  "(bmpmon consume) write";

/** A store target and spool marks that store nothing (`STORE=none`). */
export class NoStore implements StoreTarget, SpoolMarks {
  readonly stats: StoreTotals = { batches: 0, routes: 0, errors: 0, commitMs: 0, steps: {} };
  readonly spoolMark = 0;
  readonly healthy = true;
  readonly outageSince = undefined;

  lowestPending(): number {
    return Infinity;
  }

  routerUp(_router: RouterConnection): Promise<void> {
    return Promise.resolve();
  }

  write(_router: RouterConnection, _m: BmpMessage, _raw: Uint8Array, _seq?: number): void {}

  decodeError(_router: RouterConnection, _e: DecodeError, _raw: Uint8Array, _seq?: number): void {}

  routerDown(_router: RouterConnection, _reason?: string, _seq?: number): Promise<void> {
    return Promise.resolve();
  }
}
