import type { Sql } from "postgres";

/**
 * Test helper: a deterministic VRP set for a list of routes, planned so that routes fall
 * into the four outcomes of RFC 6811 §2 in known proportions, and its JSON in the form
 * rpki-client, Routinator and stayrtr read (`{"roas": [{prefix, maxLength, asn, ta}]}`).
 *
 * A route's plan depends on its prefix and origin only (a hash), not on the list's order:
 *
 * | plan             | VRPs made                                                        |
 * | ---------------- | ---------------------------------------------------------------- |
 * | `valid`          | the prefix, its origin, max length = its length (1 in 6: the     |
 * |                  | parent 2 bits up with max length = its length; 1 in 5 also a     |
 * |                  | second VRP of another ASN)                                       |
 * | `invalid-as`     | the prefix with another ASN (1 in 8: AS 0, RFC 6483 §4)          |
 * | `invalid-length` | the parent 1 bit up, its origin, max length = the parent's       |
 * | `not-found`      | none                                                             |
 *
 * A VRP covers more than its planned route (the parent of an `invalid-length` plan also
 * covers the sibling), so the outcomes are near the plan, not equal to it: the acceptance
 * test compares states with RTRlib's, route by route, and prints both counts.
 *
 * @module
 */

/** A route to plan for: prefix text (`a.b.c.d/n`, `x::/n`) and origin AS. */
export interface RouteOrigin {
  prefix: string;
  origin: number;
}

/** One validated ROA payload (RFC 6811 §2). */
export interface Vrp {
  prefix: string;
  maxLength: number;
  asn: number;
}

/** The planned outcomes. */
export type Plan = "valid" | "invalid-as" | "invalid-length" | "not-found";

/** Percentages of the plans (sum 100). */
export const DEFAULT_SHARES: Record<Plan, number> = {
  "valid": 45,
  "invalid-as": 15,
  "invalid-length": 10,
  "not-found": 30,
};

/** The shortest VRP made (and routes shorter than it + 2 get none). */
export const MIN_VRP_LENGTH = { ipv4: 8, ipv6: 19 } as const;

/** FNV-1a, 32 bits. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The network of `prefix` with `len` bits (len ≤ its length), as text. */
export function parentPrefix(prefix: string, len: number): string {
  const [addr] = prefix.split("/");
  if (addr.includes(":")) {
    const words = expand6(addr);
    const out: number[] = [];
    for (let i = 0; i < 8; i++) {
      const keep = Math.max(0, Math.min(16, len - i * 16));
      out.push(keep === 0 ? 0 : (words[i] & (0xffff << (16 - keep))) & 0xffff);
    }
    return `${compress6(out)}/${len}`;
  }
  const b = addr.split(".").map(Number);
  const v = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  const m = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const n = (v & m) >>> 0;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${len}`;
}

function expand6(a: string): number[] {
  const [head, tail] = a.includes("::") ? a.split("::") : [a, undefined];
  const h = head ? head.split(":").map((x) => parseInt(x, 16)) : [];
  const t = tail ? tail.split(":").map((x) => parseInt(x, 16)) : [];
  if (tail === undefined) return h;
  return [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
}

function compress6(w: number[]): string {
  // Plain form without `::` shortening is valid input for every tool used here.
  return w.map((x) => x.toString(16)).join(":");
}

/** The plan of one route under `shares`. */
export function planOf(r: RouteOrigin, shares: Record<Plan, number> = DEFAULT_SHARES): Plan {
  let x = hash(`${r.prefix} ${r.origin}`) % 100;
  for (const p of ["valid", "invalid-as", "invalid-length", "not-found"] as Plan[]) {
    if (x < shares[p]) return p;
    x -= shares[p];
  }
  return "not-found";
}

/**
 * VRPs for `routes` following their plans, deduplicated, in a stable order.
 *
 * @returns the VRPs and how many routes got each plan
 */
export function buildVrps(
  routes: readonly RouteOrigin[],
  shares: Record<Plan, number> = DEFAULT_SHARES,
): { vrps: Vrp[]; planned: Record<Plan, number> } {
  const planned: Record<Plan, number> = {
    "valid": 0,
    "invalid-as": 0,
    "invalid-length": 0,
    "not-found": 0,
  };
  const out = new Map<string, Vrp>();
  const add = (prefix: string, maxLength: number, asn: number) => {
    out.set(`${prefix} ${maxLength} ${asn}`, { prefix, maxLength, asn });
  };
  for (const r of routes) {
    const len = Number(r.prefix.split("/")[1]);
    // No ROA covers a default or a very short route in practice (and one would cover the
    // whole table): those stay not covered, and no VRP is shorter than MIN_VRP_LENGTH.
    const min = r.prefix.includes(":") ? MIN_VRP_LENGTH.ipv6 : MIN_VRP_LENGTH.ipv4;
    const plan: Plan = len < min + 2 ? "not-found" : planOf(r, shares);
    planned[plan]++;
    const h = hash(r.prefix);
    const other = r.origin === 4294967295 ? 1 : r.origin + 1;
    switch (plan) {
      case "valid":
        if (h % 6 === 0) add(parentPrefix(r.prefix, len - 2), len, r.origin);
        else add(parentPrefix(r.prefix, len), len, r.origin);
        if (h % 5 === 0) add(parentPrefix(r.prefix, len), len, other);
        break;
      case "invalid-as":
        add(parentPrefix(r.prefix, len), len, h % 8 === 0 ? 0 : other);
        break;
      case "invalid-length":
        add(parentPrefix(r.prefix, len - 1), len - 1, r.origin);
        break;
    }
  }
  const vrps = [...out.values()].sort((a, b) =>
    a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : a.asn - b.asn || a.maxLength - b.maxLength
  );
  return { vrps, planned };
}

/** The VRP JSON of rpki-client / stayrtr (`-cache FILE`). */
export function vrpJson(vrps: readonly Vrp[]): string {
  return JSON.stringify({
    metadata: { buildtime: "2026-12-01T00:00:00Z", vrps: vrps.length },
    roas: vrps.map((v) => ({
      prefix: v.prefix,
      maxLength: v.maxLength,
      asn: `AS${v.asn}`,
      ta: "bmpmon-test",
    })),
  });
}

/**
 * Writes `vrps` into rpki_vrps under `source` and marks the source current (what the RTR
 * engineer's store does after a Reset Query; here straight from the file).
 */
export async function insertVrps(sql: Sql, source: string, vrps: readonly Vrp[]): Promise<void> {
  for (let i = 0; i < vrps.length; i += 50_000) {
    const c = vrps.slice(i, i + 50_000);
    await sql.unsafe(
      `INSERT INTO rpki_vrps (source, prefix, max_length, asn)
       SELECT $1, p, m, a FROM unnest($2::cidr[], $3::smallint[], $4::bigint[]) AS u(p, m, a)`,
      [source, c.map((v) => v.prefix), c.map((v) => v.maxLength), c.map((v) => v.asn)] as never[],
    );
  }
  await sql.unsafe(
    `INSERT INTO rpki_sources (source, state, vrps, updated_at) VALUES ($1, 'current', $2, now())
     ON CONFLICT (source) DO UPDATE SET state = 'current', vrps = $2, updated_at = now()`,
    [source, vrps.length] as never[],
  );
}
