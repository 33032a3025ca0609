/**
 * Routers at addresses of their own (127.x.y.z, all loopback): what sharing a stream
 * between consume members is about, since members split the routers by address.
 *
 * @module
 */

import net from "node:net";
import { assert } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { type Served, until } from "../e2e/_serve.ts";

/** Sends `data` to 127.0.0.1:`port` from local address `from`, then closes the connection. */
export function sendFrom(from: string, port: number, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port, localAddress: from }, () => {
      s.end(data, () => resolve());
    });
    s.on("error", reject);
  });
}

/** Sends each `[address, bytes]` to every collector port, `parallel` connections at a time. */
export async function sendAll(
  ports: number[],
  routers: [string, Uint8Array][],
  parallel = 20,
): Promise<void> {
  const work = ports.flatMap((p) => routers.map(([a, d]) => () => sendFrom(a, p, d)));
  const run = async () => {
    for (let w = work.shift(); w; w = work.shift()) await w();
  };
  await Promise.all(Array.from({ length: parallel }, run));
}

/** `n` small routers, 127.0.1.1 … (by hundreds: 127.0.1.x, 127.0.2.x …), each sending `data`. */
export function smallRouters(n: number, data: Uint8Array): [string, Uint8Array][] {
  return Array.from(
    { length: n },
    (_, i) => [`127.0.${1 + Math.floor(i / 100)}.${1 + (i % 100)}`, data] as [string, Uint8Array],
  );
}

const LAB = [
  "gobgp-frr-lab/frr-8.4-prepost-1k.bmp",
  "gobgp-frr-lab/gobgp-3.10-all-1k.bmp",
  "gobgp-frr-lab/frr-8.4-mirror-100.bmp",
];

/** The lab captures from 127.0.9.1 …, and `n` small routers. */
export async function labAndSmall(n: number): Promise<[string, Uint8Array][]> {
  const lab = await Promise.all(
    LAB.map(async (f, i) => [`127.0.9.${i + 1}`, await Deno.readFile(fixture(f))]),
  ) as [string, Uint8Array][];
  const small = await Deno.readFile(fixture("gobgp-frr-lab/gobgp-3.10-pre-100.bmp"));
  return [...lab, ...smallRouters(n, small)];
}

/** Resolves once `s` logged `n` router disconnections (it read every router to its end). */
export function readAll(s: Served, n: number): Promise<void> {
  return until(
    () => Promise.resolve(s.log.filter((l) => l.includes('"router disconnected"')).length >= n),
    60_000,
    `${n} routers read`,
  );
}

/** The properties of a process's last log line with `msg`. */
export function logged(log: string[], msg: string): Record<string, number> {
  const line = log.findLast((l) => l.includes(`"${msg}"`));
  assert(line, `a "${msg}" line`);
  const o = JSON.parse(line);
  return o.properties ?? o;
}

/** The four lab captures the bus tests feed, each a router of its own. */
export const LAB_CAPTURES = [
  "gobgp-frr-lab/gobgp-3.10-pre-100.bmp",
  "gobgp-frr-lab/frr-8.4-prepost-1k.bmp",
  "gobgp-frr-lab/gobgp-3.10-all-1k.bmp",
  "gobgp-frr-lab/frr-8.4-mirror-100.bmp",
];
