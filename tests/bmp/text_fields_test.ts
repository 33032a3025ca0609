/**
 * Text fields are decoded byte for byte: a leading byte-order mark is part of the value
 * (TextDecoder would strip it by default), and invalid UTF-8 becomes U+FFFD.
 */

import { BmpSession } from "../../src/bmp/session.ts";
import * as b from "../_build.ts";
import { assertEquals } from "../_assert.ts";

const BOM = "\ufeff";
const t = (s: string) => b.text(s);

Deno.test("a leading BOM survives in every text field the decoders produce", () => {
  const s = new BmpSession();
  const init = s.decode(b.initiation(b.tlv(2, t(BOM + "r1")), b.tlv(0, t(BOM))), 0);
  assertEquals(init.kind === "initiation" && [init.sysName, init.information[1].value], [
    BOM + "r1",
    BOM,
  ]);
  const fqdn = b.cap(73, [4, ...t(BOM + "h"), 4, ...t(BOM + "d")]);
  const sw = b.cap(75, [4, ...t(BOM + "v")]);
  const open = b.open({ caps: [fqdn, sw] });
  const up = s.decode(b.peerUp(open, open, { tlvs: [b.tlv(4, t(BOM + "label"))] }), 0);
  if (up.kind !== "peer_up") throw new Error(up.kind);
  const caps = up.sentOpen.capabilities as unknown as Record<string, unknown>[];
  assertEquals(caps.find((c) => c.code === 73), {
    code: 73,
    name: "fqdn",
    hostname: BOM + "h",
    domain: BOM + "d",
  });
  assertEquals(caps.find((c) => c.code === 75)?.text, BOM + "v");
  assertEquals(up.information[0].value, BOM + "label");
  const rm = s.decode(
    b.routeMonitoring(b.cat(b.tlv4(3, 0, t(BOM + "vrf")), b.tlv4(4, 0, b.update())), {}, 4),
    0,
  );
  assertEquals(rm.kind === "route_monitoring" && rm.tlvs?.[0].value, BOM + "vrf");
  const down = s.decode(b.peerDown(1, b.notification(6, 2, [4, ...t(BOM + "x")])), 0);
  assertEquals(
    down.kind === "peer_down" && down.notification?.shutdownCommunication,
    BOM + "x",
  );
});

Deno.test("invalid UTF-8 in a text field becomes U+FFFD", () => {
  const m = new BmpSession().decode(b.initiation(b.tlv(2, [0x72, 0xff, 0xc3])), 0);
  assertEquals(m.kind === "initiation" && m.sysName, "r\ufffd\ufffd");
});
