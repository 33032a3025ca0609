/**
 * Configuration from the environment and an optional `.env` file, validated by zod.
 * Every variable is listed in README.md and `.env.example`. A bad value is reported as
 * one line naming the variable; `bmpmon` then exits with code 2.
 *
 * @module
 */

import { parse as parseDotenv } from "dotenv";
import { z } from "zod";

/** The variables the configuration reads (also the `--allow-env` list). */
export const ENV_VARS = [
  "BMP_LISTEN_HOST",
  "BMP_LISTEN_PORT",
  "DATABASE_URL",
  "DATA_DIR",
  "STATE_DIRECTORY",
  "LOG_LEVEL",
  "SENTRY_DSN",
  "BATCH_MAX_ROUTES",
  "BATCH_MAX_MS",
  "MAX_MESSAGE_BYTES",
  "RETENTION",
  "COMPRESS_AFTER",
  "STATS_INTERVAL_S",
] as const;

const port = z.coerce.number().int().min(0).max(65535);

const schema = z.object({
  BMP_LISTEN_HOST: z.string().min(1).default("0.0.0.0"),
  BMP_LISTEN_PORT: port.default(11019),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL").optional(),
  DATA_DIR: z.string().min(1).optional(),
  STATE_DIRECTORY: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(["DEBUG", "INFO", "WARNING", "ERROR"]).default("INFO"),
  SENTRY_DSN: z.string().url().optional(),
  BATCH_MAX_ROUTES: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
  BATCH_MAX_MS: z.coerce.number().int().min(1).max(500).default(200),
  MAX_MESSAGE_BYTES: z.coerce.number().int().min(4096).max(16 * 1024 * 1024).default(1 << 20),
  RETENTION: z.string().regex(
    /^\d+\s*(days?|weeks?|months?|years?)$/,
    "must be like '5 years' or '90 days'",
  )
    .default("5 years"),
  COMPRESS_AFTER: z.string().regex(/^\d+\s*(hours?|days?|weeks?|months?)$/, "must be like '7 days'")
    .default("7 days"),
  STATS_INTERVAL_S: z.coerce.number().int().min(1).max(3600).default(10),
});

/** The validated configuration. */
export type Config = z.infer<typeof schema> & { dataDir: string };

/** A configuration problem: exit code 2, `message` names the variable. */
export class ConfigError extends Error {}

/**
 * Builds the configuration from `env`, with values from `envFileText` (`.env` syntax)
 * used only for variables `env` does not set.
 *
 * @example
 * ```ts
 * import { loadConfig } from "./config.ts";
 * const c = loadConfig({ BMP_LISTEN_PORT: "1790" });
 * if (c.BMP_LISTEN_PORT !== 1790 || c.BMP_LISTEN_HOST !== "0.0.0.0") throw new Error("unexpected");
 * ```
 */
export function loadConfig(env: Record<string, string | undefined>, envFileText?: string): Config {
  const fromFile = envFileText ? parseDotenv(envFileText) : {};
  const merged: Record<string, string> = {};
  for (const k of ENV_VARS) {
    const v = env[k] ?? fromFile[k];
    if (v !== undefined && v !== "") merged[k] = v;
  }
  const r = schema.safeParse(merged);
  if (!r.success) {
    const issue = r.error.issues[0];
    const name = String(issue.path[0]);
    const shown = name === "DATABASE_URL" || name === "SENTRY_DSN"
      ? "(value hidden)"
      : JSON.stringify(merged[name]);
    throw new ConfigError(`${name}=${shown}: ${issue.message}`);
  }
  return { ...r.data, dataDir: r.data.DATA_DIR ?? r.data.STATE_DIRECTORY ?? "./data" };
}

/** Reads the environment (only the listed variables) and the env file, if given. */
export async function configFromProcess(envFile?: string): Promise<Config> {
  const env: Record<string, string | undefined> = {};
  for (const k of ENV_VARS) env[k] = Deno.env.get(k);
  let text: string | undefined;
  if (envFile) {
    try {
      text = await Deno.readTextFile(envFile);
    } catch (e) {
      throw new ConfigError(`--env-file ${envFile}: ${(e as Error).message}`);
    }
  }
  return loadConfig(env, text);
}
