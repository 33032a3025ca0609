/**
 * The Deno permissions `bmpmon serve` needs for a configuration, and nothing more: the one
 * source of the `deno task start` / `deno task compile` flags (scripts/launch.ts) and of the
 * startup check that tells a compiled binary was built for another configuration.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { type Config, ConfigError, ENV_VARS, PYBMPMON_DB_VARS } from "./config.ts";
import { consumeSocketPath, controlSocketPath } from "./control/api.ts";
import { embeddedReadPaths, embeddedSocketPath } from "./store/embedded/paths.ts";

/**
 * Variables postgres.js (3.4, `parseOptions`) reads when it creates a pool: libpq's names,
 * as fallbacks for what the URL and the options leave out. Deno throws on the read of a
 * variable not granted, so every one it may read is listed.
 */
export const POSTGRES_ENV = [
  "PGHOST",
  "PGPORT",
  "PGUSERNAME",
  "PGUSER",
  "PGPASSWORD",
  "PGDATABASE",
  "PGMAX",
  "PGAPPNAME",
  "PGTARGETSESSIONATTRS",
  "PGSSL",
  "PGSSLNEGOTIATION",
  "PGIDLE_TIMEOUT",
  "PGCONNECT_TIMEOUT",
  "PGMAX_LIFETIME",
  "PGMAX_PIPELINE",
  "PGBACKOFF",
  "PGKEEP_ALIVE",
  "PGPREPARE",
  "PGDEBUG",
  "PGFETCH_TYPES",
  "PGPUBLICATIONS",
  "PGTARGET_SESSION_ATTRS",
] as const;

/**
 * Read by postgres.js for the user name when DATABASE_URL has none (after `os.userInfo()`,
 * which needs `--allow-sys` and so fails and falls back to these).
 */
export const OS_USER_ENV = ["USERNAME", "USER", "LOGNAME"] as const;

/** The SQL migrations, read at every start (embedded with `--include` by `deno compile`). */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../migrations", import.meta.url));

/** One permission and the setting it is for. */
export interface Grant {
  kind: "net" | "env" | "read" | "write" | "sys";
  /** `host:port`, a variable name, a path or a sys API, as Deno's `--allow-*` lists take it. */
  value: string;
  /** What needs it: a configuration variable, a library, `--env-file`. */
  for: string;
}

/** Options of {@linkcode grants}. */
export interface PermissionOptions {
  /** The `--env-file` the process reads, if any. */
  envFile?: string;
}

function hostPort(host: string, port: number | string): string {
  const h = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `${h}:${port}`;
}

/** The `host:port` entries postgres.js connects to for `url` (several for a multi-host URL). */
export function databaseAddresses(url: string): string[] {
  // Same split as postgres.js: the authority may list hosts separated by commas.
  let authority = url.slice(url.indexOf("://") + 3).split(/[?/]/)[0];
  authority = decodeURIComponent(authority.slice(authority.indexOf("@") + 1));
  if (authority.startsWith("/")) {
    throw new ConfigError("DATABASE_URL: a unix socket host is not supported, use host:port");
  }
  return authority.split(",").map((a) => {
    const m = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(a);
    if (!m) throw new ConfigError(`DATABASE_URL: cannot read host:port "${a}"`);
    return hostPort(m[1] || "localhost", m[2] ?? 5432);
  });
}

function hasUser(url: string): boolean {
  const authority = url.slice(url.indexOf("://") + 3).split(/[?/]/)[0];
  const at = authority.indexOf("@");
  return at > 0 && authority.slice(0, at).split(":")[0] !== "";
}

/**
 * Every permission the configuration needs: listen addresses (BMP and every `*_LISTEN`
 * variable), the database (or the embedded store's unix socket), the control socket and
 * Sentry's host and the RTR caches; the variables the configuration and postgres.js read; DATA_DIR (read and
 * write: store, spool), the env file, the VRP file, the migrations and the embedded store's code (read).
 * No `--allow-run` or `--allow-ffi`: nothing in bmpmon needs them; `--allow-sys=hostname`
 * only for the bus's default collector id (BUS_URL without BUS_COLLECTOR_ID).
 */
