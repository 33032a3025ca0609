import type { RouteMirroringMessage } from "../../src/bmp/message.ts";
import {
  assertDecodeError,
  assertEquals,
  assertMatch,
  basicAttrs,
  decodeBmp,
  notification,
  prefix,
  routeMirroring,
  tlv,
  u16,
  update,
} from "../_build.ts";

const mirror = (b: Uint8Array) => decodeBmp(b) as RouteMirroringMessage;

Deno.test("decodeRouteMirroring() decodes a mirrored BGP message and an information code", () => {
  const pdu = update({ attrs: basicAttrs(), nlri: [prefix("10.0.0.0/8")] });
  const m = mirror(routeMirroring([tlv(0, pdu), tlv(1, u16(1))]));
  assertMatch(m.entries, [
    { type: 0, message: { type: 2, update: { nlri: [{ prefix: "10.0.0.0/8" }] } } },
    { type: 1, code: 1, codeName: "messages_lost" },
  ]);
});

Deno.test("decodeRouteMirroring() keeps an errored PDU raw with its error", () => {
  const pdu = notification(6, 2);
  pdu[0] = 0; // broken marker
  const m = mirror(routeMirroring([tlv(0, pdu), tlv(1, u16(0))]));
  assertEquals(m.entries[0].message, undefined);
  assertEquals(m.entries[0].error, "Cannot decode BGP header: marker not all ones");
  assertEquals(m.entries[0].raw?.slice(0, 4), "00ff");
  assertEquals(m.entries[1].codeName, "errored_pdu");
});

Deno.test("decodeRouteMirroring() keeps unknown TLVs raw", () => {
  assertEquals(mirror(routeMirroring([tlv(7, [1, 2])])).entries, [{ type: 7, raw: "0102" }]);
});

Deno.test("decodeRouteMirroring() bounds the mirrored PDU by its TLV", () => {
  // The PDU's own length claims one byte more than the TLV holds: an error entry, and the
  // next TLV is still read as a TLV.
  const pdu = notification(6, 2);
  pdu[17] += 1;
  const m = mirror(routeMirroring([tlv(0, pdu), tlv(1, u16(1))]));
  assertEquals(m.entries.length, 2);
  assertEquals(m.entries[0].message, undefined);
  assertEquals(m.entries[1].code, 1);
});

Deno.test("decodeRouteMirroring() rejects a TLV crossing the message end", () => {
  const b = routeMirroring([tlv(1, u16(1))]);
  b[b.length - 3] = 3;
  assertDecodeError(() => mirror(b), "short-input");
});
