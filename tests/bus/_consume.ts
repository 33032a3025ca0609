/**
 * `bmpmon consume` as a child process, on a database of its own.
 *
 * @module
 */

import postgres from "postgres";
import { permissionFlagsOf, taskArgs } from "../_tasks.ts";
import { DATABASE_URL, spawnLogged } from "../e2e/_serve.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** A running `consume` process. */
export interface Consuming {
  log: string[];
  /** SIGTERM, wait; the exit code. */
  stop(): Promise<number>;
  /** SIGKILL, wait. */
  kill(): Promise<void>;
}

/** Creates an empty database on DATABASE_URL's server; returns its URL and a drop. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = postgres(DATABASE_URL!, { max: 1, onnotice: () => {} });
  const db = `bmpmon_consume_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await admin.unsafe(`CREATE DATABASE ${db}`);
  await admin.end();
  const u = new URL(DATABASE_URL!);
  u.pathname = `/${db}`;
  return {
    url: u.toString(),
    async drop() {
      const a = postgres(DATABASE_URL!, { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await a.end();
    },
  };
}

/**
 * Starts `bmpmon consume` with `env` (BUS_URL, DATABASE_URL, DATA_DIR) and waits until it
 * reads. `taskFlags`: with the permission flags `deno task start` and `compile` give for
 * `env` (the binary of bmpmon-consume.service runs consume with them), not --allow-all.
 */
export async function consume(
  env: Record<string, string>,
  opts: { taskFlags?: boolean } = {},
): Promise<Consuming> {
  const flags = opts.taskFlags
    ? permissionFlagsOf(await taskArgs("start", { LOG_LEVEL: "INFO", ...env }))
    : ["--allow-all"];
  const { log, signal } = await spawnLogged(
    ["run", ...flags, MAIN, "consume"],
    { LOG_LEVEL: "INFO", ...env },
    '"consuming ',
    "consume",
  );
  return { log, stop: () => signal("SIGTERM"), kill: () => signal("SIGKILL").then(() => {}) };
}
