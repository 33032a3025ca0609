/**
 * The bus's error: what a NATS server refused or an existing stream that does not fit.
 *
 * @module
 */

import { ConfigError } from "../config.ts";

/** The bus refused or could not be used: exit code 2, `message` is one line. */
export class BusError extends ConfigError {}

/** An error's message on one line. */
export function oneLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/\s+/g, " ").trim() || (e as Error)?.name || "error";
}
