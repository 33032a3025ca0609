/**
 * Configuration from the environment and an optional `.env` file, validated by zod.
 * Every variable is listed in README.md and `.env.example`. A bad value is reported as
 * one line naming the variable; `bmpmon` then exits with code 2.
 *
 * @module
 */

import { parse as parseDotenv } from "dotenv";
import { z } from "zod";
import { parseHolddown } from "./collector/holddown.ts";
import { Allowlist } from "./collector/limits.ts";
import { parseBusUrls, parseByteSize, parseDuration } from "./bus/settings.ts";
import { parseRtrEndpoints } from "./rpki/rtr_endpoint.ts";
import { listenAddress, loopbackAddress } from "./listen_address.ts";

export { listenAddress, loopbackAddress };

export { type BusServer, parseBusUrls, parseByteSize, parseDuration } from "./bus/settings.ts";

/**
 * libpq's names for the connection (PostgreSQL's own tools read them): used only when
 * neither DATABASE_URL nor DATABASE_HOST is set, and then only if PGHOST is. postgres.js
 * reads them too, so they are granted to every process (permissions.ts, POSTGRES_ENV).
 */
export const LIBPQ_VARS = ["PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"] as const;

/**
 * The names pybmpmon's own `.env.example` and settings class use (`DB_HOST` …; its docs say
 * `DATABASE_HOST` …): taken as the `DATABASE_*` of the same suffix when that is unset.
 */
export const PYBMPMON_DB_VARS = [
  "DB_HOST",
  "DB_PORT",
  "DB_NAME",
  "DB_USER",
  "DB_PASSWORD",
] as const;

/** The variables the configuration reads (also the `--allow-env` list). */
export const ENV_VARS = [
  "BMP_LISTEN_HOST",
  "BMP_LISTEN_PORT",
  "DATABASE_URL",
  "DATABASE_HOST",
  "DATABASE_PORT",
  "DATABASE_NAME",
  "DATABASE_USER",
  "DATABASE_PASSWORD",
  "DATA_DIR",
  "STATE_DIRECTORY",
  "PG_LISTEN",
  "METRICS_LISTEN",
  "WEB_LISTEN",
  "WEB_TOKEN",
  "LOG_LEVEL",
  "SENTRY_DSN",
  "SENTRY_ENVIRONMENT",
  "SENTRY_TRACES_SAMPLE_RATE",
  "BATCH_MAX_ROUTES",
  "BATCH_MAX_MS",
  "MAX_MESSAGE_BYTES",
  "RETENTION",
  "COMPRESS_AFTER",
  "STATS_INTERVAL_S",
  "SPOOL_MAX_BYTES",
  "SPOOL_FSYNC",
  "ROUTER_ALLOW",
  "MAX_CONNECTIONS",
  "MAX_CONNECTIONS_PER_ADDRESS",
  "ROUTER_MAX_MSGS_PER_S",
  "ROUTER_BURST_MSGS",
  "IDLE_TIMEOUT_S",
  "MAX_PEERS_PER_ROUTER",
  "ROUTER_HOLDDOWN",
  "RPKI_RTR",
  "RPKI_VRP_FILE",
  "BUS_URL",
  "BUS_USER",
  "BUS_PASSWORD",
  "BUS_TOKEN",
  "BUS_CREDS_FILE",
  "BUS_TLS_CA_FILE",
  "BUS_STREAM",
  "BUS_REPLICAS",
  "BUS_MAX_AGE",
  "BUS_MAX_BYTES",
  "BUS_COLLECTOR_ID",
  "BUS_PARSED",
  "STORE",
  "CONSUME_MEMBER",
] as const;

const port = z.coerce.number().int().min(0).max(65535);

/** A loopback `HOST:PORT` (PG_LISTEN, METRICS_LISTEN): see {@linkcode loopbackAddress}. */
const loopbackListen = z.string().superRefine((v, ctx) => {
  try {
    loopbackAddress(v);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
  }
});

