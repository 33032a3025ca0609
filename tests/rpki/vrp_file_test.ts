import { parseVrpFile, VrpFileWatcher } from "../../src/rpki/vrp_file.ts";
import { parsePrefix, prefixOf } from "../../src/rpki/vrp.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";

Deno.test("parseVrpFile() reads both ASN forms, IPv4 and IPv6, and counts a VRP once", () => {
  const f = parseVrpFile(JSON.stringify({
    metadata: { counts: 4 },
    roas: [
      { prefix: "192.0.2.0/24", maxLength: 24, asn: "AS64496", ta: "arin" },
      { prefix: "192.0.2.0/24", maxLength: 24, asn: 64496, ta: "ripe" },
      { prefix: "2001:DB8:0:0::/32", maxLength: 48, asn: "as64497", ta: "ripe" },
      { prefix: "198.51.100.0/22", maxLength: 24, asn: "4200000000" },
      { prefix: "203.0.113.0/24", asn: 0 }, // no maxLength: the prefix length
    ],
  }));
  assertEquals(f.vrps, [
    { prefix: "192.0.2.0/24", maxLength: 24, asn: 64496 },
    { prefix: "2001:db8::/32", maxLength: 48, asn: 64497 },
    { prefix: "198.51.100.0/22", maxLength: 24, asn: 4200000000 },
    { prefix: "203.0.113.0/24", maxLength: 24, asn: 0 },
  ]);
  assertEquals(f.skipped, 0);
});

Deno.test("parseVrpFile() skips malformed entries and says why", () => {
  const f = parseVrpFile(JSON.stringify({
    roas: [
      { prefix: "192.0.2.1/24", maxLength: 24, asn: 1 }, // host bits
      { prefix: "192.0.2.0/24", maxLength: 23, asn: 1 },
      { prefix: "192.0.2.0/24", maxLength: 33, asn: 1 },
      { prefix: "2001:db8::/32", maxLength: 48, asn: "ASX" },
      { prefix: "2001:db8::/32", maxLength: 48, asn: 4294967296 },
      { prefix: "300.0.0.0/8", maxLength: 8, asn: 1 },
      null,
      { prefix: "10.0.0.0/8", maxLength: 8, asn: 1 },
    ],
  }));
  assertEquals(f.vrps.length, 1);
  assertEquals([f.skipped, f.problems.length], [7, 5]);
});

Deno.test("parseVrpFile() refuses a file without a roas array", () => {
  assertThrows(() => parseVrpFile('{"vrps": []}'), SyntaxError);
  assertThrows(() => parseVrpFile('{"roas": [ {"prefix"'), SyntaxError);
});

Deno.test("parsePrefix() and prefixOf() give cidr's canonical text", () => {
  const cases: [string, string][] = [
    ["2001:0db8:0000:0000:0000:0000:0000:0000/32", "2001:db8::/32"],
    ["::ffff:192.0.2.0/120", "::ffff:192.0.2.0/120"],
    ["2001:db8:0:1::/64", "2001:db8:0:1::/64"],
    ["::/0", "::/0"],
    ["0.0.0.0/0", "0.0.0.0/0"],
  ];
  for (const [text, want] of cases) assertEquals(prefixOf(parsePrefix(text)!), want, text);
  for (const bad of ["1::2::3/64", "2001:db8::/129", "1.2.3/24", "1.2.3.4", "g::/16"]) {
    assertEquals(parsePrefix(bad), undefined, bad);
  }
});

Deno.test("VrpFileWatcher reports the file at start, on each change, and a broken file as an error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bmpmon-vrp-" });
  const path = `${dir}/vrps.json`;
  const write = (asns: number[]) =>
    Deno.writeTextFile(
      path,
      JSON.stringify({ roas: asns.map((asn) => ({ prefix: "192.0.2.0/24", maxLength: 24, asn })) }),
    );
  const events: string[] = [];
  const w = new VrpFileWatcher(path, {
    onLoad: (f) => Promise.resolve(void events.push(`load ${f.vrps.map((v) => v.asn)}`)),
    onError: (e) => Promise.resolve(void events.push(`error ${e.includes(path)}`)),
  }, 50);
  try {
    await write([1]);
    await w.start();
    assertEquals(events, ["load 1"]);
    const until = async (n: number) => {
      const end = Date.now() + 5000;
      while (events.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    };
    // Replaced by a rename, as validators do.
    await Deno.writeTextFile(`${path}.tmp`, JSON.stringify({ roas: [] }));
    await Deno.rename(`${path}.tmp`, path);
    await until(2);
    await Deno.writeTextFile(path, "{not json");
    await until(3);
    await write([2, 3]);
    await until(4);
    assertEquals(events, ["load 1", "load ", "error true", "load 2,3"]);
    await Deno.remove(path);
    await until(5);
    assert(events[4] === "error true", events.join());
  } finally {
    await w.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
