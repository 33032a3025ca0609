import { BmpSession } from "../../src/bmp/session.ts";
import {
  assertDecodeError,
  assertEquals,
  basicAttrs,
  bmp,
  cat,
  initiation,
  prefix,
  routeMonitoring,
  text,
  tlv,
  update,
} from "../_build.ts";

const INIT = initiation(tlv(2, text("r1")));

Deno.test("BmpSession.decode() reads BMP versions 3 and 4", () => {
  assertEquals(new BmpSession().decode(INIT, 0).version, 3);
  const v4 = INIT.slice();
  v4[0] = 4;
  assertEquals(new BmpSession().decode(v4, 0).version, 4);
});

Deno.test("BmpSession.decode() rejects other versions with the message type set", () => {
  for (const v of [0, 1, 2, 5]) {
    const b = INIT.slice();
    b[0] = v;
    const e = assertDecodeError(() => new BmpSession().decode(b, 0), "bad-version");
    assertEquals([e.offset, e.messageType], [0, 4]);
  }
});

Deno.test("BmpSession.decode() rejects an unknown message type", () => {
  const e = assertDecodeError(() => new BmpSession().decode(bmp(7, []), 0), "bad-type");
  assertEquals(e.offset, 5);
});

Deno.test("BmpSession.decode() rejects a length below 6 and a length beyond the buffer", () => {
  const short = INIT.slice();
  short[4] = 5;
  short[1] = short[2] = short[3] = 0;
  assertDecodeError(() => new BmpSession().decode(short, 0), "bad-length");
  assertDecodeError(
    () => new BmpSession().decode(INIT.subarray(0, INIT.length - 1), 0),
    "short-input",
  );
});

Deno.test("BmpSession.decode() decodes at an offset and reports absolute error offsets", () => {
  const rm = routeMonitoring(update({ attrs: basicAttrs(), nlri: [prefix("10.0.0.0/8")] }));
  const buf = cat(INIT, rm);
  assertEquals(new BmpSession().decode(buf, INIT.length).offset, INIT.length);
  buf[INIT.length + 48 + 18] = 4; // KEEPALIVE instead of UPDATE
  const e = assertDecodeError(() => new BmpSession().decode(buf, INIT.length), "bad-type");
  assertEquals(e.offset, INIT.length + 48 + 18);
});

Deno.test("BmpSession.decode() ignores bytes after the message length", () => {
  const m = new BmpSession().decode(cat(INIT, [0xde, 0xad]), 0);
  assertEquals(m.length, INIT.length);
});

Deno.test("BmpSession.decode() rejects a buffer shorter than the common header", () => {
  // Not a bad length at offset 1: the length field is not even there.
  const e = assertDecodeError(
    () => new BmpSession().decode(new Uint8Array([3, 0, 0]), 0),
    "short-input",
  );
  assertEquals(e.offset, 0);
  assertDecodeError(() => new BmpSession().decode(INIT, INIT.length - 2), "short-input");
});
