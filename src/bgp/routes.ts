/**
 * The routes an UPDATE carries, across its IPv4 fields and MP attributes.
 *
 * @module
 */

import type { Nlri } from "./nlri/types.ts";
import type { BgpUpdate } from "./update.ts";

/** Called once per NLRI: `withdrawn` true for withdrawals. */
export type RouteVisitor = (
  afi: number,
  safi: number,
  withdrawn: boolean,
  nlri: Nlri,
  nextHop: string | undefined,
) => void;

/**
 * Visits every route of `u` as it was sent: withdrawals first (IPv4 field, then
 * MP_UNREACH_NLRI), then announcements (MP_REACH_NLRI, then the IPv4 NLRI field).
 */
export function forEachRoute(u: BgpUpdate, visit: RouteVisitor): void {
  for (const n of u.withdrawn) visit(1, 1, true, n, undefined);
  const un = u.attributes.mpUnreach;
  if (un) { for (const n of un.nlri) visit(un.afi, un.safi, true, n, undefined); }
  const reach = u.attributes.mpReach;
  if (reach) { for (const n of reach.nlri) visit(reach.afi, reach.safi, false, n, reach.nextHop); }
  const nh = u.attributes.nextHop;
  for (const n of u.nlri) visit(1, 1, false, n, nh);
}
