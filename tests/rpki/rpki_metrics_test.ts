import { rpkiText } from "../../src/cli/show.ts";
import { Registry } from "../../src/metrics/registry.ts";
import { registerRpkiMetrics } from "../../src/rpki/rpki_metrics.ts";
import type { RpkiSourceStatus } from "../../src/rpki/rpki_service.ts";
import { assert, assertEquals } from "../_assert.ts";

Deno.test("registerRpkiMetrics() reports each source's VRPs, state, session, serial and age", async () => {
  let sources: RpkiSourceStatus[] = [
    {
      source: "rtr:a:1",
      kind: "rtr",
      state: "current",
      vrps: 5,
      connected: true,
      serial: 9,
      updatedAt: 1000,
    },
    { source: "file:/x", kind: "file", state: "syncing", vrps: 0 },
  ];
  const r = new Registry();
  registerRpkiMetrics(r, () => sources, () => 31_000);
  const text = await r.expose();
  for (
    const line of [
      'bmpmon_rpki_vrps{source="rtr:a:1"} 5',
      'bmpmon_rpki_source_state{source="rtr:a:1",state="current"} 1',
      'bmpmon_rpki_source_state{source="rtr:a:1",state="expired"} 0',
      'bmpmon_rtr_session_up{source="rtr:a:1"} 1',
      'bmpmon_rtr_serial{source="rtr:a:1"} 9',
      'bmpmon_rpki_update_age_seconds{source="rtr:a:1"} 30',
      'bmpmon_rpki_update_age_seconds{source="file:/x"} +Inf',
    ]
  ) assert(text.includes(line + "\n"), `${line} missing:\n${text}`);
  assert(!text.includes('bmpmon_rtr_session_up{source="file:/x"}'), text);
  // A fallback cache took over: the old series go to 0 VRPs and down.
  sources = [{ ...sources[0], source: "rtr:b:2" }];
  const after = await r.expose();
  assert(after.includes('bmpmon_rpki_vrps{source="rtr:a:1"} 0\n'), after);
  assert(after.includes('bmpmon_rtr_session_up{source="rtr:a:1"} 0\n'), after);
  assert(after.includes('bmpmon_rpki_vrps{source="rtr:b:2"} 5\n'), after);
});

Deno.test("rpkiText() writes the summary's rpki line, an expired source in capitals", () => {
  assertEquals(rpkiText([]), "off (no RPKI_RTR or RPKI_VRP_FILE)");
  const base = { serial: null, protocol_version: null, age_s: null, error: null };
  assertEquals(
    rpkiText([
      {
        ...base,
        source: "rtr:a:1",
        state: "current",
        vrps: 554112,
        serial: 3,
        protocol_version: 1,
        age_s: 12,
      },
      {
        ...base,
        source: "file:/x",
        state: "expired",
        vrps: 0,
        error: "expired after 7300 s without data",
      },
    ]),
    "rtr:a:1 current, 554,112 VRPs, serial 3, v1, updated 12s ago; " +
      "file:/x EXPIRED (VRPs dropped, every route unknown), 0 VRPs, expired after 7300 s without data",
  );
});
