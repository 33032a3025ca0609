/**
 * Test helpers: RIBs in one spelling, to compare what bmpmon stored with what bgpdump's
 * lines imply (addresses canonical, keys `peer|prefix|path id`, values the AS path).
 *
 * Implied RIB: a `B` or `A` line sets the route, a `W` line removes it, and a STATE line
 * leaving Established (6) removes the peer's routes.
 *
 * @module
 */

/** An address in one spelling: IPv6 as 8 full groups (bgpdump and PostgreSQL differ). */
export function canon(addr: string): string {
  if (!addr.includes(":")) return addr;
  let a = addr;
  if (a.includes(".")) {
    const i = a.lastIndexOf(":");
    const o = a.slice(i + 1).split(".").map(Number);
    a = `${a.slice(0, i)}:${((o[0] << 8) | o[1]).toString(16)}:${
      ((o[2] << 8) | o[3]).toString(16)
    }`;
  }
  const [h, t] = a.split("::");
  const head = h ? h.split(":") : [];
  const tail = t === undefined ? [] : t ? t.split(":") : [];
  const groups = t === undefined
    ? head
    : [...head, ...Array(8 - head.length - tail.length).fill("0"), ...tail];
  return groups.map((g) => parseInt(g, 16).toString(16)).join(":");
}

export const canonPrefix = (p: string) => {
  const [a, l] = p.split("/");
  return `${canon(a)}/${l}`;
};

/** `peer|prefix|path id` → AS path, from bgpdump -m lines. */
export function impliedRib(lines: string[]): Map<string, string> {
  const rib = new Map<string, string>();
  for (const l of lines) {
    const f = l.split("|");
    const peer = canon(f[3]);
    if (f[2] === "STATE") {
      if (f[5] === "6" && f[6] !== "6") {
        for (const k of [...rib.keys()]) if (k.startsWith(`${peer}|`)) rib.delete(k);
      }
      continue;
    }
    const ap = f[0].endsWith("_AP") ? 1 : 0;
    const key = `${peer}|${canonPrefix(f[5])}|${ap ? f[6] : 0}`;
    if (f[2] === "W") rib.delete(key);
    else rib.set(key, f[6 + ap]);
  }
  return rib;
}

/** The current RIB as SQL holds it (unicast and multicast without RD: what `bgpdump -m`
 * prints), keyed and spelled as {@linkcode impliedRib}; `where` narrows it (`r.router_id = 1`). */
export async function storedRib(
  sql: { unsafe(q: string): Promise<Record<string, unknown>[]> },
  where = "true",
): Promise<Map<string, string>> {
  const rows = await sql.unsafe(
    `SELECT host(p.address) AS peer, r.prefix::text AS prefix, r.path_id, a.as_path_text
       FROM rib r JOIN peers p ON p.id = r.peer_id
       LEFT JOIN path_attrs a ON a.id = r.attr_id
      WHERE NOT r.withdrawn AND r.safi IN (1, 2) AND r.rd = '' AND (${where})`,
  );
  const got = new Map<string, string>();
  for (const r of rows) {
    got.set(
      `${canon(String(r.peer))}|${canonPrefix(String(r.prefix))}|${r.path_id}`,
      String(r.as_path_text ?? ""),
    );
  }
  return got;
}

/** The first differences of two RIBs, for one readable assertion. */
export function ribDiff(got: Map<string, string>, want: Map<string, string>) {
  return {
    missing: [...want.keys()].filter((k) => !got.has(k)).slice(0, 5),
    extra: [...got.keys()].filter((k) => !want.has(k)).slice(0, 5),
    otherPath: [...want].filter(([k, v]) => got.has(k) && got.get(k) !== v).slice(0, 5),
  };
}
