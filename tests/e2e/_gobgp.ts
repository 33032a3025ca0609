/**
 * A two-router GoBGP lab on loopback, for end-to-end tests of a BMP collector.
 *
 * ```text
 *  gobgpd B (AS65002, 127.0.0.2, passive)  --eBGP-->  gobgpd A (AS65001, 127.0.0.1)
 *  routes added with `gobgp global rib add`           import policy: reject IPv4 /32,
 *                                                     add community 65001:999 to the rest
 *                                                     BMP: pre-policy + post-policy + Loc-RIB
 *                                                          |
 *                                                          v
 *                                                 collector (collectorHost:collectorPort)
 * ```
 *
 * {@linkcode runGobgpScenario} writes both configs to a temp dir, starts the daemons,
 * announces IPv4, IPv6 and EVPN routes on B (`_gobgp_routes.ts`), withdraws some, makes B
 * shut the session (`gobgp neighbor … shutdown --reason`: Cease / Administrative Shutdown
 * with an RFC 9003 communication, so A reports Peer Down reason 3), removes the BMP
 * server from A (`gobgp bmp del`: Termination) and stops everything. It knows nothing about the collector: each phase is confirmed
 * through router A's own gRPC API, then `onPhase` lets the caller wait until its store
 * shows the same thing. The result says what was injected, withdrawn and rejected, and
 * {@linkcode expectedViews} turns it into the route keys each BMP view must carry.
 *
 * Processes are always stopped (SIGTERM, then SIGKILL of the process group), every wait
 * has a deadline, and each daemon runs under `timeout` so it cannot outlive a crashed
 * test by more than {@linkcode GobgpScenarioOptions.maxLifetimeSec}.
 *
 * @module
 */

import {
  type InjectedRoute,
  type LabFamily,
  labRoutes,
  labWithdrawals,
  POLICY_COMMUNITY,
} from "./_gobgp_routes.ts";
import { Daemon, freePort, gobgp, inParallel, onPath, tail, until } from "./_gobgpd.ts";

export {
  expectedViews,
  familyKey,
  type InjectedEvpn,
  type InjectedRoute,
  type LabFamily,
  labRoutes,
  type LabView,
  labWithdrawals,
  POLICY_COMMUNITY,
  type ViewExpectation,
} from "./_gobgp_routes.ts";

/** A gobgpd instance of the lab. */
export interface LabRouter {
  asn: number;
  routerId: string;
  address: string;
  bgpPort: number;
  apiPort: number;
}

/** The phases of the scenario, in order. */
export type ScenarioPhase =
  | "established"
  | "announced"
  | "withdrawn"
  | "peer-down"
  | "terminated";

/** What a phase hook can see. */
export interface PhaseInfo {
  phase: ScenarioPhase;
  routes: readonly InjectedRoute[];
  withdrawn: readonly InjectedRoute[];
  routerA: LabRouter;
  routerB: LabRouter;
  /** Milliseconds left before the scenario deadline. */
  remainingMs: number;
}

