/**
 * JSON Lines logging on stdout through LogTape.
 *
 * @module
 */

import {
  configure,
  getConsoleSink,
  getJsonLinesFormatter,
  getLogger,
  type Logger,
} from "@logtape/logtape";

/** Configures logging at `level` (DEBUG, INFO, WARNING, ERROR). */
export async function setupLogging(level: "DEBUG" | "INFO" | "WARNING" | "ERROR"): Promise<void> {
  const lowest = level === "DEBUG"
    ? "debug"
    : level === "INFO"
    ? "info"
    : level === "WARNING"
    ? "warning"
    : "error";
  await configure({
    reset: true,
    sinks: { stdout: getConsoleSink({ formatter: getJsonLinesFormatter() }) },
    loggers: [
      { category: ["bmpmon"], sinks: ["stdout"], lowestLevel: lowest },
      { category: ["logtape", "meta"], sinks: ["stdout"], lowestLevel: "warning" },
    ],
  });
}

/** The logger of a component (`["bmpmon", name]`). */
export function logger(name: string): Logger {
  return getLogger(["bmpmon", name]);
}
