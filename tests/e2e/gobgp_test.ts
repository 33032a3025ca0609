/**
 * Acceptance: a real router end to end. gobgpd A monitors its session with gobgpd B over
 * BMP (pre-policy, post-policy and Loc-RIB) into a {@linkcode Collector}; B announces
 * IPv4, IPv6 and EVPN routes, withdraws some and shuts the session. The decoded messages
 * must match what was injected, view by view. Needs `gobgpd` and `gobgp` on PATH
 * (Debian: `apt-get install gobgpd`); otherwise the test is registered as ignored.
 *
 * @module
 */

import type { Nlri } from "../../src/bgp/nlri/types.ts";
import { forEachRoute } from "../../src/bgp/routes.ts";
import type { PathAttributes } from "../../src/bgp/update.ts";
import type {
  BmpMessage,
  PeerDownMessage,
  PeerUpMessage,
  StatisticsReportMessage,
} from "../../src/bmp/message.ts";
import { Collector, type MessageSink, type RouterConnection } from "../../src/collector/server.ts";
import type { DecodeError } from "../../src/wire/errors.ts";
import { assert, assertEquals } from "../_assert.ts";
import {
  expectedViews,
  familyKey,
  gobgpAvailable,
  type InjectedRoute,
  labRoutes,
  type LabView,
  labWithdrawals,
  POLICY_COMMUNITY,
  runGobgpScenario,
  type ScenarioResult,
} from "./_gobgp.ts";

/** Records everything the collector hands over. */
class RecordingSink implements MessageSink {
  readonly messages: BmpMessage[] = [];
  readonly errors: { error: DecodeError; raw: Uint8Array }[] = [];
  readonly down: string[] = [];
  write(_router: RouterConnection, m: BmpMessage): void {
    this.messages.push(m);
  }
  decodeError(_router: RouterConnection, error: DecodeError, raw: Uint8Array): void {
    this.errors.push({ error, raw });
  }
  routerDown(_router: RouterConnection, reason: string): void {
    this.down.push(reason);
  }
}

/** One announcement or withdrawal as a view saw it. */
interface Seen {
  family: string;
  nlri: Nlri;
  nextHop?: string;
  attributes: PathAttributes;
  /** Index of its message in the recorded stream. */
  at: number;
}

/** What one view carried. */
interface ViewData {
  messages: number;
  announced: Map<string, Seen[]>;
  withdrawn: Map<string, Seen[]>;
}

const FAMILIES: Record<string, string> = { "1/1": "ipv4_unicast", "2/1": "ipv6_unicast" };

/** The `family|key` of a decoded NLRI, in the format of `InjectedRoute.key`. */
function decodedKey(afi: number, safi: number, n: Nlri): string {
  if (afi === 25 && safi === 70 && n.evpn) {
    const e = n.evpn;
    const key = e.routeType === 2
      ? `2|${e.rd}|${e.ethernetTag}|${e.mac}|${e.ip ?? ""}`
      : e.routeType === 3
      ? `3|${e.rd}|${e.ethernetTag}|${e.ip}`
      : `${e.routeType}|${e.rd}|${e.ethernetTag}|${e.prefix}`;
    return `l2vpn_evpn|${key}`;
  }
  return `${FAMILIES[`${afi}/${safi}`] ?? `afi${afi}_safi${safi}`}|${n.prefix}`;
}

function viewOf(m: BmpMessage & { kind: "route_monitoring" }): LabView | "other" {
  if (m.peer.peerType === 3) return "locRib";
  if (m.peer.peerType !== 0 || m.peer.adjRibOut) return "other";
  return m.peer.postPolicy ? "post" : "pre";
}

/** Splits the route monitoring messages `[from, to)` into views. */
function views(messages: BmpMessage[], to = messages.length): Record<LabView | "other", ViewData> {
  const out = {} as Record<LabView | "other", ViewData>;
  for (const v of ["pre", "post", "locRib", "other"] as const) {
    out[v] = { messages: 0, announced: new Map(), withdrawn: new Map() };
  }
  for (let at = 0; at < to; at++) {
    const m = messages[at];
    if (m.kind !== "route_monitoring") continue;
    const v = out[viewOf(m)];
    v.messages++;
    forEachRoute(m.update, (afi, safi, withdrawn, nlri, nextHop) => {
      const key = decodedKey(afi, safi, nlri);
      const map = withdrawn ? v.withdrawn : v.announced;
      const seen = {
        family: key.split("|")[0],
        nlri,
        nextHop,
        attributes: m.update.attributes,
        at,
      };
      map.set(key, [...map.get(key) ?? [], seen]);
    });
  }
  return out;
}

