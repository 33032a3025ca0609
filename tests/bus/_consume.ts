/**
 * `bmpmon consume` as a child process, on a database of its own.
 *
 * @module
 */

import postgres from "postgres";
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

/** Starts `bmpmon consume` with `env` (BUS_URL, DATABASE_URL, DATA_DIR) and waits until it reads. */
export async function consume(env: Record<string, string>): Promise<Consuming> {
  const { log, signal } = await spawnLogged(
    ["run", "--allow-all", MAIN, "consume"],
    { LOG_LEVEL: "INFO", ...env },
    '"consuming ',
    "consume",
  );
  return { log, stop: () => signal("SIGTERM"), kill: () => signal("SIGKILL").then(() => {}) };
}
