import { decodeNotification } from "../../src/bgp/notification.ts";
import { assertDecodeError, assertEquals, cat, notification, text } from "../_build.ts";

const decode = (code: number, subcode: number, data: number[] | Uint8Array = []) => {
  const m = notification(code, subcode, data);
  return decodeNotification(m, 19, m.length);
};

Deno.test("decodeNotification() names codes and subcodes (RFC 4271 §4.5)", () => {
  assertEquals(decode(6, 2), {
    code: 6,
    subcode: 2,
    codeName: "cease",
    subcodeName: "administrative_shutdown",
    data: "",
  });
  assertEquals(decode(1, 2, [0, 17]).subcodeName, "bad_message_length");
  assertEquals(decode(1, 2, [0, 17]).data, "0011");
  assertEquals(decode(2, 2).subcodeName, "bad_peer_as");
  assertEquals(decode(3, 11).subcodeName, "malformed_as_path");
  assertEquals(decode(4, 0).codeName, "hold_timer_expired");
  assertEquals(decode(5, 3).subcodeName, "unexpected_message_in_established");
  assertEquals(decode(6, 10).subcodeName, "bfd_down");
  assertEquals(decode(7, 1).codeName, "route_refresh_message_error");
});

Deno.test("decodeNotification() names subcode 0 unspecific and unknown codes by number", () => {
  assertEquals(decode(4, 0).subcodeName, "unspecific");
  assertEquals(decode(6, 99).subcodeName, "subcode_99");
  const u = decode(42, 1);
  assertEquals([u.codeName, u.subcodeName], ["code_42", "subcode_1"]);
});

Deno.test("decodeNotification() reads the shutdown communication (RFC 9003)", () => {
  const msg = text("maintenance");
  assertEquals(decode(6, 2, cat([msg.length], msg)).shutdownCommunication, "maintenance");
  assertEquals(decode(6, 4, cat([msg.length], msg)).shutdownCommunication, "maintenance");
  // A length beyond the data is not read.
  assertEquals(decode(6, 2, cat([msg.length + 1], msg)).shutdownCommunication, undefined);
  assertEquals(decode(6, 3, cat([msg.length], msg)).shutdownCommunication, undefined);
});

Deno.test("decodeNotification() rejects a body shorter than 2 bytes", () => {
  const m = notification(6, 2);
  assertDecodeError(() => decodeNotification(m, 19, 20), "short-input");
});
