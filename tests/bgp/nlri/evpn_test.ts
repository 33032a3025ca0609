import { decodeNlri } from "../../../src/bgp/nlri/decode.ts";
import { evpnRouteKey } from "../../../src/bgp/nlri/evpn.ts";
import type { Nlri } from "../../../src/bgp/nlri/types.ts";
import { WireReader } from "../../../src/wire/reader.ts";
import {
  assertDecodeError,
  assertEquals,
  cat,
  evpn,
  EVPN_SAMPLES,
  type Part,
} from "../../_build.ts";

/** Decodes EVPN NLRI; `addPath` undefined means "guess" (no default: undefined is meaningful). */
function decode(bytes: Part, ...addPath: [boolean | undefined] | []): Nlri[] {
  const r = new WireReader(Uint8Array.from(bytes));
  const out: Nlri[] = [];
  decodeNlri(r, 25, 70, addPath.length ? addPath[0] : false, false, out);
  if (r.pos !== r.end) throw new Error(`stopped at ${r.pos} of ${r.end}`);
  return out;
}

const EVPN_BODIES = EVPN_SAMPLES;

Deno.test("decodeEvpnNlri() reads an Ethernet A-D route (type 1)", () => {
  assertEquals(decode(evpn(1, EVPN_BODIES.t1)), [{
    prefix: "",
    rd: "0:65002:1",
    evpn: {
      routeType: 1,
      rd: "0:65002:1",
      esi: "00:00:00:00:00:00:00:00:00:01",
      ethernetTag: 0,
      labels: [100],
    },
  }]);
});

Deno.test("decodeEvpnNlri() reads MAC/IP routes (type 2) with IPv4, IPv6 and no IP", () => {
  const [a, b, c] = decode(
    cat(evpn(2, EVPN_BODIES.t2), evpn(2, EVPN_BODIES.t2v6), evpn(2, EVPN_BODIES.t2mac)),
  );
  assertEquals(a.prefix, "10.0.0.1/32");
  assertEquals(a.evpn, {
    routeType: 2,
    rd: "0:65002:1",
    esi: "00:00:00:00:00:00:00:00:00:00",
    ethernetTag: 10,
    mac: "00:11:22:33:44:55",
    ip: "10.0.0.1",
    labels: [1000],
  });
  assertEquals(b.prefix, "2001:db8::1/128");
  assertEquals(b.evpn?.labels, [1000, 2000]);
  assertEquals(c.prefix, "");
  assertEquals(c.evpn?.ip, undefined);
});

Deno.test("decodeEvpnNlri() reads inclusive multicast (type 3) and Ethernet segment (type 4)", () => {
  const [t3, t4] = decode(cat(evpn(3, EVPN_BODIES.t3), evpn(4, EVPN_BODIES.t4)));
  assertEquals(t3.evpn, { routeType: 3, rd: "0:65002:1", ethernetTag: 10, ip: "192.0.2.2" });
  assertEquals(t4.evpn, {
    routeType: 4,
    rd: "0:65002:1",
    esi: "00:00:00:00:00:00:00:00:00:01",
    ip: "192.0.2.2",
  });
});

Deno.test("decodeEvpnNlri() reads IP prefix routes (type 5) for IPv4 and IPv6", () => {
  const [v4, v6] = decode(cat(evpn(5, EVPN_BODIES.t5), evpn(5, EVPN_BODIES.t5v6)));
  assertEquals(v4.prefix, "10.9.8.0/24");
  assertEquals(v4.evpn?.gateway, "0.0.0.0");
  assertEquals(v4.evpn?.labels, [500]);
  assertEquals(v6.prefix, "2001:db8:1:2::/64");
  assertEquals(v6.evpn?.gateway, "::");
});

Deno.test("decodeEvpnNlri() keeps an unknown route type raw", () => {
  assertEquals(decode(evpn(9, [1, 2, 3])), [{ prefix: "", evpn: { routeType: 9, raw: "010203" } }]);
});

Deno.test("decodeEvpnNlri() reads path ids when Add-Path is on, and guesses them", () => {
  const b = cat(evpn(3, EVPN_BODIES.t3, 5), evpn(4, EVPN_BODIES.t4, 6));
  assertEquals(decode(b, true).map((n) => n.pathId), [5, 6]);
  assertEquals(decode(b, undefined).map((n) => n.pathId), [5, 6]);
  assertEquals(decode(evpn(3, EVPN_BODIES.t3), undefined)[0].pathId, undefined);
});

Deno.test("decodeEvpnRoute() rejects a MAC length other than 48", () => {
  const body = EVPN_BODIES.t2.slice();
  body[22] = 47;
  assertDecodeError(() => decode(evpn(2, body)), "bad-length");
});

Deno.test("decodeEvpnRoute() rejects a type 2 whose IP length overruns the route", () => {
  const body = EVPN_BODIES.t2.slice();
  body[29] = 128; // says IPv6, carries IPv4
  assertDecodeError(() => decode(evpn(2, body)), "short-input");
});

Deno.test("decodeEvpnRoute() rejects a type 5 route of a length that is neither 34 nor 58", () => {
  assertDecodeError(() => decode(evpn(5, EVPN_BODIES.t5.slice(0, 33))), "bad-length");
});

Deno.test("decodeEvpnNlri() rejects a route length crossing the NLRI end", () => {
  const b = evpn(3, EVPN_BODIES.t3);
  b[1] += 1;
  assertDecodeError(() => decode(b), "short-input");
});

Deno.test("evpnRouteKey() keys MAC/IP routes by RD, tag, MAC and IP, not labels", () => {
  const [a] = decode(evpn(2, EVPN_BODIES.t2));
  assertEquals(evpnRouteKey(a.evpn!), "2|0:65002:1|10|00:11:22:33:44:55|10.0.0.1");
});
