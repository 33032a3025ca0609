/**
 * The routes of the GoBGP lab scenario (see `_gobgp.ts`): what router B announces and
 * withdraws, and the route keys each BMP view of router A must then carry.
 *
 * @module
 */

/** The families the lab uses, named as bmpmon names them. */
export type LabFamily = "ipv4_unicast" | "ipv6_unicast" | "l2vpn_evpn";

/** EVPN fields of an injected route, as a decoder following RFC 7432 reads them. */
export interface InjectedEvpn {
  routeType: 2 | 3 | 5;
  /** RD as bmpmon prints it (`0:65002:10`); the CLI gets it without the type. */
  rd: string;
  ethernetTag: number;
  /** MAC (type 2). */
  mac?: string;
  /** Host address (type 2), originating router (type 3). */
  ip?: string;
  /** IP prefix (type 5). */
  prefix?: string;
  /** Gateway (type 5). */
  gateway?: string;
  /**
   * 20-bit MPLS label values. GoBGP 3.10 writes the CLI's `label N` as the whole 3-octet
   * field (VNI style, RFC 8365), so the CLI is given `label * 16` and the label reads back
   * with EXP 0 and S 0.
   */
  labels: number[];
  /** Route targets, `asn:value` (extended communities `rt:asn:value`). */
  routeTargets: string[];
  /** PMSI_TUNNEL (type 3); `label` as a 20-bit label, like `labels`. */
  pmsi?: { tunnelType: number; label: number; tunnelId: string };
}

/** One route announced by router B. */
export interface InjectedRoute {
  family: LabFamily;
  /**
   * Identity within the family: the prefix for unicast; for EVPN
   * `2|rd|etag|mac|ip`, `3|rd|etag|ip` or `5|rd|etag|prefix`.
   */
  key: string;
  /** Unicast prefix. */
  prefix?: string;
  /**
   * The next hop B sends: GoBGP keeps the next hop given to `rib add` on eBGP. Without
   * one B would send its own address, 127.0.0.2, and A drops IPv4 UPDATEs with a loopback
   * NEXT_HOP ("invalid nexthop address", treat-as-withdraw), hence 192.0.2.x / 2001:db8::fe.
   */
  nextHop: string;
  med?: number;
  /** RFC 1997 communities as `asn:value`, in the order given to the CLI. */
  communities: string[];
  /** Large communities as `ga:ld1:ld2`. */
  largeCommunities: string[];
  evpn?: InjectedEvpn;
  /** True when router A's import policy rejects it (absent from post-policy and Loc-RIB). */
  rejected: boolean;
  /** The `gobgp global rib add` / `del` arguments. */
  cli: string[];
}

/** The community router A's import policy adds to every accepted route. */
export const POLICY_COMMUNITY = "65001:999";

/** GoBGP writes a CLI label as the whole 3-octet field; see {@linkcode InjectedEvpn.labels}. */
const cliLabel = (label: number) => String(label * 16);

function unicast(
  family: "ipv4_unicast" | "ipv6_unicast",
  prefix: string,
  nextHop: string,
  communities: string[],
  opts: { med?: number; large?: string[]; rejected?: boolean } = {},
): InjectedRoute {
  const cli = [prefix, "nexthop", nextHop];
  if (opts.med !== undefined) cli.push("med", String(opts.med));
  if (communities.length) cli.push("community", communities.join(","));
  if (opts.large?.length) cli.push("large-community", opts.large.join(","));
  cli.push("-a", family === "ipv4_unicast" ? "ipv4" : "ipv6");
  return {
    family,
    key: prefix,
    prefix,
    nextHop,
    med: opts.med,
    communities,
    largeCommunities: opts.large ?? [],
    rejected: opts.rejected ?? false,
    cli,
  };
}

const EVPN_NEXT_HOP = "192.0.2.254";

