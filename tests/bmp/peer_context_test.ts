import { type PeerContext, peerContextFromOpens } from "../../src/bmp/peer_context.ts";
import { BmpSession } from "../../src/bmp/session.ts";
import type { RouteMonitoringMessage } from "../../src/bmp/message.ts";
import { decodeOpen } from "../../src/bgp/open.ts";
import {
  assertEquals,
  basicAttrs,
  capAddPath,
  decodeBmp,
  open,
  peerUp,
  prefix,
  routeMonitoring,
  update,
} from "../_build.ts";

const IPV4 = 256 + 1;
const openWith = (...f: [number, number, number][]) => {
  const m = open({ caps: f.length ? [capAddPath(...f)] : [] });
  return decodeOpen(m, 19, m.length);
};
const sets = (c: PeerContext) => [[...c.addPathIn], [...c.addPathOut]];

Deno.test("peerContextFromOpens() expects path ids from a peer that sends to a router that receives", () => {
  // sent = the monitored router's OPEN, received = the peer's.
  const c = peerContextFromOpens(0, openWith([1, 1, 1]), openWith([1, 1, 2]));
  assertEquals(sets(c), [[IPV4], []]);
});

Deno.test("peerContextFromOpens() expects path ids toward a peer that receives from a router that sends", () => {
  const c = peerContextFromOpens(0, openWith([1, 1, 2]), openWith([1, 1, 1]));
  assertEquals(sets(c), [[], [IPV4]]);
});

Deno.test("peerContextFromOpens() sets both directions for send/receive on both sides", () => {
  const c = peerContextFromOpens(0, openWith([1, 1, 3]), openWith([1, 1, 3]));
  assertEquals(sets(c), [[IPV4], [IPV4]]);
});

Deno.test("peerContextFromOpens() expects no path ids when only one side advertises", () => {
  assertEquals(sets(peerContextFromOpens(0, openWith([1, 1, 3]), openWith())), [[], []]);
  assertEquals(sets(peerContextFromOpens(0, openWith(), openWith([1, 1, 3]))), [[], []]);
  // Both receive, nobody sends.
  assertEquals(sets(peerContextFromOpens(0, openWith([1, 1, 1]), openWith([1, 1, 1]))), [[], []]);
});

Deno.test("peerContextFromOpens() takes either OPEN for a Loc-RIB peer (RFC 9069 §5.3)", () => {
  assertEquals(sets(peerContextFromOpens(3, openWith([1, 1, 1]), openWith())), [[IPV4], [IPV4]]);
  assertEquals(sets(peerContextFromOpens(3, openWith(), openWith())), [[], []]);
});

// --- Through a session: Peer Up first, then Route Monitoring ------------------------------

const withId = update({ attrs: basicAttrs(), nlri: [prefix("10.0.0.0/8", { pathId: 1 })] });
const plain = update({ attrs: basicAttrs(), nlri: [prefix("0.0.0.0/0"), prefix("10.0.0.0/8")] });

function routes(session: BmpSession, pdu: Uint8Array, flags = 0, type = 0) {
  const m = session.decode(routeMonitoring(pdu, { flags, type }), 0) as RouteMonitoringMessage;
  return m.update.nlri;
}

Deno.test("BmpSession.decode() reads Adj-RIB-In path ids as the Peer Up OPENs say", () => {
  const s = new BmpSession();
  s.decode(
    peerUp(open({ caps: [capAddPath([1, 1, 1])] }), open({ caps: [capAddPath([1, 1, 2])] })),
    0,
  );
  assertEquals(routes(s, withId), [{ prefix: "10.0.0.0/8", pathId: 1 }]);
  // Adj-RIB-Out (O flag) looks the other way: the router does not send path ids.
  assertEquals(routes(s, plain, 0x10), [{ prefix: "0.0.0.0/0" }, { prefix: "10.0.0.0/8" }]);
});

Deno.test("BmpSession.decode() reads Adj-RIB-Out path ids from the reversed direction", () => {
  const s = new BmpSession();
  s.decode(
    peerUp(open({ caps: [capAddPath([1, 1, 2])] }), open({ caps: [capAddPath([1, 1, 1])] })),
    0,
  );
  assertEquals(routes(s, withId, 0x10), [{ prefix: "10.0.0.0/8", pathId: 1 }]);
  // Pre-policy Adj-RIB-In: no path ids, even where a guess would find some.
  assertEquals(routes(s, plain), [{ prefix: "0.0.0.0/0" }, { prefix: "10.0.0.0/8" }]);
});

Deno.test("BmpSession.decode() reads Loc-RIB path ids from the Loc-RIB Peer Up", () => {
  const s = new BmpSession();
  const up = peerUp(open({ caps: [capAddPath([1, 1, 1])] }), open(), {
    type: 3,
    address: "0.0.0.0",
  });
  s.decode(up, 0);
  const m = s.decode(
    routeMonitoring(withId, { type: 3, address: "0.0.0.0" }),
    0,
  ) as RouteMonitoringMessage;
  assertEquals(m.update.nlri, [{ prefix: "10.0.0.0/8", pathId: 1 }]);
});

Deno.test("BmpSession.decode() keeps peers apart by address", () => {
  const s = new BmpSession();
  s.decode(
    peerUp(open({ caps: [capAddPath([1, 1, 3])] }), open({ caps: [capAddPath([1, 1, 3])] }), {
      address: "192.0.2.9",
    }),
    0,
  );
  s.decode(peerUp(open(), open()), 0);
  assertEquals(routes(s, plain), [{ prefix: "0.0.0.0/0" }, { prefix: "10.0.0.0/8" }]);
});

Deno.test("BmpSession.decode() guesses path ids without a Peer Up: 10.101.0.0/24 id 1 stays itself", () => {
  const pdu = update({ attrs: basicAttrs(), nlri: [prefix("10.101.0.0/24", { pathId: 1 })] });
  const m = decodeBmp(routeMonitoring(pdu)) as RouteMonitoringMessage;
  assertEquals(m.update.nlri, [{ prefix: "10.101.0.0/24", pathId: 1 }]);
  assertEquals(m.update.problems, []);
});
