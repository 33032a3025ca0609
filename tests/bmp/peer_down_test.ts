import type { PeerDownMessage } from "../../src/bmp/message.ts";
import {
  assertDecodeError,
  assertEquals,
  assertMatch,
  cat,
  decodeBmp,
  keepalive,
  notification,
  peerDown,
  text,
  tlv,
  u16,
} from "../_build.ts";

const down = (b: Uint8Array) => decodeBmp(b) as PeerDownMessage;

Deno.test("decodePeerDown() reads reason 1: local NOTIFICATION", () => {
  const m = down(peerDown(1, notification(6, 2)));
  assertMatch(m, {
    kind: "peer_down",
    reason: 1,
    reasonName: "local_notification",
    notification: { codeName: "cease", subcodeName: "administrative_shutdown" },
  });
  assertEquals(m.data, undefined);
});

Deno.test("decodePeerDown() reads reason 2: local close with an FSM event code", () => {
  const m = down(peerDown(2, u16(24)));
  assertEquals([m.reasonName, m.fsmEvent, m.data], ["local_no_notification", 24, undefined]);
});

Deno.test("decodePeerDown() reads reason 3: remote NOTIFICATION", () => {
  const m = down(peerDown(3, notification(4, 0)));
  assertEquals(m.reasonName, "remote_notification");
  assertEquals(m.notification?.codeName, "hold_timer_expired");
});

Deno.test("decodePeerDown() reads reasons 4 and 5 without data", () => {
  assertMatch(down(peerDown(4)), { reason: 4, reasonName: "remote_no_notification" });
  assertMatch(down(peerDown(5)), { reason: 5, reasonName: "peer_deconfigured" });
});

Deno.test("decodePeerDown() reads reason 6 with information TLVs (RFC 9069 §5.4)", () => {
  const m = down(peerDown(6, tlv(3, text("vrf-blue")), { type: 3 }));
  assertEquals(m.reasonName, "local_system_closed_tlv");
  assertEquals(m.information, [{ type: 3, name: "vrf_table_name", value: "vrf-blue" }]);
});

Deno.test("decodePeerDown() names an unknown reason and keeps its data raw", () => {
  // [1, 2] starts like a TLV header and fails as one: all of it is kept, not the rest.
  const m = down(peerDown(9, [1, 2]));
  assertEquals([m.reasonName, m.data, m.information], ["reason_9", "0102", undefined]);
  const m3 = down(peerDown(3, cat(notification(6, 2), [0xaa])));
  assertEquals(m3.data, "aa");
});

Deno.test("decodePeerDown() keeps a reason 1 PDU that is not a NOTIFICATION out of the result", () => {
  const m = down(peerDown(1, keepalive()));
  assertEquals(m.notification, undefined);
});

Deno.test("decodePeerDown() rejects a NOTIFICATION whose length overruns the message", () => {
  const b = peerDown(3, notification(6, 2));
  b[b.length - 4] += 1; // BGP length low byte
  assertDecodeError(() => down(b), "bad-length");
});

Deno.test("decodePeerDown() rejects a message without a reason", () => {
  assertDecodeError(
    () => down(peerDown(3).subarray(0, 48).map((x, i) => (i === 4 ? 48 : x))),
    "short-input",
  );
});
