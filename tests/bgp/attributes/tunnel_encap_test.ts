import { decodeUpdate } from "../../../src/bgp/update.ts";
import {
  asPath,
  assertEquals,
  attr,
  cat,
  extCommunities,
  ip,
  mpReach,
  origin,
  u16,
  u32,
  updateBody,
} from "../../_build.ts";

const CTX = { asn4: true, addPath: () => false };
const sub = (type: number, ...v: number[][]) => {
  const b = v.flat();
  return cat([type], type >= 128 ? u16(b.length) : [b.length], b);
};
/** An SR Policy tunnel TLV (type 15) of the given sub-TLVs. */
const srPolicyTlv = (...subs: Uint8Array[]) => {
  const b = cat(...subs);
  return cat(u16(15), u16(b.length), b);
};
const segmentList = sub(
  128,
  [0],
  [...sub(9, [0, 0], u32(10))],
  [...sub(1, [0, 0], u32((16001 << 12) | (1 << 8) | 255))],
  [...sub(13, [0, 0], ip("2001:db8::100"))],
);
const POLICY = srPolicyTlv(
  sub(12, [0, 0], u32(200)),
  sub(13, [0x80, 0], u32(24000 << 12)),
  segmentList,
  sub(14, [0, 0, 1]),
  sub(15, [7, 0]),
  sub(130, [0], [...new TextEncoder().encode("to-pe2")]),
);

/** An SR Policy UPDATE: NLRI distinguisher 2, color 100, endpoint 10.0.0.1. */
const srUpdate = (encap: Uint8Array) =>
  updateBody({
    attrs: [
      origin(0),
      asPath([65002]),
      mpReach(1, 73, ip("192.0.2.1"), [cat([96], u32(2), u32(100), ip("10.0.0.1"))]),
      extCommunities([1, 2, ...ip("192.0.2.9"), 0, 0]),
      attr(23, encap, 0xc0),
    ],
  });

Deno.test("decodeTunnelEncap() reads the SR Policy sub-TLVs of RFC 9830 §2.4 in an UPDATE", () => {
  const b = srUpdate(POLICY);
  const u = decodeUpdate(b, 0, b.length, CTX);
  assertEquals(u.problems, []);
  assertEquals(u.attributes.mpReach?.nlri[0].key, "2|100|10.0.0.1");
  assertEquals(u.attributes.extendedCommunities, ["rt:192.0.2.9:0"]);
  assertEquals(u.attributes.tunnelEncap, {
    tunnels: [{
      tunnelType: 15,
      srPolicy: {
        preference: 200,
        bindingSidFlags: 0x80,
        bindingSid: 24000,
        segmentLists: [{
          weight: 10,
          segments: [
            { type: "A", flags: 0, label: 16001, tc: 0, s: true, ttl: 255 },
            { type: "B", flags: 0, sid: "2001:db8::100" },
          ],
        }],
        enlp: 1,
        priority: 7,
        policyName: "to-pe2",
      },
    }],
  });
});

Deno.test("decodeTunnelEncap() keeps other tunnel types and unknown sub-TLVs raw", () => {
  const vxlan = cat(u16(8), u16(4), sub(4, [0xaa, 0xbb]));
  const b = srUpdate(cat(vxlan, srPolicyTlv(sub(99, [1, 2]))));
  const u = decodeUpdate(b, 0, b.length, CTX);
  assertEquals(u.attributes.tunnelEncap?.tunnels, [
    { tunnelType: 8, subTlvs: [{ type: 4, value: "aabb" }] },
    { tunnelType: 15, srPolicy: { segmentLists: [], unknown: [{ type: 99, value: "0102" }] } },
  ]);
});

Deno.test("decodeUpdate() treats a malformed TUNNEL_ENCAPSULATION as withdraw (RFC 9012 §13)", () => {
  // a Preference sub-TLV of 2 bytes, shorter than its fixed fields
  const b = srUpdate(srPolicyTlv(sub(12, [0, 0])));
  const u = decodeUpdate(b, 0, b.length, CTX);
  assertEquals(u.problems.map((p) => [p.action, p.attribute]), [["treat-as-withdraw", 23]]);
  assertEquals(u.treatAsWithdraw, true);
  assertEquals(u.attributes.mpReach?.nlri.length, 1);
});

Deno.test("decodeUpdate() records a malformed flowspec NLRI as a problem, never throws", () => {
  const b = updateBody({
    attrs: [origin(0), asPath([65002]), mpReach(1, 133, [], [[3, 0x0e, 0x81, 0]])],
  });
  const u = decodeUpdate(b, 0, b.length, CTX);
  assertEquals(u.problems.map((p) => [p.action, p.attribute, p.afi, p.safi]), [
    ["session-reset", 14, 1, 133],
  ]);
});