/**
 * Our typed RD text (`0:65002:10`) in the form GoBGP's CLI takes (`65002:10`): the CLI
 * picks the type from the form, and every lab RD has a 2-byte ASN, so type 0.
 */
function gobgpRd(rd: string): string {
  if (!rd.startsWith("0:")) throw new RangeError(`Cannot give GoBGP RD ${rd}: not type 0`);
  return rd.slice(2);
}

function evpn(e: InjectedEvpn): InjectedRoute {
  const etag = ["etag", String(e.ethernetTag)];
  const labels = e.labels.length ? ["label", e.labels.map(cliLabel).join(",")] : [];
  let key: string;
  let cli: string[];
  switch (e.routeType) {
    case 2:
      key = `2|${e.rd}|${e.ethernetTag}|${e.mac}|${e.ip ?? ""}`;
      cli = ["macadv", e.mac!, e.ip!, ...etag, ...labels];
      break;
    case 3:
      key = `3|${e.rd}|${e.ethernetTag}|${e.ip}`;
      cli = ["multicast", e.ip!, ...etag];
      if (e.pmsi) {
        if (e.pmsi.tunnelType !== 6) throw new RangeError("Cannot add PMSI: not ingress-repl");
        cli.push("pmsi", "ingress-repl", cliLabel(e.pmsi.label), e.pmsi.tunnelId);
      }
      break;
    case 5:
      key = `5|${e.rd}|${e.ethernetTag}|${e.prefix}`;
      cli = ["prefix", e.prefix!, "gw", e.gateway!, ...etag, ...labels];
      break;
  }
  return {
    family: "l2vpn_evpn",
    key,
    nextHop: EVPN_NEXT_HOP,
    communities: [],
    largeCommunities: [],
    evpn: e,
    rejected: false,
    cli: [
      ...cli,
      "rd",
      gobgpRd(e.rd),
      ...e.routeTargets.flatMap((rt) => ["rt", rt]),
      "nexthop",
      EVPN_NEXT_HOP,
      "-a",
      "evpn",
    ],
  };
}

/**
 * The routes B announces (39): 20 IPv4 /24 (MED on two thirds, one or two communities,
 * a large community on every fourth, next hop 192.0.2.254 or .253), 4 IPv4 /32 (rejected
 * by A), 8 IPv6 (/48, /64, /128) and 7 EVPN: 3 MAC/IP (one with an IPv6 host),
 * 2 inclusive multicast (one with a PMSI tunnel), 2 IP prefix (one IPv6).
 */
export function labRoutes(): InjectedRoute[] {
  const routes: InjectedRoute[] = [];
  for (let i = 0; i < 20; i++) {
    const communities = [`65002:${100 + i}`];
    if (i % 5 === 0) communities.push("65002:1000");
    const nextHop = i % 2 ? "192.0.2.253" : "192.0.2.254";
    routes.push(unicast("ipv4_unicast", `10.64.${i}.0/24`, nextHop, communities, {
      med: i % 3 ? i * 10 : undefined,
      large: i % 4 === 0 ? [`65002:1:${i}`] : undefined,
    }));
  }
  for (let i = 1; i <= 4; i++) {
    const p = `198.51.100.${i}/32`;
    routes.push(unicast("ipv4_unicast", p, "192.0.2.254", ["65002:32"], { rejected: true }));
  }
  const v6 = ["100::/48", "101::/48", "102::/48", "103::/48", "104::/48", "105::/48"]
    .concat(["200:1::/64", "ffff::1/128"]);
  v6.forEach((p, i) =>
    routes.push(
      unicast("ipv6_unicast", `2001:db8:${p}`, "2001:db8::fe", [`65002:${600 + i}`], {
        med: i % 2 ? undefined : 60 + i,
      }),
    )
  );
  // Route target `65002:10` and RD type 0 `0:65002:10` (RFC 4364 §4.2) of one EVI.
  const rt = (asnValue: string) => ({ rd: `0:${asnValue}`, routeTargets: [asnValue] });
  const mac = (n: number, ip: string, ethernetTag: number, label: number, rd: string) =>
    evpn({
      routeType: 2,
      ...rt(rd),
      ethernetTag,
      mac: `02:00:00:00:00:0${n}`,
      ip,
      labels: [label],
    });
  routes.push(
    mac(1, "10.50.0.1", 100, 1000, "65002:10"),
    mac(2, "10.50.0.2", 100, 1001, "65002:10"),
    mac(3, "2001:db8:50::3", 200, 1002, "65002:20"),
    evpn({ routeType: 3, ...rt("65002:10"), ethernetTag: 100, ip: "192.0.2.254", labels: [] }),
    evpn({
      routeType: 3,
      ...rt("65002:20"),
      ethernetTag: 200,
      ip: "192.0.2.254",
      labels: [],
      pmsi: { tunnelType: 6, label: 3000, tunnelId: "192.0.2.254" },
    }),
    evpn({
      routeType: 5,
      ...rt("65002:30"),
      ethernetTag: 0,
      prefix: "10.60.0.0/24",
      gateway: "10.60.0.1",
      labels: [2000],
    }),
    evpn({
      routeType: 5,
      ...rt("65002:30"),
      ethernetTag: 0,
      prefix: "2001:db8:60::/64",
      gateway: "::",
      labels: [2001],
    }),
  );
  return routes;
}

