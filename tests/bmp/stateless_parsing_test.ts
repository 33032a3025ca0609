import { assertEquals } from "../_assert.ts";
import { BmpSession } from "../../src/bmp/session.ts";
import type { RouteMonitoringMessage } from "../../src/bmp/message.ts";

// Route Monitoring messages from NetGauze's stateless-with-add-path capture (Apache-2.0),
// each with a BMPv4 stateless parsing TLV carrying the router's ADD-PATH capability.
const ADJ_RIB_IN_RECEIVE =
  "04000000930000000000000000000000000000000000000000000000010101010000006401010101691355be000925a7000100060000450400010101000300060000676c6f62616c000400450000ffffffffffffffffffffffffffffffff0045020000001c4001010240020040030401010101800404000000004005040000006400000000206f01010100000000206f010102";
const ADJ_RIB_OUT_RECEIVE =
  "040000007f0000100000000000000000000000000000000000000000010101010000006401010101691355e800093170000100060000450400010101000300060000676c6f62616c000400310000ffffffffffffffffffffffffffffffff003102000000154001010240020040030400000000800404000000002070010101";
const ADJ_RIB_OUT_SEND =
  "040000008a0000100000000000000000000000000000000000000000030303030000006403030303691355be000948b3000100060000450400010102000300060000676c6f62616c0004003c0000ffffffffffffffffffffffffffffffff003c020000001c4001010240020040030401010101800404000000004005040000006400000000206f010101";

function decode(h: string): RouteMonitoringMessage {
  const b = new Uint8Array(h.match(/../g)!.map((x) => parseInt(x, 16)));
  return new BmpSession().decode(b, 0) as RouteMonitoringMessage;
}

Deno.test("stateless parsing TLV: receive bit means path IDs in Adj-RIB-In", () => {
  assertEquals(decode(ADJ_RIB_IN_RECEIVE).update.nlri, [
    { prefix: "111.1.1.1/32", pathId: 0 },
    { prefix: "111.1.1.2/32", pathId: 0 },
  ]);
});

Deno.test("stateless parsing TLV: receive-only means no path IDs in Adj-RIB-Out", () => {
  const m = decode(ADJ_RIB_OUT_RECEIVE);
  assertEquals(m.peer.adjRibOut, true);
  assertEquals(m.update.nlri, [{ prefix: "112.1.1.1/32" }]);
});

Deno.test("stateless parsing TLV: send bit means path IDs in Adj-RIB-Out", () => {
  assertEquals(decode(ADJ_RIB_OUT_SEND).update.nlri, [{ prefix: "111.1.1.1/32", pathId: 0 }]);
});
