/**
 * BGP4MP_ET records from src/mrt/write/bgp4mp.ts, read by Debian's `bgpdump -m` and by
 * bmpmon's own MRT reader: IPv4 unicast in the UPDATE's own fields, IPv6 and multicast in
 * MP_REACH_NLRI / MP_UNREACH_NLRI, and Add-Path (RFC 8050) path IDs in every NLRI.
 */

import { encodeStoredAttrs } from "../../../src/mrt/write/attributes.ts";
import { FsmState, stateChangeRecord, updateRecord } from "../../../src/mrt/write/bgp4mp.ts";
import { readMrt } from "../../../src/mrt/mod.ts";
import { bgpdumpLines } from "../../../src/mrt/bgpdump.ts";
import { assertEquals } from "../../_assert.ts";

const HAVE_BGPDUMP = await new Deno.Command("sh", { args: ["-c", "command -v bgpdump"] })
  .output().then((o) => o.success, () => false);

const attrs = (nextHop: string, afi: number) =>
  encodeStoredAttrs({
    origin: 0,
    as_path_text: "65001 65002",
    next_hop: nextHop,
    med: 5,
    local_pref: 100,
    atomic_aggregate: false,
    aggregator_asn: null,
    aggregator_address: null,
    communities: ["65001:1"],
    ext_communities: null,
    large_communities: null,
    originator_id: null,
    cluster_list: null,
    otc: null,
    aigp: null,
    unknown_attrs: null,
    pmsi_tunnel: null,
    prefix_sid: null,
    tunnel_encap: null,
  }, afi).bytes;

const T = 1_700_000_000_000_000;
const v4 = { address: "192.0.2.1", asn: 65001 };
const v6 = { address: "2001:db8::1", asn: 65001 };
const records = [
  stateChangeRecord(v4, T, FsmState.Idle, FsmState.Established),
  updateRecord(v4, {
    timeUs: T + 1,
    afi: 1,
    safi: 1,
    prefix: "10.1.0.0/16",
    pathId: 0,
    withdrawn: false,
    attributes: attrs("192.0.2.1", 1),
  }),
  updateRecord(v4, {
    timeUs: T + 2,
    afi: 1,
    safi: 1,
    prefix: "10.2.0.0/16",
    pathId: 7,
    withdrawn: false,
    attributes: attrs("192.0.2.1", 1),
  }),
  updateRecord(v4, {
    timeUs: T + 3,
    afi: 1,
    safi: 2,
    prefix: "10.3.0.0/16",
    pathId: 0,
    withdrawn: false,
    attributes: attrs("192.0.2.1", 1),
  }),
  updateRecord(v6, {
    timeUs: T + 4,
    afi: 2,
    safi: 1,
    prefix: "2001:db8:1::/48",
    pathId: 9,
    withdrawn: false,
    attributes: attrs("2001:db8::1", 2),
  }),
  updateRecord(v4, {
    timeUs: T + 5,
    afi: 1,
    safi: 1,
    prefix: "10.2.0.0/16",
    pathId: 7,
    withdrawn: true,
  }),
  updateRecord(v6, {
    timeUs: T + 6,
    afi: 2,
    safi: 1,
    prefix: "2001:db8:1::/48",
    pathId: 0,
    withdrawn: true,
  }),
  stateChangeRecord(v4, T + 7, FsmState.Established, FsmState.Idle),
];
const file = new Uint8Array(records.reduce((n, r) => n + r.length, 0));
records.reduce((at, r) => (file.set(r, at), at + r.length), 0);

Deno.test("BGP4MP_ET records: bmpmon's MRT reader gets back each route, family and path ID", () => {
  const got: string[] = [];
  for (const it of readMrt(file)) {
    if (it.error) throw new Error(it.error.reason);
    got.push(...bgpdumpLines(it.record));
  }
  assertEquals(got.length, 8);
  assertEquals(got[2].split("|").slice(0, 7), [
    "BGP4MP_ET_AP",
    "1700000000.000002",
    "A",
    "192.0.2.1",
    "65001",
    "10.2.0.0/16",
    "7",
  ]);
  assertEquals(got[4].split("|").slice(2, 7), [
    "A",
    "2001:db8::1",
    "65001",
    "2001:db8:1::/48",
    "9",
  ]);
  assertEquals(got[5].split("|").slice(2, 7), ["W", "192.0.2.1", "65001", "10.2.0.0/16", "7"]);
});

Deno.test({
  name: "BGP4MP_ET records: bgpdump -m prints what bmpmon's reader prints",
  ignore: !HAVE_BGPDUMP,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeFile(`${dir}/u.mrt`, file);
      const o = await new Deno.Command("bgpdump", { args: ["-m", `${dir}/u.mrt`], stderr: "null" })
        .output();
      const theirs = new TextDecoder().decode(o.stdout).trim().split("\n");
      const ours: string[] = [];
      for (const it of readMrt(file)) if (it.record) ours.push(...bgpdumpLines(it.record));
      assertEquals(ours, theirs);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
