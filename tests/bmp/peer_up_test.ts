import type { PeerUpMessage } from "../../src/bmp/message.ts";
import {
  assertDecodeError,
  assertEquals,
  assertMatch,
  capAs4,
  capMp,
  decodeBmp,
  keepalive,
  open,
  peerUp,
  text,
  tlv,
} from "../_build.ts";

const up = (b: Uint8Array) => decodeBmp(b) as PeerUpMessage;
const SENT = open({ myAs: 65001, bgpId: "192.0.2.1", caps: [capMp(1, 1), capAs4(65001)] });
const RECEIVED = open({ myAs: 65002, bgpId: "192.0.2.2", caps: [capMp(1, 1)] });

Deno.test("decodePeerUp() reads the local address, ports and both OPENs (RFC 7854 §4.10)", () => {
  const m = up(peerUp(SENT, RECEIVED, { local: "192.0.2.1", localPort: 179, remotePort: 50000 }));
  assertMatch(m, {
    kind: "peer_up",
    localAddress: "192.0.2.1",
    localPort: 179,
    remotePort: 50000,
    sentOpen: { myAs: 65001, bgpId: "192.0.2.1", asn: 65001 },
    receivedOpen: { myAs: 65002, bgpId: "192.0.2.2" },
    information: [],
  });
});

Deno.test("decodePeerUp() reads an IPv6 local address and information TLVs", () => {
  const m = up(peerUp(SENT, RECEIVED, {
    flags: 0x80,
    address: "2001:db8::2",
    local: "2001:db8::1",
    tlvs: [tlv(0, text("peer B")), tlv(4, text("lab"))],
  }));
  assertEquals(m.localAddress, "2001:db8::1");
  assertEquals(m.information, [
    { type: 0, name: "string", value: "peer B" },
    { type: 4, name: "admin_label", value: "lab" },
  ]);
});

Deno.test("decodePeerUp() rejects a BGP message other than OPEN", () => {
  assertDecodeError(() => up(peerUp(SENT, keepalive())), "bad-type");
});

Deno.test("decodePeerUp() rejects a received OPEN cut by the message end", () => {
  const b = peerUp(SENT, RECEIVED);
  assertDecodeError(
    () => up(b.map((x, i) => (i === 4 ? x - 1 : x)).subarray(0, b.length - 1)),
    "bad-length",
  );
});

Deno.test("decodePeerUp() rejects an information TLV crossing the message end", () => {
  const b = peerUp(SENT, RECEIVED, { tlvs: [tlv(0, text("abc"))] });
  b[b.length - 4] = 9;
  assertDecodeError(() => up(b), "short-input");
});

Deno.test("decodePeerUp() does not read the received OPEN past the BMP length", () => {
  // The buffer holds the whole OPEN, but the BMP length stops one byte short of it.
  const b = peerUp(SENT, RECEIVED);
  b[4] -= 1;
  assertDecodeError(() => up(b), "bad-length");
});