/** Options of {@linkcode runGobgpScenario}. */
export interface GobgpScenarioOptions {
  /** Where router A sends BMP. */
  collectorHost: string;
  collectorPort: number;
  /** Initiation sysName of router A (default "bmpmon-e2e-A"). */
  sysName?: string;
  /** Initiation sysDescr of router A. */
  sysDescr?: string;
  /** BMP statistics interval in seconds (GoBGP's minimum, 15, by default). */
  statisticsTimeout?: number;
  /** Whole-scenario deadline (default 50 s). */
  timeoutMs?: number;
  /** Upper bound on a daemon's life if this process dies (default 90 s). */
  maxLifetimeSec?: number;
  /**
   * Called once router A confirms a phase; wait here (within `remainingMs`) until the
   * collector shows it. A throw aborts the scenario (daemons are still stopped).
   */
  onPhase?: (info: PhaseInfo) => void | Promise<void>;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** What {@linkcode runGobgpScenario} did. */
export interface ScenarioResult {
  routerA: LabRouter;
  routerB: LabRouter;
  sysName: string;
  sysDescr: string;
  /** Every route B announced (rejected ones included). */
  routes: InjectedRoute[];
  /** The routes B withdrew before the session was shut. */
  withdrawn: InjectedRoute[];
  /** The community A's import policy adds. */
  policyCommunity: string;
  /** The RFC 9003 shutdown communication B sent with its Cease. */
  shutdownCommunication: string;
  /** Milliseconds from the start at which each phase was confirmed by router A. */
  phaseAt: Record<ScenarioPhase, number>;
}

/** The RFC 9003 shutdown communication B sends with its Cease. */
const SHUTDOWN_TEXT = "bmpmon e2e: session shut";
const BGP_ESTABLISHED = 6;

export { freePort } from "./_gobgpd.ts";

/** True when both `gobgpd` and `gobgp` are on PATH. */
export function gobgpAvailable(): boolean {
  return onPath("gobgpd") && onPath("gobgp");
}

// --------------------------------------------------------------- the configs

function routerAConfig(
  a: LabRouter,
  b: LabRouter,
  o: { host: string; port: number; sysName: string; sysDescr: string; stats: number },
): string {
  return `# router A: the monitored router
[global.config]
  as = ${a.asn}
  router-id = "${a.routerId}"
  port = ${a.bgpPort}
  local-address-list = ["${a.address}"]
[global.apply-policy.config]
  import-policy-list = ["lab-import"]
  default-import-policy = "accept-route"

[[bmp-servers]]
  [bmp-servers.config]
    address = "${o.host}"
    port = ${o.port}
    route-monitoring-policy = "all"
    statistics-timeout = ${o.stats}
    sys-name = "${o.sysName}"
    sys-descr = "${o.sysDescr}"

[[neighbors]]
  [neighbors.config]
    neighbor-address = "${b.address}"
    peer-as = ${b.asn}
  [neighbors.transport.config]
    local-address = "${a.address}"
    remote-port = ${b.bgpPort}
${AFI_SAFIS}
[[defined-sets.prefix-sets]]
  prefix-set-name = "ipv4-host-routes"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "0.0.0.0/0"
    masklength-range = "32..32"

[[policy-definitions]]
  name = "lab-import"
  [[policy-definitions.statements]]
    name = "reject-ipv4-host-routes"
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "ipv4-host-routes"
    [policy-definitions.statements.actions]
      route-disposition = "reject-route"
  [[policy-definitions.statements]]
    name = "tag-the-rest"
    [policy-definitions.statements.actions]
      route-disposition = "accept-route"
    [policy-definitions.statements.actions.bgp-actions.set-community]
      options = "add"
      [policy-definitions.statements.actions.bgp-actions.set-community.set-community-method]
        communities-list = ["${POLICY_COMMUNITY}"]
`;
}

function routerBConfig(a: LabRouter, b: LabRouter): string {
  return `# router B: the route source (passive, so A always opens the session)
[global.config]
  as = ${b.asn}
  router-id = "${b.routerId}"
  port = ${b.bgpPort}
  local-address-list = ["${b.address}"]

[[neighbors]]
  [neighbors.config]
    neighbor-address = "${a.address}"
    peer-as = ${a.asn}
  [neighbors.transport.config]
    local-address = "${b.address}"
    passive-mode = true
${AFI_SAFIS}`;
}

const AFI_SAFIS = ["ipv4-unicast", "ipv6-unicast", "l2vpn-evpn"].map((f) =>
  `  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "${f}"
`
).join("");

interface NeighborJson {
  state?: { session_state?: number | string };
  afi_safis?: { state?: { family?: { afi?: number; safi?: number }; received?: number } }[];
}

async function neighborOfA(a: LabRouter, b: LabRouter): Promise<NeighborJson> {
  return JSON.parse(await gobgp(a.apiPort, ["neighbor", b.address, "-j"])) as NeighborJson;
}

/** Per-family count of routes in A's Adj-RIB-In (pre-policy) from B. */
function received(n: NeighborJson): Record<LabFamily, number> {
  const out: Record<LabFamily, number> = { ipv4_unicast: 0, ipv6_unicast: 0, l2vpn_evpn: 0 };
  for (const f of n.afi_safis ?? []) {
    const fam = f.state?.family;
    const name = fam?.afi === 1 && fam.safi === 1
      ? "ipv4_unicast"
      : fam?.afi === 2 && fam.safi === 1
      ? "ipv6_unicast"
      : fam?.afi === 25 && fam.safi === 70
      ? "l2vpn_evpn"
      : undefined;
    if (name) out[name] = f.state?.received ?? 0;
  }
  return out;
}

function countByFamily(routes: readonly InjectedRoute[]): Record<LabFamily, number> {
  const out: Record<LabFamily, number> = { ipv4_unicast: 0, ipv6_unicast: 0, l2vpn_evpn: 0 };
  for (const r of routes) out[r.family]++;
  return out;
}

/**
 * Runs the whole lab scenario against a BMP collector listening on
 * `collectorHost:collectorPort`; see the module doc for the steps.
 *
 * @returns what was injected, withdrawn and rejected, for comparison with any store.
 * @throws {Error} when a phase is not confirmed by router A before the deadline; the
 *   message carries the tail of both daemons' logs.
 */
export async function runGobgpScenario(opts: GobgpScenarioOptions): Promise<ScenarioResult> {
  const t0 = Date.now();
  const deadline = t0 + (opts.timeoutMs ?? 50_000);
  const log = opts.log ?? (() => {});
  const sysName = opts.sysName ?? "bmpmon-e2e-A";
  const sysDescr = opts.sysDescr ?? "gobgpd lab router A (bmpmon e2e)";
  const routerA: LabRouter = {
    asn: 65001,
    routerId: "127.0.0.1",
    address: "127.0.0.1",
    bgpPort: freePort("127.0.0.1"),
    apiPort: freePort("127.0.0.1"),
  };
  const routerB: LabRouter = {
    asn: 65002,
    routerId: "127.0.0.2",
    address: "127.0.0.2",
    bgpPort: freePort("127.0.0.2"),
    apiPort: freePort("127.0.0.1"),
  };
  const routes = labRoutes();
  const withdrawn = labWithdrawals(routes);
  const phaseAt = {} as Record<ScenarioPhase, number>;
  const phase = async (p: ScenarioPhase) => {
    phaseAt[p] = Date.now() - t0;
    log(`phase ${p} at ${phaseAt[p]} ms`);
    await opts.onPhase?.({
      phase: p,
      routes,
      withdrawn,
      routerA,
      routerB,
      remainingMs: deadline - Date.now(),
    });
  };

  const dir = await Deno.makeTempDir({ prefix: "bmpmon-gobgp-" });
  const daemons: Daemon[] = [];
  const alive = () => daemons.forEach((d) => d.assertRunning());
  try {
    await Deno.writeTextFile(
      `${dir}/a.toml`,
      routerAConfig(routerA, routerB, {
        host: opts.collectorHost,
        port: opts.collectorPort,
        sysName,
        sysDescr,
        stats: opts.statisticsTimeout ?? 15,
      }),
    );
    await Deno.writeTextFile(`${dir}/b.toml`, routerBConfig(routerA, routerB));
    const lifetime = opts.maxLifetimeSec ?? 90;
    const start = (name: string, r: LabRouter) => {
      const d = new Daemon(name, `${dir}/${name}.log`, [
        "-f",
        `${dir}/${name}.toml`,
        "--api-hosts",
        `127.0.0.1:${r.apiPort}`,
        "--pprof-disable",
        "--log-plain",
      ], lifetime);
      daemons.push(d);
      log(`gobgpd ${name} started (pid ${d.pid}), API port ${r.apiPort}, BGP port ${r.bgpPort}`);
      return d;
    };
    start("b", routerB);
    start("a", routerA);
    const apiUp = (r: LabRouter) =>
      until(`gRPC of ${r.routerId}`, deadline, alive, async () => {
        await gobgp(r.apiPort, ["global"], 2000);
        return true;
      });
    await Promise.all([apiUp(routerA), apiUp(routerB)]);

    // GoBGP's first connect attempt comes 5-10 s after start.
    await until("the BGP session A-B", Math.min(deadline, Date.now() + 25_000), alive, async () => {
      const n = await neighborOfA(routerA, routerB);
      const s = n.state?.session_state;
      return s === BGP_ESTABLISHED || s === "ESTABLISHED" ? true : undefined;
    }, 200);
    await phase("established");

    await inParallel(routes, 8, (r) => gobgp(routerB.apiPort, ["global", "rib", "add", ...r.cli]));
    const all = countByFamily(routes);
    await until("every route in A's Adj-RIB-In", deadline, alive, async () => {
      const got = received(await neighborOfA(routerA, routerB));
      return JSON.stringify(got) === JSON.stringify(all) ? true : undefined;
    });
    await phase("announced");

    await inParallel(
      withdrawn,
      8,
      (r) => gobgp(routerB.apiPort, ["global", "rib", "del", ...r.cli]),
    );
    const left = countByFamily(routes.filter((r) => !withdrawn.includes(r)));
    await until("the withdrawals in A's Adj-RIB-In", deadline, alive, async () => {
      const got = received(await neighborOfA(routerA, routerB));
      return JSON.stringify(got) === JSON.stringify(left) ? true : undefined;
    });
    await phase("withdrawn");

    // B shuts the session: A receives Cease / Administrative Shutdown (Peer Down reason 3).
    await gobgp(routerB.apiPort, [
      "neighbor",
      routerA.address,
      "shutdown",
      "--reason",
      SHUTDOWN_TEXT,
    ]);
    await until("the session down on A", deadline, alive, async () => {
      const s = (await neighborOfA(routerA, routerB)).state?.session_state;
      return s !== BGP_ESTABLISHED && s !== "ESTABLISHED" ? true : undefined;
    });
    await phase("peer-down");

    // Removing the BMP server makes A send a Termination and close the BMP session.
    const host = opts.collectorHost.includes(":") ? `[${opts.collectorHost}]` : opts.collectorHost;
    await gobgp(routerA.apiPort, ["bmp", "del", `${host}:${opts.collectorPort}`]);
    await phase("terminated");

    return {
      routerA,
      routerB,
      sysName,
      sysDescr,
      routes,
      withdrawn,
      policyCommunity: POLICY_COMMUNITY,
      shutdownCommunication: SHUTDOWN_TEXT,
      phaseAt,
    };
  } catch (e) {
    await Promise.all(daemons.map((d) => d.stop()));
    const logs = await Promise.all(
      daemons.map(async (d) => `--- gobgpd ${d.name} log (tail) ---\n${await tail(d.logPath)}`),
    );
    throw new Error(`${(e as Error).message}\n${logs.join("\n")}`, { cause: e });
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
