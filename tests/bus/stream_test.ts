/**
 * What an existing stream must be: for an edge, every setting its messages depend on; for
 * `consume`, which only reads, the raw subjects alone.
 */

import type { StreamConfig } from "@nats-io/jetstream";
import { BusError } from "../../src/bus/errors.ts";
import { checkStream, DUPLICATE_WINDOW_MS, streamConfig } from "../../src/bus/stream.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";

const edge = { name: "BMP", replicas: 1, maxAgeMs: 7 * 86_400_000, maxBytes: -1 };
/** The stream a 3-node cluster's edges made: R3, no age limit, a longer duplicate window. */
const r3 = {
  ...streamConfig({ ...edge, replicas: 3, maxAgeMs: 0 }),
  duplicate_window: 2 * DUPLICATE_WINDOW_MS * 1_000_000,
} as StreamConfig;

Deno.test("checkStream() holds an edge to the replicas it was given", () => {
  const e = assertThrows(() => checkStream(r3, edge), BusError);
  assertEquals(e.message, "BUS_REPLICAS=1: stream BMP exists with 3 replicas");
});

Deno.test("checkStream() lets consume read the stream the edges made, as it is", () => {
  // Before, consume needed the edges' BUS_REPLICAS (and got their warnings) to start.
  assertEquals(checkStream(r3, { ...edge, reader: true }), []);
  assertEquals(checkStream(r3, { ...edge, reader: true, parsed: true }), []);
  // What it reads must be there.
  const other = { ...r3, subjects: ["flows.>"] } as StreamConfig;
  const e = assertThrows(() => checkStream(other, { ...edge, reader: true }), BusError);
  assert(e.message.includes("not bmp.raw.>"), e.message);
});
