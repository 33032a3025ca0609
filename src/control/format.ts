/**
 * Human output of the control CLI: aligned tables, byte sizes and durations.
 *
 * @module
 */

/**
 * Left-aligned columns separated by two spaces; numbers right-aligned.
 *
 * @example
 * ```ts
 * import { table } from "./format.ts";
 * const t = table(["ID", "Name"], [[1, "gobgp"], [12, "frr"]]);
 * if (t !== "ID  Name\n 1  gobgp\n12  frr") throw new Error(t);
 * ```
 */
export function table(header: string[], rows: unknown[][]): string {
  const text = rows.map((r) => r.map(cellText));
  const numeric = header.map((_, i) =>
    rows.length > 0 && rows.every((r) => typeof r[i] === "number" || r[i] === null)
  );
  const width = header.map((h, i) => Math.max(h.length, ...text.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => {
      const last = i === cells.length - 1;
      if (numeric[i]) return c.padStart(width[i]);
      return last ? c : c.padEnd(width[i]);
    }).join("  ").trimEnd();
  return [line(header), ...text.map(line)].join("\n");
}

/** A table cell as text: empty for null, JSON for objects, arrays space-separated. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.map(cellText).join(" ");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/**
 * Bytes in binary units with three significant digits.
 *
 * @example
 * ```ts
 * import { humanBytes } from "./format.ts";
 * if (humanBytes(465330) !== "454 KiB") throw new Error(humanBytes(465330));
 * if (humanBytes(512) !== "512 B") throw new Error("unexpected");
 * ```
 */
export function humanBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${n} B`;
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`;
}

/**
 * A duration in seconds as its two largest units: `12s`, `5m03s`, `3h04m`, `2d05h`.
 *
 * @example
 * ```ts
 * import { duration } from "./format.ts";
 * if (duration(3 * 3600 + 4 * 60 + 9) !== "3h04m") throw new Error("unexpected");
 * ```
 */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const two = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${two(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86400)}d${two(Math.floor(s / 3600) % 24)}h`;
}

/** Whole numbers with thousands separators: `4,439`. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** `key: value` lines with the keys padded to one width. */
export function fields(pairs: [string, unknown][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${(k + ":").padEnd(w + 1)} ${cellText(v)}`.trimEnd()).join("\n");
}

/**
 * RFC 4180 CSV: fields with commas, quotes or line breaks quoted, quotes doubled.
 *
 * @example
 * ```ts
 * import { csv } from "./format.ts";
 * if (csv(["a", "b"], [[1, 'x,"y"']]) !== 'a,b\r\n1,"x,""y"""\r\n') throw new Error("unexpected");
 * ```
 */
export function csv(header: string[], rows: unknown[][]): string {
  const field = (v: unknown) => {
    const s = cellText(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(field).join(",") + "\r\n").join("");
}

/**
 * Sender-quirk recoveries by cause as one line, for `show client` and `show client X peer Y`.
 *
 * @example
 * ```ts
 * import { recoveriesText } from "./format.ts";
 * const t = recoveriesText({ "add-path": 1200, "as-path-size": 2 });
 * if (t !== "add-path 1,200, as-path-size 2") throw new Error(t);
 * if (recoveriesText({}) !== "none") throw new Error("unexpected");
 * ```
 */
export function recoveriesText(r: Record<string, number>): string {
  const parts = Object.entries(r).map(([k, v]) => `${k} ${count(v)}`);
  return parts.length ? parts.join(", ") : "none";
}

/**
 * The merged capabilities of a peer's Peer Ups as `key: value` pairs for `fields()`.
 *
 * @example
 * ```ts
 * import { negotiatedFields } from "./format.ts";
 * const f = negotiatedFields({
 *   peer_ups: 2, four_octet_as: true, extended_message: false,
 *   families: ["ipv4_vpn"], add_path_in: ["ipv4_vpn"], add_path_out: [],
 * });
 * if (f[0][1] !== "2 Peer Ups: 4-octet AS, ipv4_vpn") throw new Error(String(f[0][1]));
 * ```
 */
export function negotiatedFields(
  n: {
    peer_ups: number;
    four_octet_as: boolean;
    extended_message: boolean;
    families: string[];
    add_path_in: string[];
    add_path_out: string[];
  },
): [string, unknown][] {
  const caps = [
    ...(n.four_octet_as ? ["4-octet AS"] : []),
    ...(n.extended_message ? ["extended message"] : []),
    ...n.families,
  ];
  const ups = `${n.peer_ups} Peer Up${n.peer_ups === 1 ? "" : "s"}`;
  return [
    ["negotiated", `${ups}: ${caps.join(", ") || "no capabilities"}`],
    ["add-path in", n.add_path_in.join(", ") || "none"],
    ["add-path out", n.add_path_out.join(", ") || "none"],
  ];
}
