import { isZeroRd, routeDistinguisher } from "../../src/bgp/rd.ts";
import type { BmpMessage } from "../../src/bmp/message.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { readCapture } from "../../src/io/file.ts";
import { shared, sharedTest } from "../_data.ts";
import { assertEquals, rd0, rd1, rd2 } from "../_build.ts";

const rd = (b: number[], off = 0) => routeDistinguisher(Uint8Array.from(b), off);

Deno.test("routeDistinguisher() formats type 0 as 0:2-byte ASN:4-byte number", () => {
  assertEquals(rd(rd0(65000, 4294967295)), "0:65000:4294967295");
});

Deno.test("routeDistinguisher() formats type 1 as 1:IPv4:2-byte number", () => {
  assertEquals(rd(rd1("192.0.2.1", 65535)), "1:192.0.2.1:65535");
});

Deno.test("routeDistinguisher() formats type 2 as 2:4-byte ASN:2-byte number", () => {
  assertEquals(rd(rd2(4200000000, 7)), "2:4200000000:7");
});

Deno.test("routeDistinguisher() keeps an unknown type as type:hex", () => {
  assertEquals(rd([0, 3, 1, 2, 3, 4, 5, 6]), "3:010203040506");
});

Deno.test("routeDistinguisher() reads at an offset inside a larger buffer", () => {
  assertEquals(rd([9, 9, ...rd0(1, 2), 9], 2), "0:1:2");
});

Deno.test("routeDistinguisher() tells type 0 and type 2 with equal numbers apart", () => {
  // Issue 10: both printed "100:5", so two different RDs made one RIB key.
  assertEquals([rd(rd0(100, 5)), rd(rd2(100, 5))], ["0:100:5", "2:100:5"]);
  assertEquals([rd(rd0(0, 0)), rd(rd2(65536, 0))], ["0:0:0", "2:65536:0"]);
});

Deno.test("routeDistinguisher() keeps every known form at two colons, unknown types at one", () => {
  // The migration (0005_rd_type.sql) relies on this to leave typed texts alone.
  const forms = [
    rd(rd0(1, 2)),
    rd(rd1("10.0.0.1", 2)),
    rd(rd2(1, 2)),
    rd([0, 9, 0, 0, 0, 0, 0, 1]),
  ];
  assertEquals(forms.map((f) => f.split(":").length - 1), [2, 2, 2, 1]);
  assertEquals(forms[3], "9:000000000001");
});

Deno.test("isZeroRd() is true only for eight zero bytes", () => {
  assertEquals(isZeroRd(new Uint8Array(8), 0), true);
  assertEquals(isZeroRd(Uint8Array.from(rd0(0, 1)), 0), false);
});

async function captureMessages(rel: string): Promise<BmpMessage[]> {
  const out: BmpMessage[] = [];
  for (const flow of (await readCapture(shared(rel))).flows) {
    for (const it of readBmpStream(flow.data)) if (it.message) out.push(it.message);
  }
  return out;
}

// RD texts pmacct printed for these captures (pmacct-test-automation, MIT, © Swisscom:
// tests/201-BMP-CISCO-rd_instance/output-bmp-00.json, peer_up "rd";
// tests/205-BMP-6wind-FRR-peer_down/output-bmp-00.json, route "rd" per ip_prefix).
const PMACCT_201_PEER_RDS: [string, string][] = [
  ["2001:db8:33::182", "0:64499:94"],
  ["192.0.32.172", "0:64499:84"],
  ["2001:db8:31::219", "0:64499:74"],
  ["192.0.23.181", "0:64499:64"],
  ["2001:db8:22::171", "0:64499:54"],
  ["2001:db8:21::219", "0:64499:44"],
];
const PMACCT_205_ROUTE_RDS: [string, string][] = [
  ["192.0.2.0/24", "0:64496:555"],
  ["192.0.2.14/32", "2:4226809910:14"],
  ["192.0.2.19/32", "2:4226809914:19"],
  ["192.0.2.218/31", "2:4226809875:17"],
  ["2001:db8::19/128", "2:4226809875:17"],
];

sharedTest(
  "routeDistinguisher() prints the peer RDs of pmacct test 201 as pmacct does",
  async () => {
    const ours = new Map<string, string | undefined>();
    for (
      const m of await captureMessages("bmp/pmacct-tests/201-BMP-CISCO-rd_instance/traffic-00.pcap")
    ) {
      if (m.kind === "peer_up") ours.set(m.peer.address, m.peer.rd);
    }
    assertEquals(PMACCT_201_PEER_RDS.map(([a]) => [a, ours.get(a)]), PMACCT_201_PEER_RDS);
  },
);

sharedTest(
  "routeDistinguisher() prints the VPN route RDs of pmacct test 205 as pmacct does",
  async () => {
    const ours = new Map<string, Set<string>>();
    for (
      const m of await captureMessages(
        "bmp/pmacct-tests/205-BMP-6wind-FRR-peer_down/traffic-00.pcap",
      )
    ) {
      if (m.kind !== "route_monitoring") continue;
      const u = m.update;
      for (
        const n of [...(u.attributes.mpReach?.nlri ?? []), ...(u.attributes.mpUnreach?.nlri ?? [])]
      ) {
        if (n.rd === undefined) continue;
        if (!ours.has(n.prefix)) ours.set(n.prefix, new Set());
        ours.get(n.prefix)!.add(n.rd);
      }
    }
    assertEquals(
      PMACCT_205_ROUTE_RDS.map(([p]) => [p, [...ours.get(p) ?? []].join(" ")]),
      PMACCT_205_ROUTE_RDS,
    );
  },
);
