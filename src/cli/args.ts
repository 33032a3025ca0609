/**
 * Command-line parsing shared by every `bmpmon` subcommand.
 *
 * @module
 */

/** Thrown for bad command-line usage; exit code 2. */
export class UsageError extends Error {}

/**
 * Splits argv into positional arguments and `--flag [value]` options.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./args.ts";
 * const { args, flags } = parseArgs(["x", "--to", "h:1", "--json"], ["to"]);
 * if (args[0] !== "x" || flags.get("to") !== "h:1" || flags.get("json") !== true) {
 *   throw new Error("unexpected");
 * }
 * ```
 */
export function parseArgs(
  argv: string[],
  valued: string[],
): { args: string[]; flags: Map<string, string | true> } {
  const args: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) {
      args.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (valued.includes(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, v);
    } else if (eq > 0) throw new UsageError(`--${name} takes no value`);
    else flags.set(name, true);
  }
  return { args, flags };
}
