import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";

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
