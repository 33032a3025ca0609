import { readBmpStream, resync } from "../../src/bmp/stream.ts";
import {
  assert,
  assertEquals,
  basicAttrs,
  cat,
  initiation,
  prefix,
  routeMonitoring,
  termination,
  text,
  tlv,
  u16,
  update,
} from "../_build.ts";

const INIT = initiation(tlv(2, text("r1")));
const RM = routeMonitoring(update({ attrs: basicAttrs(), nlri: [prefix("10.0.0.0/8")] }));
const TERM = termination(tlv(1, u16(0)));

const kinds = (b: Uint8Array) =>
  [...readBmpStream(b)].map((i) =>
    i.message ? i.message.kind : `${i.error.code}@${i.error.offset}`
  );

Deno.test("readBmpStream() frames messages by the common header length", () => {
  assertEquals(kinds(cat(INIT, RM, TERM)), ["initiation", "route_monitoring", "termination"]);
});

Deno.test("readBmpStream() skips a message that fails to decode and goes on", () => {
  const bad = RM.slice();
  bad[6 + 42 + 18] = 4;
  const items = [...readBmpStream(cat(INIT, bad, TERM))];
  assertEquals(items.map((i) => i.message?.kind ?? i.error?.code), [
    "initiation",
    "bad-type",
    "termination",
  ]);
  assert(items[1].error && !items[1].framing);
});

Deno.test("readBmpStream() resynchronises after a broken length", () => {
  const bad = RM.slice();
  bad[1] =
    bad[2] =
    bad[3] =
    bad[4] =
      0; // length 0
  const items = [...readBmpStream(cat(INIT, bad, RM, TERM))];
  assertEquals(items.map((i) => i.message?.kind ?? i.error?.code), [
    "initiation",
    "bad-length",
    "route_monitoring",
    "termination",
  ]);
  assert(items[1].error && items[1].framing);
});

Deno.test("readBmpStream() reports a truncated last message and trailing bytes", () => {
  assertEquals(kinds(cat(INIT, RM.subarray(0, 20))), ["initiation", `short-input@${INIT.length}`]);
  assertEquals(kinds(cat(INIT, [3, 0])), ["initiation", `short-input@${INIT.length}`]);
});

Deno.test("readBmpStream() rejects a length above the limit before buffering", () => {
  const items = [...readBmpStream(cat(INIT, RM), undefined, 30)];
  assertEquals(items.map((i) => i.message?.kind ?? i.error?.code), ["initiation", "too-large"]);
});

Deno.test("resync() finds the next offset where two plausible headers follow each other", () => {
  const b = cat([0xff, 3, 0], RM, TERM);
  assertEquals(resync(b, 0), 3);
  assertEquals(resync(cat([1, 2, 3, 4, 5, 6, 7]), 0), -1);
});