const sorted = (keys: Iterable<string>) => [...keys].sort();

function covers(have: Map<string, unknown>, want: Set<string>): boolean {
  for (const k of want) if (!have.has(k)) return false;
  return true;
}

async function waitFor(what: string, ms: number, ok: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() >= deadline) {
      console.warn(`still waiting for ${what} after ${ms} ms; checking what arrived`);
      return false;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

const communityText = (c: number) => `${c >>> 16}:${c & 0xffff}`;

/** Per-family NLRI counts of a view, for the log line. */
function counts(v: ViewData): Record<string, string> {
  const out: Record<string, [number, number]> = {};
  for (const [map, i] of [[v.announced, 0], [v.withdrawn, 1]] as const) {
    for (const seen of map.values()) {
      for (const s of seen) (out[s.family] ??= [0, 0])[i]++;
    }
  }
  return Object.fromEntries(Object.entries(out).map(([f, [a, w]]) => [f, `${a}/${w}`]));
}

/** Checks the attributes of one view's announcement of `r`. */
function checkRoute(view: LabView, r: InjectedRoute, s: Seen): void {
  const where = `${view} ${familyKey(r)}`;
  const a = s.attributes;
  assertEquals(s.nextHop, r.nextHop, `${where}: next hop`);
  assertEquals(a.med, r.med, `${where}: MED`);
  assertEquals(a.origin, 2, `${where}: ORIGIN (the gobgp CLI's default, INCOMPLETE)`);
  assertEquals(a.asPath, [{ type: 2, asns: [65002] }], `${where}: AS_PATH`);
  const want = view === "pre" ? r.communities : [...r.communities, POLICY_COMMUNITY];
  assertEquals((a.communities ?? []).map(communityText), want, `${where}: communities`);
  assertEquals(
    (a.largeCommunities ?? []).map((c) => c.join(":")),
    r.largeCommunities,
    `${where}: large communities`,
  );
  assertEquals(a.localPref, undefined, `${where}: no LOCAL_PREF on eBGP`);
  if (!r.evpn) {
    assertEquals(s.nlri.prefix, r.prefix, `${where}: prefix`);
    return;
  }
  const e = r.evpn;
  const got = s.nlri.evpn!;
  const zeroEsi = "00:00:00:00:00:00:00:00:00:00";
  assertEquals(got, {
    routeType: e.routeType,
    rd: e.rd,
    ...(e.routeType === 3 ? {} : { esi: zeroEsi }),
    ethernetTag: e.ethernetTag,
    ...(e.mac ? { mac: e.mac } : {}),
    ...(e.ip ? { ip: e.ip } : {}),
    ...(e.prefix ? { prefix: e.prefix, gateway: e.gateway } : {}),
    ...(e.routeType === 3 ? {} : { labels: e.labels }),
  }, `${where}: EVPN fields`);
  assertEquals(s.nlri.rd, e.rd, `${where}: NLRI RD`);
  assertEquals(a.extendedCommunities, e.routeTargets.map((rt) => `rt:${rt}`), `${where}: RTs`);
  assertEquals(a.pmsiTunnel, e.pmsi && { flags: 0, ...e.pmsi }, `${where}: PMSI tunnel`);
}

function checkPeerUp(m: PeerUpMessage, result: ScenarioResult): void {
  const { routerA, routerB } = result;
  assertEquals(
    [m.peer.peerType, m.peer.flags, m.peer.address, m.peer.asn, m.peer.bgpId],
    [0, 0, routerB.address, routerB.asn, routerB.routerId],
    "Peer Up per-peer header",
  );
  assertEquals(m.localAddress, routerA.address);
  assertEquals(m.remotePort, routerB.bgpPort, "A opened the session to B's port (B is passive)");
  const families = (o: PeerUpMessage["sentOpen"]) =>
    o.capabilities.filter((c) => c.code === 1).map((c) => `${c.afi}/${c.safi}`).sort();
  for (
    const [open, r, which] of [
      [m.sentOpen, routerA, "sent"],
      [m.receivedOpen, routerB, "received"],
    ] as const
  ) {
    assertEquals(
      [open.version, open.asn, open.myAs, open.bgpId],
      [4, r.asn, r.asn, r.routerId],
      which,
    );
    assertEquals(open.holdTime, 90, `${which} OPEN hold time`);
    assertEquals(families(open), ["1/1", "2/1", "25/70"], `${which} OPEN multiprotocol`);
    assert(open.capabilities.some((c) => c.code === 65 && c.asn === r.asn), `${which}: 4-octet AS`);
  }
}

function checkPeerDown(m: PeerDownMessage, result: ScenarioResult): void {
  assertEquals([m.peer.address, m.peer.asn, m.peer.bgpId], ["127.0.0.2", 65002, "127.0.0.2"]);
  assertEquals(m.reason, 3, "Peer Down: remote system closed with a NOTIFICATION");
  assertEquals(
    [m.notification?.code, m.notification?.subcode, m.notification?.shutdownCommunication],
    [6, 2, result.shutdownCommunication],
    "Cease / Administrative Shutdown with the RFC 9003 communication",
  );
}

function checkStatistics(m: StatisticsReportMessage, result: ScenarioResult): void {
  assertEquals([m.peer.peerType, m.peer.address, m.peer.asn], [0, "127.0.0.2", 65002]);
  const byType = new Map(m.stats.map((s) => [s.type, s.value]));
  assertEquals(m.count, m.stats.length);
  // GoBGP 3.10 fills 7 (routes in Adj-RIB-In) and 8 ("Loc-RIB") from its per-peer received
  // and accepted counters. "Accepted" ignores the global import policy: type 8 counts the
  // rejected /32s too (29), while the Loc-RIB view holds 26 of B's routes.
  const inRib = result.routes.length - result.withdrawn.length;
  assertEquals(byType.get(7), inRib, "stat 7: routes in Adj-RIB-In");
  assertEquals(byType.get(8), inRib, "stat 8: GoBGP's accepted counter");
}

const available = gobgpAvailable();

Deno.test({
  name: available
    ? "gobgpd end to end: pre-policy, post-policy and Loc-RIB match the injected routes"
    : "gobgpd end to end (SKIPPED: gobgpd/gobgp not on PATH; apt-get install gobgpd)",
  ignore: !available,
  async fn() {
    const sink = new RecordingSink();
    const collector = new Collector({ hostname: "127.0.0.1", port: 0, sink });
    const addr = collector.start();
    const t0 = Date.now();
    let boundary = -1; // messages before it were sent while the session was up
    let result: ScenarioResult;
    const progress: string[] = [];
    try {
      result = await runGobgpScenario({
        collectorHost: "127.0.0.1",
        collectorPort: addr.port,
        timeoutMs: 55_000,
        log: (l) => progress.push(l),
        async onPhase(info) {
          const { phase, remainingMs } = info;
          const expected = expectedViews(info);
          const budget = Math.min(10_000, remainingMs);
          const kinds = () => sink.messages.map((m) => m.kind);
          if (phase === "established") {
            await waitFor("Peer Up", budget, () => kinds().includes("peer_up"));
          } else if (phase === "announced") {
            // GoBGP 3.10 may report a few UPDATEs late (or not at all at scale): poll.
            await waitFor("every announcement", budget, () => {
              const v = views(sink.messages);
              return (["pre", "post", "locRib"] as const).every((n) =>
                covers(v[n].announced, expected[n].announced)
              );
            });
          } else if (phase === "withdrawn") {
            await waitFor("B's withdrawals", budget, () => {
              const v = views(sink.messages);
              return (["pre", "post", "locRib"] as const).every((n) =>
                covers(v[n].withdrawn, expected[n].withdrawnBySource)
              );
            });
            boundary = sink.messages.length;
            // The first statistics report comes statistics-timeout (15 s) after the BMP
            // session opened; wait for one that reflects the withdrawals.
            await waitFor(
              "a statistics report",
              Math.min(35_000, remainingMs - 5_000),
              () => sink.messages.slice(boundary).some((m) => m.kind === "statistics_report"),
            );
          } else if (phase === "peer-down") {
            await waitFor("Peer Down and its withdrawals", budget, () => {
              const v = views(sink.messages);
              return kinds().includes("peer_down") &&
                (["post", "locRib"] as const).every((n) =>
                  covers(v[n].withdrawn, expected[n].withdrawnInTotal)
                );
            });
          } else {
            await waitFor("Termination", budget, () => kinds().includes("termination"));
            await waitFor("the BMP session to close", budget, () => sink.down.length > 0);
          }
        },
      });
    } catch (e) {
      console.error(`scenario progress:\n${progress.join("\n")}`);
      throw e;
    } finally {
      await collector.stop();
    }
    const ms = Date.now() - t0;

    // Stream-level checks.
    const msgs = sink.messages;
    assertEquals(sink.errors.map((e) => e.error.message), [], "no decode errors");
    assertEquals(sink.down, ["closed by router"]);
    const router = [...collector.routers.values()];
    assertEquals(router.length, 1, "one BMP session");
    assertEquals([router[0].sysName, router[0].sysDescr], [result.sysName, result.sysDescr]);
    const kindCount = (k: string) => msgs.filter((m) => m.kind === k).length;
    assertEquals(msgs[0].kind, "initiation");
    assertEquals(msgs[1].kind, "peer_up");
    assertEquals(msgs.at(-1)!.kind, "termination");
    assertEquals(
      ["initiation", "peer_up", "peer_down", "termination", "route_mirroring"].map(kindCount),
      [1, 1, 1, 1, 0],
    );
    const init = msgs[0];
    assert(init.kind === "initiation");
    assertEquals([init.sysName, init.sysDescr], [result.sysName, result.sysDescr]);
    checkPeerUp(msgs[1] as PeerUpMessage, result);
    checkPeerDown(msgs.find((m) => m.kind === "peer_down") as PeerDownMessage, result);
    const term = msgs.at(-1)!;
    assert(term.kind === "termination");
    assertEquals(term.reason, 4, "Termination: permanently administratively closed");
    const stats = msgs.slice(boundary).find((m) => m.kind === "statistics_report");
    assert(stats, "a statistics report after the withdrawals");
    checkStatistics(stats as StatisticsReportMessage, result);
    for (const m of msgs) {
      if (m.kind === "route_monitoring") assertEquals(m.update.problems, [], "RFC 7606 problems");
    }

    // Per view: header, route sets, attributes.
    const all = views(msgs);
    const up = views(msgs, boundary);
    assertEquals(all.other.messages, 0, "only pre-policy, post-policy and Loc-RIB views");
    const byKey = new Map(result.routes.map((r) => [familyKey(r), r]));
    const summary: Record<string, unknown> = {};
    for (const view of ["pre", "post", "locRib"] as const) {
      const want = expectedViews(result)[view];
      const v = all[view];
      assertEquals(sorted(v.announced.keys()), sorted(want.announced), `${view}: announced`);
      assertEquals(
        sorted(up[view].withdrawn.keys()),
        sorted(want.withdrawnBySource),
        `${view}: withdrawn while the session was up`,
      );
      assertEquals(sorted(v.withdrawn.keys()), sorted(want.withdrawnInTotal), `${view}: withdrawn`);
      for (const [key, seen] of v.announced) {
        assertEquals(seen.length, 1, `${view} ${key}: announced once`);
        checkRoute(view, byKey.get(key)!, seen[0]);
      }
      summary[view] = { messages: v.messages, ...counts(v) };
    }
    for (const m of msgs) {
      if (m.kind !== "route_monitoring") continue;
      const h = m.peer;
      const view = viewOf(m);
      assertEquals(
        [h.flags, h.address, h.asn, h.bgpId],
        view === "locRib"
          ? [0, "0.0.0.0", 65001, "127.0.0.1"] // RFC 9069: the router itself
          : [view === "post" ? 0x40 : 0, "127.0.0.2", 65002, "127.0.0.2"], // L flag only
        `per-peer header of ${view}`,
      );
    }
    console.log(
      `gobgp e2e: ${msgs.length} BMP messages in ${ms} ms (phases ${
        JSON.stringify(result.phaseAt)
      }); per view announced/withdrawn NLRI: ${JSON.stringify(summary)}`,
    );
  },
});

Deno.test("labRoutes() gives distinct keys and withdraws routes of every family", () => {
  const routes = labRoutes();
  assertEquals(new Set(routes.map(familyKey)).size, routes.length);
  const w = labWithdrawals(routes);
  assertEquals(w.length, 10);
  assertEquals(new Set(w.map((r) => r.family)).size, 3);
  assert(w.some((r) => r.rejected), "one withdrawn route was never accepted");
  const views = expectedViews({ routes, withdrawn: w });
  assertEquals(views.pre.announced.size, 39);
  assertEquals(views.post.announced.size, 35);
  assertEquals(views.post.withdrawnBySource.size, 9);
});
