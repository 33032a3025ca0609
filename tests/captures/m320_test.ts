import { readBmpStream } from "../../src/bmp/stream.ts";
import { SummaryBuilder } from "../../src/bmp/summary.ts";
import { readInput } from "../../src/io/file.ts";
import { assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";

Deno.test("M320 full table: 139,279 Route Monitoring, 707,576 unique IPv4 prefixes, 0 errors", async () => {
  const bytes = await readInput(fixture("juniper-m320/m320.bmp.xz"));
  const s = new SummaryBuilder();
  let endOfRib = 0;
  const withdrawn: string[] = [];
  for (const item of readBmpStream(bytes)) {
    if (item.error) {
      s.addError();
      continue;
    }
    s.add(item.message);
    if (item.message.kind === "route_monitoring") {
      if (item.message.update.endOfRib) endOfRib++;
      for (const n of item.message.update.withdrawn) withdrawn.push(n.prefix);
    }
  }
  const r = s.result();
  assertEquals(r.errors, 0);
  assertEquals(r.messages, {
    route_monitoring: 139279,
    statistics_report: 1,
    peer_down: 0,
    peer_up: 1,
    initiation: 1,
    termination: 0,
    route_mirroring: 0,
  });
  assertEquals(r.families, {
    ipv4_unicast: { announced: 707576, withdrawn: 4, unique_prefixes: 707576 },
  });
  assertEquals(endOfRib, 1);
  assertEquals(withdrawn, ["103.81.24.0/24", "103.81.25.0/24", "103.81.26.0/24", "103.81.27.0/24"]);
});
