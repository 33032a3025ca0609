import { decodePerPeerHeader, peerFlagsText } from "../../src/bmp/per_peer_header.ts";
import { WireReader } from "../../src/wire/reader.ts";
import { assertDecodeError, assertEquals, type PeerParts, perPeer, rd0 } from "../_build.ts";

const decode = (o: PeerParts) => {
  const r = new WireReader(perPeer(o));
  const h = decodePerPeerHeader(r);
  assertEquals(r.pos, 42);
  return h;
};

Deno.test("decodePerPeerHeader() reads an IPv4 global-instance peer", () => {
  assertEquals(
    decode({ address: "192.0.2.2", asn: 65002, bgpId: "192.0.2.22", sec: 1700000000, usec: 5 }),
    {
      peerType: 0,
      flags: 0,
      rd: undefined,
      address: "192.0.2.2",
      asn: 65002,
      bgpId: "192.0.2.22",
      tsSec: 1700000000,
      tsUsec: 5,
      postPolicy: false,
      adjRibOut: false,
      asn2: false,
      filtered: false,
      key: "0||192.0.2.2",
    },
  );
});

Deno.test("decodePerPeerHeader() reads an IPv6 peer when the V flag is set", () => {
  const h = decode({ flags: 0x80, address: "2001:db8::2" });
  assertEquals(h.address, "2001:db8::2");
  assertEquals(peerFlagsText(h), "V---");
});

Deno.test("decodePerPeerHeader() reads the L, A and O flags (RFC 7854 §4.2, RFC 8671 §4)", () => {
  const h = decode({ flags: 0x40 | 0x20 | 0x10 });
  assertEquals([h.postPolicy, h.asn2, h.adjRibOut, h.filtered], [true, true, true, false]);
  assertEquals(peerFlagsText(h), "-LAO");
});

Deno.test("decodePerPeerHeader() reads the peer distinguisher of an RD instance peer", () => {
  const h = decode({ type: 1, rd: rd0(65000, 7) });
  assertEquals([h.peerType, h.rd, h.key], [1, "0:65000:7", "1|0:65000:7|192.0.2.2"]);
});

Deno.test("decodePerPeerHeader() reads the F flag of a Loc-RIB peer, not V (RFC 9069 §4.2)", () => {
  const h = decode({ type: 3, flags: 0x80, address: "0.0.0.0" });
  assertEquals([h.filtered, h.postPolicy, h.adjRibOut, h.asn2], [true, false, false, false]);
  assertEquals(h.address, "0.0.0.0");
  assertEquals(peerFlagsText(h), "F");
});

Deno.test("decodePerPeerHeader() rejects fewer than 42 bytes", () => {
  const b = perPeer();
  assertDecodeError(() => decodePerPeerHeader(new WireReader(b, 0, 41)), "short-input");
});
