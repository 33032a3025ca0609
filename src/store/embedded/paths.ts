/**
 * Where the embedded store lives and what it touches outside DATA_DIR: the one source for
 * the store itself and for the permissions `bmpmon serve` is granted (src/permissions.ts).
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Longest unix socket path (sun_path is 108 bytes with its NUL on Linux). */
const MAX_SOCKET_PATH = 107;

/** PGlite's data directory under DATA_DIR. */
export function embeddedDataPath(dataDir: string): string {
  return `${resolve(dataDir)}/pgdata`;
}

/**
 * The unix socket of the embedded store under DATA_DIR, named as PostgreSQL names its own
 * so that `psql -h DATA_DIR` finds it.
 *
 * @throws {RangeError} when the path is too long for a unix socket
 */
export function embeddedSocketPath(dataDir: string): string {
  const path = `${resolve(dataDir)}/.s.PGSQL.5432`;
  if (new TextEncoder().encode(path).length > MAX_SOCKET_PATH) {
    throw new RangeError(
      `the path of the embedded store's socket ${path} is longer than ${MAX_SOCKET_PATH} bytes`,
    );
  }
  return path;
}

/**
 * What the embedded store reads besides DATA_DIR, for `--allow-read`: the worker's
 * modules (a worker loads its code under the process's permissions) and PGlite's package
 * (its WASM and file-system image).
 */
export function embeddedReadPaths(): string[] {
  return [
    fileURLToPath(new URL("./", import.meta.url)),
    dirname(fileURLToPath(import.meta.resolve("@electric-sql/pglite"))),
  ];
}