const schema = z.object({
  BMP_LISTEN_HOST: z.string().min(1).default("0.0.0.0"),
  BMP_LISTEN_PORT: port.default(11019),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL").optional(),
  // pybmpmon's names for the same connection: used only when DATABASE_URL is unset.
  DATABASE_HOST: z.string().min(1).optional(),
  DATABASE_PORT: port.optional(),
  DATABASE_NAME: z.string().min(1).optional(),
  DATABASE_USER: z.string().min(1).optional(),
  DATABASE_PASSWORD: z.string().optional(),
  DATA_DIR: z.string().min(1).optional(),
  STATE_DIRECTORY: z.string().min(1).optional(),
  PG_LISTEN: loopbackListen.optional(),
  METRICS_LISTEN: loopbackListen.optional(),
  // Any address; a non-loopback one needs WEB_TOKEN (checked in loadConfig).
  WEB_LISTEN: z.string().superRefine((v, ctx) => {
    try {
      listenAddress(v);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
    }
  }).optional(),
  WEB_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  // WARN is what most tools take; either case.
  LOG_LEVEL: z.preprocess(
    (v) => typeof v === "string" ? (v.toUpperCase() === "WARN" ? "WARNING" : v.toUpperCase()) : v,
    z.enum(["DEBUG", "INFO", "WARNING", "ERROR"]),
  ).default("INFO"),
  SENTRY_DSN: z.string().url().optional(),
  SENTRY_ENVIRONMENT: z.string().min(1).optional(),
  SENTRY_TRACES_SAMPLE_RATE: z.coerce.number().min(0).max(1).optional(),
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
  SPOOL_MAX_BYTES: z.coerce.number().int().min(16 << 20).default(1 << 30),
  SPOOL_FSYNC: z.enum(["always", "interval", "never"]).default("interval"),
  // Limits (README "Limits and hostile input").
  ROUTER_ALLOW: z.string().superRefine((v, ctx) => {
    try {
      Allowlist.parse(v);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
    }
  }).optional(),
  MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(10),
  ROUTER_MAX_MSGS_PER_S: z.coerce.number().int().min(0).max(100_000_000).default(500_000),
  ROUTER_BURST_MSGS: z.coerce.number().int().min(1).max(100_000_000).default(500_000),
  IDLE_TIMEOUT_S: z.coerce.number().int().min(0).max(86_400).default(30),
  MAX_PEERS_PER_ROUTER: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  // Off by default: README "Flap hold-down" says why.
  ROUTER_HOLDDOWN: z.string().default("off").transform((v, ctx) => {
    try {
      return parseHolddown(v);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
      return z.NEVER;
    }
  }),
  // RPKI (README "RPKI"): RTR caches in order of preference, and/or a VRP JSON file.
  RPKI_RTR: z.string().transform((v, ctx) => {
    try {
      return parseRtrEndpoints(v);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
      return z.NEVER;
    }
  }).optional(),
  RPKI_VRP_FILE: z.string().min(1).optional(),
  // Message bus (README "Message bus (NATS JetStream)"): off without BUS_URL.
  BUS_URL: z.string().transform((v, ctx) => {
    try {
      return parseBusUrls(v);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
      return z.NEVER;
    }
  }).optional(),
  BUS_USER: z.string().min(1).optional(),
  BUS_PASSWORD: z.string().optional(),
  BUS_TOKEN: z.string().min(1).optional(),
  BUS_CREDS_FILE: z.string().min(1).optional(),
  BUS_TLS_CA_FILE: z.string().min(1).optional(),
  BUS_STREAM: z.string().regex(
    /^[A-Za-z0-9_-]{1,64}$/,
    "must be 1 to 64 letters, digits, '_' or '-'",
  ).default("BMP"),
  BUS_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  BUS_MAX_AGE: z.string().transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "must be like '7d', '12h', '30m' or '0' (no limit)",
      });
      return z.NEVER;
    }
    return ms;
  }).default("7d"),
  BUS_MAX_BYTES: z.string().transform((v, ctx) => {
    const n = parseByteSize(v);
    if (n === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "must be bytes like '10G', '500M' or '-1' (no limit)",
      });
      return z.NEVER;
    }
    return n;
  }).default("-1"),
  BUS_COLLECTOR_ID: z.string().regex(
    /^[A-Za-z0-9_.:-]{1,128}$/,
    "must be 1 to 128 letters, digits, '_', '.', ':' or '-'",
  ).optional(),
  // Decoded messages on bmp.parsed.* too (README "Parsed messages"): off, they cost CPU.
  BUS_PARSED: z.preprocess(
    (v) => typeof v === "string" ? v.toLowerCase() : v,
    z.enum(["true", "false"], { message: "must be 'true' or 'false'" }),
  ).default("false").transform((v) => v === "true"),
  // `none`: an edge collector (README "Several sites"): spool and bus only, no database.
  STORE: z.enum(["database", "none"], { message: "must be 'database' or 'none'" }).default(
    "database",
  ),
  // `consume`: which of the members sharing a stream this one is (README "Several sites").
  CONSUME_MEMBER: z.string().transform((v, ctx) => {
    const m = /^(\d{1,2})\/(\d{1,2})$/.exec(v.trim());
    const [index, count] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
    if (index < 1 || index > count) {
      ctx.addIssue({ code: "custom", message: "must be like '1/2': member 1 to N of N (N ≤ 99)" });
      return z.NEVER;
    }
    return { index, count };
  }).default("1/1"),
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
  const alias: Record<string, string> = {};
  for (const k of PYBMPMON_DB_VARS) {
    const v = env[k] ?? fromFile[k];
    const name = `DATABASE_${k.slice(3)}`;
    if (v !== undefined && v !== "" && merged[name] === undefined) {
      merged[name] = v;
      alias[name] = k;
    }
  }
  const r = schema.safeParse(merged);
  if (!r.success) {
    const issue = r.error.issues[0];
    const name = String(issue.path[0]);
    const shown = name === "DATABASE_URL" || name === "SENTRY_DSN" ||
        name === "DATABASE_PASSWORD" || name === "WEB_TOKEN" || name === "BUS_PASSWORD" ||
        name === "BUS_TOKEN"
      ? "(value hidden)"
      : JSON.stringify(merged[name]);
    throw new ConfigError(`${alias[name] ?? name}=${shown}: ${issue.message}`);
  }
  const d = r.data;
  const libpq: Record<string, string> = {};
  for (const k of LIBPQ_VARS) {
    const v = env[k] ?? fromFile[k];
    if (v !== undefined && v !== "") libpq[k] = v;
  }
  if (d.WEB_LISTEN && !d.WEB_TOKEN && !listenAddress(d.WEB_LISTEN).loopback) {
    throw new ConfigError(
      `WEB_TOKEN: required when WEB_LISTEN=${JSON.stringify(d.WEB_LISTEN)} is not a loopback ` +
        "address (anyone who reaches it could read the looking glass)",
    );
  }
  if (d.BUS_URL) {
    const auth = [
      d.BUS_USER && "BUS_USER",
      d.BUS_TOKEN && "BUS_TOKEN",
      d.BUS_CREDS_FILE &&
      "BUS_CREDS_FILE",
    ].filter((x) => x);
    if (auth.length > 1) {
      throw new ConfigError(`${auth.join(", ")}: set only one way to authenticate to the bus`);
    }
  }
  // JetStream refuses a duplicate window longer than the age limit (src/bus/stream.ts).
  if (d.BUS_MAX_AGE > 0 && d.BUS_MAX_AGE < 10 * 60_000) {
    throw new ConfigError(
      `BUS_MAX_AGE=${JSON.stringify(env.BUS_MAX_AGE ?? fromFile.BUS_MAX_AGE)}: ` +
        "must be at least 10m (the stream's duplicate window) or 0 (no limit)",
    );
  }
  if (d.STORE === "none" && !d.BUS_URL) {
    throw new ConfigError(
      "STORE=none: set BUS_URL too (an edge collector keeps nothing itself: its messages go " +
        "to the bus)",
    );
  }
  if (d.BUS_PARSED && !d.BUS_URL) {
    throw new ConfigError("BUS_PARSED=true: set BUS_URL too (parsed messages go to the bus)");
  }
  if (d.BUS_PASSWORD !== undefined && !d.BUS_USER) {
    throw new ConfigError("BUS_PASSWORD: set BUS_USER too");
  }
  const databaseUrl = d.DATABASE_URL ??
    (d.DATABASE_HOST ? pybmpmonUrl(d) : libpq.PGHOST ? libpqUrl(libpq) : undefined);
  return {
    ...d,
    DATABASE_URL: databaseUrl,
    dataDir: d.DATA_DIR ?? d.STATE_DIRECTORY ?? "./data",
  };
}