/**
 * The routes B withdraws (10): 5 IPv4 /24, one rejected /32, 2 IPv6, one EVPN type 2
 * and one type 5.
 */
export function labWithdrawals(routes: readonly InjectedRoute[]): InjectedRoute[] {
  const keys = new Set([
    "10.64.0.0/24",
    "10.64.1.0/24",
    "10.64.2.0/24",
    "10.64.3.0/24",
    "10.64.4.0/24",
    "198.51.100.1/32",
    "2001:db8:100::/48",
    "2001:db8:ffff::1/128",
    "2|0:65002:10|100|02:00:00:00:00:02|10.50.0.2",
    "5|0:65002:30|0|10.60.0.0/24",
  ]);
  return routes.filter((r) => keys.has(r.key));
}

/** `family|key` of a route. */
export function familyKey(r: InjectedRoute): string {
  return `${r.family}|${r.key}`;
}

/** Route keys (`family|key`) one BMP view must show. */
export interface ViewExpectation {
  /** Announced (each at least once). */
  announced: Set<string>;
  /** Withdrawn while the session was up, i.e. B's explicit withdrawals as the view sees them. */
  withdrawnBySource: Set<string>;
  /** Withdrawn in total, once the session is down. */
  withdrawnInTotal: Set<string>;
}

/** The three views GoBGP sends with route-monitoring-policy "all". */
export type LabView = "pre" | "post" | "locRib";

/**
 * What each view must carry, in GoBGP 3.10's behaviour: pre-policy has every route B sent
 * and B's explicit withdrawals only (the Peer Down implies the rest); post-policy and
 * Loc-RIB lack the rejected routes, and when the session goes down GoBGP withdraws every
 * remaining route in them.
 */
export function expectedViews(
  r: { routes: readonly InjectedRoute[]; withdrawn: readonly InjectedRoute[] },
): Record<LabView, ViewExpectation> {
  const keys = (rs: readonly InjectedRoute[]) => new Set(rs.map(familyKey));
  const accepted = r.routes.filter((x) => !x.rejected);
  const policy = () => ({
    announced: keys(accepted),
    withdrawnBySource: keys(r.withdrawn.filter((x) => !x.rejected)),
    withdrawnInTotal: keys(accepted),
  });
  return {
    pre: {
      announced: keys(r.routes),
      withdrawnBySource: keys(r.withdrawn),
      withdrawnInTotal: keys(r.withdrawn),
    },
    post: policy(),
    locRib: policy(),
  };
}
