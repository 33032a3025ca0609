/**
 * The embedded store's worker: PGlite and its wire server live here, so that a batch
 * commit (hundreds of ms of WASM) never stalls the collector's sockets on the main
 * thread. Messages: `open` → `ready` | `error`; `close` → `closed`; `fatal` when PGlite
 * died.
 *
 * @module
 */

import { type Host, type HostOptions, startHost } from "./host.ts";

/** A message to the worker. */
export type ToWorker = { type: "open"; options: HostOptions } | { type: "close" };
/** A message from the worker. */
export type FromWorker =
  | { type: "ready"; tcp?: { hostname: string; port: number } }
  | { type: "error" | "fatal"; error: string }
  | { type: "closed"; error?: string };

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(m: FromWorker): void;
};
const text = (e: unknown) => e instanceof Error ? e.message : String(e);
let host: Host | undefined;

scope.onmessage = async (e) => {
  const m = e.data;
  if (m.type === "open") {
    try {
      host = await startHost(
        m.options,
        (err) => scope.postMessage({ type: "fatal", error: text(err) }),
      );
      scope.postMessage({ type: "ready", tcp: host.tcp });
    } catch (err) {
      scope.postMessage({ type: "error", error: text(err) });
    }
  } else if (m.type === "close") {
    try {
      await host?.close();
      scope.postMessage({ type: "closed" });
    } catch (err) {
      scope.postMessage({ type: "closed", error: text(err) });
    }
  }
};