/** DATABASE_HOST, _PORT, _NAME, _USER and _PASSWORD (as pybmpmon names them) as one URL. */
function pybmpmonUrl(d: z.infer<typeof schema>): string {
  const e = encodeURIComponent;
  const host = d.DATABASE_HOST!.includes(":") ? `[${d.DATABASE_HOST}]` : d.DATABASE_HOST!;
  const auth = d.DATABASE_USER
    ? `${e(d.DATABASE_USER)}${d.DATABASE_PASSWORD ? `:${e(d.DATABASE_PASSWORD)}` : ""}@`
    : "";
  return `postgres://${auth}${host}:${d.DATABASE_PORT ?? 5432}/${e(d.DATABASE_NAME ?? "bmpmon")}`;
}

/** PGHOST, PGPORT, PGDATABASE, PGUSER and PGPASSWORD as one URL (libpq's defaults). */
function libpqUrl(v: Record<string, string>): string {
  const e = encodeURIComponent;
  if (v.PGHOST.startsWith("/") || v.PGHOST.includes(",")) {
    throw new ConfigError(
      `PGHOST=${JSON.stringify(v.PGHOST)}: only one host name or address is taken; ` +
        "for a unix socket or several hosts set DATABASE_URL",
    );
  }
  const port = v.PGPORT ?? "5432";
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new ConfigError(`PGPORT=${JSON.stringify(port)}: must be a TCP port`);
  }
  const host = v.PGHOST.includes(":") ? `[${v.PGHOST}]` : v.PGHOST;
  // libpq's default user is the OS user, which bmpmon does not read: postgres.js's own.
  const user = v.PGUSER ? `${e(v.PGUSER)}${v.PGPASSWORD ? `:${e(v.PGPASSWORD)}` : ""}@` : "";
  const db = v.PGDATABASE ?? v.PGUSER;
  return `postgres://${user}${host}:${port}${db ? `/${e(db)}` : ""}`;
}

/** Reads the environment (only the listed variables) and the env file, if given. */
export async function configFromProcess(envFile?: string): Promise<Config> {
  const env: Record<string, string | undefined> = {};
  for (const k of [...ENV_VARS, ...PYBMPMON_DB_VARS, ...LIBPQ_VARS]) env[k] = Deno.env.get(k);
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
