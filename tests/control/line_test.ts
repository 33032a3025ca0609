/**
 * `messageLine()` describes every message of the bundled captures in one line, naming
 * what the decoder found in it.
 */

import { familyName } from "../../src/bgp/constants.ts";
import { forEachRoute } from "../../src/bgp/routes.ts";
import { capabilityText, messageLine, nlriText } from "../../src/control/line.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { loadCapture } from "./_capture.ts";

const FILES = [
  "gobgp-frr-lab/gobgp-3.10-all-1k.bmp",
  "gobgp-frr-lab/frr-8.4-prepost-1k.bmp",
  "gobgp-frr-lab/frr-8.4-mirror-100.bmp",
].map(fixture);

Deno.test("messageLine() gives one line per message naming its kind, peer and routes", async () => {
  for (const path of FILES) {
    const c = await loadCapture(path);
    for (const { m } of c.messages) {
      const line = messageLine(m);
      assert(!line.includes("\n"), line);
      assert(line.startsWith(`${m.kind}`), line);
      if ("peer" in m) assert(line.includes(` ${m.peer.address} AS${m.peer.asn}`), line);
      if (m.kind === "route_monitoring") {
        const shown: string[] = [];
        let total = 0;
        forEachRoute(m.update, (afi, safi, withdrawn, n) => {
          assert(line.includes(familyName(afi, safi)), line);
          if (total++ < 6) shown.push(`${withdrawn ? "-" : "+"}${nlriText(n)}`);
        });
        for (const s of shown) assert(line.includes(` ${s}`), `${line} lacks ${s}`);
        assertEquals(line.includes(`(${total - 6} more)`), total > 6, line);
      }
      if (m.kind === "peer_down") assert(line.includes(`reason ${m.reason} ${m.reasonName}`));
      if (m.kind === "initiation" && m.sysName) assert(line.includes(`sysName ${m.sysName}`));
    }
  }
});

Deno.test("capabilityText() names the families, ASN and Add-Path directions", async () => {
  const c = await loadCapture(fixture("gobgp-frr-lab/frr-8.4-prepost-1k.bmp"));
  const up = c.messages.find((s) => s.m.kind === "peer_up")!.m;
  if (up.kind !== "peer_up") throw new Error("unreachable");
  const caps = up.sentOpen.capabilities;
  const texts = caps.map(capabilityText);
  for (const [i, cap] of caps.entries()) {
    assert(texts[i].startsWith(cap.name), texts[i]);
    if (cap.afi !== undefined) {
      assertEquals(texts[i], `${cap.name} ${familyName(cap.afi, cap.safi!)}`);
    }
    if (cap.code === 65) assertEquals(texts[i], `four_octet_as ${up.sentOpen.asn}`);
    for (const a of cap.addPath ?? []) assert(texts[i].includes(familyName(a.afi, a.safi)));
  }
});
