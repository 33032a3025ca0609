import { writePcap } from "../../src/io/pcap_write.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { bgpLsSeeds } from "../fuzz/_bgp_ls_seeds.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function bmpmon(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("bmpmon decode --summary --json prints exactly the documented object", async () => {
  const r = await bmpmon(
    "decode",
    "--summary",
    "--json",
    fixture("gobgp-frr-lab/gobgp-3.10-all-1k.bmp"),
  );
  assertEquals(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assertEquals(lines.length, 1);
  // Reference counts: gobgp-frr-lab/README.md (pre-policy + post-policy + Loc-RIB views).
  assertEquals(JSON.parse(lines[0]), {
    messages: {
      route_monitoring: 4433,
      statistics_report: 2,
      peer_down: 1,
      peer_up: 1,
      initiation: 1,
      termination: 1,
      route_mirroring: 0,
    },
    errors: 0,
    framing: { resyncs: 0, skipped_bytes: 0, flows: [] },
    families: {
      ipv4_unicast: {
        announced: 800 + 755 + 755,
        withdrawn: 100 + 755 + 755,
        unique_prefixes: 800 + 755 + 755,
      },
      ipv6_unicast: { announced: 600, withdrawn: 500, unique_prefixes: 600 },
      l2vpn_evpn: { announced: 36, withdrawn: 26, unique_prefixes: 36 },
    },
  });
});

Deno.test("bmpmon decode --format jsonl prints one object per message", async () => {
  const r = await bmpmon(
    "decode",
    "--format",
    "jsonl",
    fixture("gobgp-frr-lab/frr-8.4-mirror-100.bmp"),
  );
  assertEquals(r.code, 0, r.stderr);
  const objs = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(objs.length, 531);
  const kinds: Record<string, number> = {};
  for (const o of objs) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
  assertEquals(kinds, {
    initiation: 1,
    peer_down: 3,
    peer_up: 1,
    route_monitoring: 448,
    route_mirroring: 75,
    statistics_report: 3,
  });
  const init = objs.find((o) => o.kind === "initiation");
  assertEquals([init.sysName, init.sysDescr], ["frr-lab", "FRRouting 8.4.4"]);
  const rm = objs.find((o) => o.kind === "route_monitoring" && o.update.nlri.length > 0);
  assert(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(rm.peer.timestamp), rm.peer.timestamp);
  assertEquals(rm.peer.address, "127.0.0.2");
  assert(rm.update.attributes.communities.every((c: string) => /^\d+:\d+$|^[A-Z_]+$/.test(c)));
});

Deno.test("bmpmon decode reports bad usage with exit code 2", async () => {
  for (
    const args of [["decode"], ["decode", "--port", "x", "f"], ["decode", "--json", "f"], ["nope"]]
  ) {
    const r = await bmpmon(...args);
    assertEquals(r.code, 2, args.join(" "));
    assert(r.stderr.startsWith("bmpmon: "), r.stderr);
  }
});

Deno.test("bmpmon decode names a missing file and exits 1", async () => {
  const r = await bmpmon("decode", "/nonexistent/x.bmp");
  assertEquals(r.code, 1);
  assert(r.stderr.includes("/nonexistent/x.bmp"), r.stderr);
});

/** GoBGP's session as 1,448-byte segments, segment 136 not captured (issue 10). */
async function brokenPcap(): Promise<{ path: string; skipped: number; resumeAt: number }> {
  const raw = await Deno.readFile(fixture("gobgp-frr-lab/gobgp-3.10-all-1k.bmp"));
  const lo = 136 * 1448;
  const hi = lo + 1448;
  const packets = [];
  for (let o = 0; o < raw.length; o += 1448) {
    if (o === lo) continue;
    const payload = raw.subarray(o, o + 1448);
    packets.push({ src: "192.0.2.1", srcPort: 40000, dst: "192.0.2.2", dstPort: 1790, payload });
  }
  const pcap = writePcap(packets);
  // writePcap numbers segments contiguously: open the hole by moving later ones on.
  const v = new DataView(pcap.buffer);
  for (let off = 24, i = 0; off < pcap.length; off += 16 + v.getUint32(off + 8, true), i++) {
    if (i >= 3 + 136) v.setUint32(off + 16 + 24, v.getUint32(off + 16 + 24) + 1448);
  }
  // The messages the cut touches, found by framing the original stream.
  let first = -1;
  let after = -1;
  for (let o = 0; o < raw.length; o += new DataView(raw.buffer).getUint32(o + 1)) {
    const end = o + new DataView(raw.buffer).getUint32(o + 1);
    if (first < 0 && end > lo) first = o;
    if (o >= hi) {
      after = o;
      break;
    }
  }
  const path = await Deno.makeTempFile({ suffix: ".pcap" });
  await Deno.writeFile(path, pcap);
  return { path, skipped: after - 1448 - first, resumeAt: after - 1448 };
}

Deno.test("bmpmon decode reports a resynchronised flow in the summary and on stderr", async () => {
  const { path, skipped, resumeAt } = await brokenPcap();
  try {
    const json = await bmpmon("decode", "--summary", "--json", path);
    assertEquals(json.code, 0, json.stderr);
    const s = JSON.parse(json.stdout);
    assertEquals(s.framing, {
      resyncs: 1,
      skipped_bytes: skipped,
      flows: [{ flow: `${path}#0`, resyncs: 1, skipped_bytes: skipped }],
    });
    assertEquals(s.errors, 1);
    assertEquals(
      json.stderr.trim(),
      `bmpmon: warning: ${path} flow 0 (192.0.2.1:40000 > 192.0.2.2:1790): framing broke, 1 resyncs, ${skipped} bytes skipped`,
    );
    const table = await bmpmon("decode", "--summary", path);
    assert(new RegExp(`^resyncs +1$`, "m").test(table.stdout), table.stdout);
    assert(new RegExp(`^skipped bytes +${skipped}$`, "m").test(table.stdout), table.stdout);
    assert(table.stdout.includes(`  ${path}#0: 1 resyncs, ${skipped} bytes skipped`));
    const jsonl = await bmpmon("decode", path);
    const errors = jsonl.stdout.trim().split("\n").map((l) => JSON.parse(l))
      .filter((o) => o.kind === "error");
    assertEquals(errors.map((e) => [e.framing, e.skipped, e.resume_offset]), [
      [true, skipped, resumeAt],
    ]);
    assert(jsonl.stderr.includes("framing broke, 1 resyncs"), jsonl.stderr);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("bmpmon decode shows BGP-LS NLRI and attributes in jsonl and counts them in --summary", async () => {
  const seeds = bgpLsSeeds();
  const path = await Deno.makeTempFile({ suffix: ".bmp" });
  try {
    await Deno.writeFile(path, new Uint8Array(seeds.flatMap((s) => [...s])));
    const r = await bmpmon("decode", "--format", "jsonl", path);
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.length, seeds.length);
    const link = lines[1].update.attributes;
    assertEquals(link.mpReach.family, "bgp_ls");
    assertEquals(link.mpReach.nlri[0].bgpLs.link.ipv4InterfaceAddress, "10.1.2.1");
    assertEquals(link.bgpLs.igpMetric, 10);
    assertEquals(link.bgpLs.linkName, "r1-r2");
    assertEquals(lines[4].update.attributes.mpReach.nlri[0].rd, "0:65000:5");
    const s = JSON.parse((await bmpmon("decode", "--summary", "--json", path)).stdout);
    // 1 node + 1 link + 2 prefixes + 1 SRv6 SID announced, the link and a prefix withdrawn.
    assertEquals(s.families.bgp_ls, { announced: 5, withdrawn: 2, unique_prefixes: 5 });
    assertEquals(s.families.bgp_ls_vpn, { announced: 1, withdrawn: 0, unique_prefixes: 1 });
  } finally {
    await Deno.remove(path);
  }
});
