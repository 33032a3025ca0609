import { assert, assertEquals } from "../../_assert.ts";
import type { BgpUpdate } from "../../../src/bgp/update.ts";
import type { RouteMonitoringMessage } from "../../../src/bmp/message.ts";
import type { PerPeerHeader } from "../../../src/bmp/per_peer_header.ts";
import { CopyBuffer } from "../../../src/store/copy_buffer.ts";
import { encodeRoute } from "../../../src/store/_encode.ts";
import { attrColumns } from "../../../src/store/rows/attrs.ts";
import { routeRows } from "../../../src/store/rows/route.ts";
import { attributes } from "./_sample.ts";

const peer: PerPeerHeader = {
  peerType: 0,
  flags: 0x40,
  address: "192.0.2.2",
  asn: 65002,
  bgpId: "192.0.2.2",
  tsSec: 1_700_000_000,
  tsUsec: 250,
  postPolicy: true,
  adjRibOut: false,
  asn2: false,
  filtered: false,
  key: "0||192.0.2.2",
};

function message(update: BgpUpdate): RouteMonitoringMessage {
  return { kind: "route_monitoring", version: 3, length: 0, offset: 0, peer, update };
}

Deno.test("routeRows() makes one row per NLRI, withdrawals first, sharing the attributes", () => {
  const rows = routeRows(
    message({
      withdrawn: [{ prefix: "10.9.0.0/16" }],
      nlri: [{ prefix: "10.0.0.0/8" }, { prefix: "10.1.0.0/16", pathId: 7 }],
      attributes,
      problems: [],
    }),
    3,
    4,
  );
  assertEquals(rows.map((r) => [r.prefix, r.withdrawn, r.pathId, r.routerId, r.peerId]), [
    ["10.9.0.0/16", true, 0, 3, 4],
    ["10.0.0.0/8", false, 0, 3, 4],
    ["10.1.0.0/16", false, 7, 3, 4],
  ]);
  assertEquals(rows[0].attrs, null);
  assert(rows[1].attrs !== null && rows[1].attrs === rows[2].attrs);
  assertEquals(rows[1].time, "2023-11-14T22:13:20.000250Z");
  const c = attrColumns(rows[1].attrs!);
  assertEquals(c.asPath, [65002, 4200000001, 1, 2]);
  assertEquals(c.asPathText, "65002 4200000001 {1,2}");
  assertEquals(c.communities, ["NO_EXPORT", "65002:7"]);
  assertEquals(c.largeCommunities, ["65002:1:2"]);
  assertEquals(c.nextHop, "192.0.2.254");
  // An AS_SET at the end: no single origin AS.
  assertEquals(rows[1].attrs!.originAs, null);
});

Deno.test("routeRows() stores announcements of a treat-as-withdraw UPDATE as withdrawals", () => {
  // A pre-policy Adj-RIB-In: `peer` is post-policy, whose faulty routes the store now keeps
  // (issue 10, tests/store/held_routes_test.ts).
  const rows = routeRows(
    {
      ...message({
        withdrawn: [],
        nlri: [{ prefix: "10.0.0.0/8" }],
        attributes: { origin: 0, asPath: [{ type: 2, asns: [65002] }], nextHop: "192.0.2.1" },
        problems: [{ action: "treat-as-withdraw", attribute: 8, offset: 3, reason: "bad" }],
        treatAsWithdraw: true,
      }),
      peer: { ...peer, flags: 0, postPolicy: false },
    },
    1,
    1,
  );
  assertEquals(rows.length, 1);
  assertEquals(rows[0].withdrawn, true);
  // The faulty attribute set stays referenced: the row reads "treat-as-withdraw".
  assertEquals(rows[0].attrs?.problems?.[0].action, "treat-as-withdraw");
});

Deno.test("routeRows() gives EVPN rows their fields, key and prefix", () => {
  const t2 = {
    routeType: 2,
    rd: "0:65000:1",
    esi: "00:00:00:00:00:00:00:00:00:00",
    ethernetTag: 0,
    mac: "aa:bb:cc:dd:ee:ff",
    ip: "10.0.0.1",
    labels: [100],
  };
  const t3 = { routeType: 3, rd: "0:65000:1", ethernetTag: 0, ip: "192.0.2.1" };
  const rows = routeRows(
    message({
      withdrawn: [],
      nlri: [],
      attributes: {
        origin: 0,
        asPath: [],
        mpReach: {
          afi: 25,
          safi: 70,
          nextHop: "192.0.2.1",
          nlri: [
            { prefix: "10.0.0.1/32", rd: "0:65000:1", evpn: t2 },
            { prefix: "", rd: "0:65000:1", evpn: t3 },
          ],
        },
      },
      problems: [],
    }),
    1,
    1,
  );
  assertEquals(rows.map((r) => [r.afi, r.safi, r.rd, r.prefix, r.labels]), [
    [25, 70, "0:65000:1", "10.0.0.1/32", [100]],
    [25, 70, "0:65000:1", null, null],
  ]);
  assertEquals(rows[0].routeKey, "2|0:65000:1|0|aa:bb:cc:dd:ee:ff|10.0.0.1");
  const b = new CopyBuffer(16);
  encodeRoute(b, rows[0]);
  assertEquals(
    new TextDecoder().decode(b.bytes()).split("\t").slice(12),
    // ... evpn_gateway, then nlri (0012): NULL for EVPN, which has its own columns
    ["2", "00:00:00:00:00:00:00:00:00:00", "0", "aa:bb:cc:dd:ee:ff", "10.0.0.1", "\\N", "\\N"],
  );
});
