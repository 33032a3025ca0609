/**
 * readMrt() on the bundled mrtparse samples and on records broken on purpose.
 *
 * @module
 */

import { readMrt } from "../../src/mrt/reader.ts";
import type { MrtItem, MrtRecord } from "../../src/mrt/mod.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { bmpmonDecode } from "./_bgpdump.ts";

const sample = (name: string) => Deno.readFile(fixture(`mrt/mrtparse/${name}`));
const recordsOf = (items: MrtItem[]): MrtRecord[] =>
  items.flatMap((i) => (i.record ? [i.record] : []));

Deno.test("readMrt() resolves TABLE_DUMP_V2 RIB entries' peers from the PEER_INDEX_TABLE", async () => {
  const items = [...readMrt(await sample("quagga_rib"))];
  assertEquals(items.filter((i) => i.error), []);
  const [pit, ...ribs] = recordsOf(items);
  assert(pit.body.kind === "peer_index_table");
  const peers = pit.body.peers;
  for (const r of ribs) {
    assert(r.body.kind === "rib");
    for (const e of r.body.entries) assertEquals(e.peer, peers[e.peerIndex]);
  }
});

Deno.test("readMrt() widens the abbreviated MP_REACH_NLRI of an IPv6 RIB entry (RFC 6396 §4.3.4)", async () => {
  const ribs = recordsOf([...readMrt(await sample("quagga_rib"))]);
  const v6 = ribs.flatMap((r) => r.body.kind === "rib" && r.body.afi === 2 ? r.body.entries : []);
  assert(v6.length > 0, "no IPv6 RIB entries");
  for (const e of v6) {
    assertEquals(e.problems, []);
    assertEquals(e.attributes.mpReach?.afi, 2);
    assert(e.attributes.mpReach?.nextHop.includes(":"), JSON.stringify(e.attributes.mpReach));
  }
});

Deno.test("readMrt() decodes RIB_GENERIC VPNv4 routes with their RD and label", async () => {
  const ribs = recordsOf([...readMrt(await sample("openbgpd_rib_table-v2"))]);
  const vpn = ribs.filter((r) => r.body.kind === "rib" && r.body.safi === 128);
  assertEquals(vpn.length, 2);
  for (const r of vpn) {
    assert(r.body.kind === "rib");
    assertEquals(typeof r.body.nlri.rd, "string");
    assertEquals(r.body.nlri.labels?.length, 1);
  }
});

Deno.test("readMrt() reads path IDs of BGP4MP MESSAGE_AS4_ADDPATH (RFC 8050)", async () => {
  const msgs = recordsOf([...readMrt(await sample("bird-mrtdump_bgp"))]);
  const ap = msgs.filter((r) => r.body.kind === "message" && r.body.addPath);
  assert(ap.length > 0);
  for (const r of ap) {
    assert(r.body.kind === "message");
    if (!("update" in r.body.message)) continue;
    for (const n of r.body.message.update.nlri) assertEquals(typeof n.pathId, "number");
  }
});

Deno.test("readMrt() yields a typed error for a broken record and reads the next one", async () => {
  const bytes = (await sample("bird_bgp")).slice();
  const items = [...readMrt(bytes)];
  const msg = recordsOf(items).find((r) => r.body.kind === "message")!;
  // Break the BGP marker of that record's message (after the 12 + 16 bytes of headers).
  const at = msg.header.offset + 12 + 16;
  bytes[at] = 0;
  const broken = [...readMrt(bytes)];
  assertEquals(broken.length, items.length);
  const i = items.findIndex((it) =>
    it.record === undefined ? false : it.record.header.offset === msg.header.offset
  );
  assertEquals(broken[i].error?.code, "bad-marker");
  assertEquals(broken[i].error?.offset, at);
  assertEquals(broken[i].error?.recordOffset, msg.header.offset);
  assertEquals(broken[i + 1].record?.header.offset, items[i + 1].record?.header.offset);
});

Deno.test("readMrt() ends a truncated file with a 'truncated' error after the whole records", async () => {
  const bytes = await sample("openbgpd_bgp");
  const all = [...readMrt(bytes)];
  const cut = [...readMrt(bytes.subarray(0, bytes.length - 5))];
  assertEquals(cut.length, all.length);
  assertEquals(cut[cut.length - 1].error?.code, "truncated");
  assertEquals(
    cut.slice(0, -1).map((i) => i.record?.header.offset),
    all.slice(0, -1).map((i) => i.record?.header.offset),
  );
});

Deno.test("bmpmon decode finds MRT by content under gzip, bzip2 and xz", async () => {
  const src = fixture("mrt/mrtparse/quagga_bgp");
  const plain = (await bmpmonDecode("--format", "bgpdump", src)).lines;
  assert(plain.length > 10);
  const dir = await Deno.makeTempDir();
  try {
    for (const [tool, ext] of [["gzip", "gz"], ["bzip2", "bz2"], ["xz", "xz"]]) {
      const out = await new Deno.Command(tool, { args: ["-c", src], stdout: "piped" }).output();
      const path = `${dir}/archive.${ext}`;
      await Deno.writeFile(path, out.stdout);
      assertEquals((await bmpmonDecode("--format", "bgpdump", path)).lines, plain, tool);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bmpmon decode --summary --json counts MRT records and routes per family", async () => {
  const { lines } = await bmpmonDecode(
    "--summary",
    "--json",
    fixture("mrt/mrtparse/bird6-mrtdump_bgp"),
  );
  const s = JSON.parse(lines[0]);
  const dump =
    (await bmpmonDecode("--format", "bgpdump", fixture("mrt/mrtparse/bird6-mrtdump_bgp"))).lines;
  assertEquals(s.errors, 0);
  assertEquals(
    s.families.ipv6_unicast.announced,
    dump.filter((l) => l.split("|")[2] === "A").length,
  );
  assertEquals(
    s.families.ipv6_unicast.withdrawn,
    dump.filter((l) => l.split("|")[2] === "W").length,
  );
  assertEquals(
    s.records.bgp4mp_state_change,
    dump.filter((l) => l.split("|")[2] === "STATE").length,
  );
});