export function grants(config: Config, opts: PermissionOptions = {}): Grant[] {
  const g: Grant[] = [];
  const add = (kind: Grant["kind"], value: string, why: string) => {
    if (!g.some((x) => x.kind === kind && x.value === value)) g.push({ kind, value, for: why });
  };
  add("net", hostPort(config.BMP_LISTEN_HOST, config.BMP_LISTEN_PORT), "BMP_LISTEN_HOST");
  const vars = config as unknown as Record<string, unknown>;
  for (const name of ENV_VARS) {
    const v = vars[name];
    if (name.endsWith("_LISTEN") && typeof v === "string" && v.trim()) add("net", v.trim(), name);
  }
  if (config.DATABASE_URL) {
    for (const a of databaseAddresses(config.DATABASE_URL)) add("net", a, "DATABASE_URL");
  } else {
    // The embedded store: the pool connects to PGlite's server on a unix socket.
    try {
      add("net", `unix:${embeddedSocketPath(config.dataDir)}`, "DATA_DIR (embedded store)");
    } catch (e) {
      throw new ConfigError(`DATA_DIR=${JSON.stringify(config.dataDir)}: ${(e as Error).message}`);
    }
  }
  add("net", `unix:${controlSocketPath(config.dataDir)}`, "DATA_DIR (control socket)");
  if (config.BUS_URL) {
    // `consume` answers on a socket of its own (README "Several sites").
    const path = consumeSocketPath(config.dataDir, config.BUS_STREAM, config.CONSUME_MEMBER);
    add("net", `unix:${path}`, "DATA_DIR (consume's control socket)");
  }
  if (config.SENTRY_DSN) {
    const u = new URL(config.SENTRY_DSN);
    add("net", hostPort(u.hostname, u.port || (u.protocol === "http:" ? 80 : 443)), "SENTRY_DSN");
  }
  for (const e of config.RPKI_RTR ?? []) add("net", hostPort(e.hostname, e.port), "RPKI_RTR");
  for (const s of config.BUS_URL ?? []) add("net", hostPort(s.hostname, s.port), "BUS_URL");
  for (const name of ENV_VARS) add("env", name, "configuration");
  for (const name of PYBMPMON_DB_VARS) add("env", name, "configuration (pybmpmon's names)");
  // The embedded store's pool is postgres.js too.
  for (const name of POSTGRES_ENV) add("env", name, "postgres.js");
  if (config.DATABASE_URL) {
    if (!hasUser(config.DATABASE_URL)) {
      for (const name of OS_USER_ENV) add("env", name, "postgres.js (DATABASE_URL has no user)");
    }
  }
  add("read", config.dataDir, "DATA_DIR");
  add("write", config.dataDir, "DATA_DIR");
  if (opts.envFile) add("read", opts.envFile, "--env-file");
  add("read", MIGRATIONS_DIR, "migrations");
  if (config.RPKI_VRP_FILE) add("read", config.RPKI_VRP_FILE, "RPKI_VRP_FILE");
  if (config.BUS_URL) {
    if (config.BUS_CREDS_FILE) add("read", config.BUS_CREDS_FILE, "BUS_CREDS_FILE");
    if (config.BUS_TLS_CA_FILE) add("read", config.BUS_TLS_CA_FILE, "BUS_TLS_CA_FILE");
    // The default collector id is the host name.
    if (!config.BUS_COLLECTOR_ID) add("sys", "hostname", "BUS_COLLECTOR_ID (host name)");
  }
  if (!config.DATABASE_URL) {
    for (const p of embeddedReadPaths()) add("read", p, "embedded store (PGlite)");
  }
  for (const x of g) {
    if ((x.kind === "read" || x.kind === "write") && x.value.includes(",")) {
      throw new ConfigError(`${x.for}: a path with a comma cannot be granted (${x.value})`);
    }
  }
  return g;
}

/**
 * The Deno flags granting exactly {@linkcode grants}, plus `--no-prompt` (a missing
 * permission fails instead of asking on a terminal). Used as they are by `deno run` and
 * `deno compile`.
 *
 * @example
 * ```ts
 * import { loadConfig } from "./config.ts";
 * import { permissionFlags } from "./permissions.ts";
 * const flags = permissionFlags(loadConfig({ DATABASE_URL: "postgres://u@db:5433/x" }));
 * if (!flags.includes("--allow-net=0.0.0.0:11019,db:5433")) throw new Error(flags.join(" "));
 * ```
 */
export function permissionFlags(config: Config, opts: PermissionOptions = {}): string[] {
  const g = grants(config, opts);
  const list = (kind: Grant["kind"]) =>
    g.filter((x) => x.kind === kind).map((x) => x.value).join(",");
  const sys = list("sys");
  return [
    "--no-prompt",
    `--allow-net=${list("net")}`,
    `--allow-env=${list("env")}`,
    `--allow-read=${list("read")}`,
    `--allow-write=${list("write")}`,
    ...(sys ? [`--allow-sys=${sys}`] : []),
  ];
}

function descriptor(x: Grant): Deno.PermissionDescriptor {
  switch (x.kind) {
    case "net":
      return { name: "net", host: x.value };
    case "env":
      return { name: "env", variable: x.value };
    case "read":
      return { name: "read", path: x.value };
    case "write":
      return { name: "write", path: x.value };
    case "sys":
      return { name: "sys", kind: x.value as "hostname" };
  }
}

/**
 * Throws a ConfigError (exit code 2) naming the first permission the running process lacks
 * for `config`: a compiled binary carries the permissions of the configuration it was
 * compiled for, and this says so at start instead of failing at the first connection.
 */
export function assertPermitted(config: Config, opts: PermissionOptions = {}): void {
  const missing = grants(config, opts).filter((x) =>
    Deno.permissions.querySync(descriptor(x)).state !== "granted"
  );
  if (missing.length === 0) return;
  const x = missing[0];
  const more = missing.length > 1 ? ` and ${missing.length - 1} more` : "";
  throw new ConfigError(
    `${x.for}: this process has no ${x.kind} permission for ${x.value}${more}; ` +
      "a compiled bmpmon only has the permissions of the configuration it was compiled with " +
      "(README: Production)",
  );
}
