/**
 * IPv4/IPv6 address and prefix text, formatted straight from wire bytes.
 *
 * IPv4 uses a 0-255 lookup table (the hot path of a full-table load); IPv6 follows
 * RFC 5952 (lower case, longest run of zero groups compressed).
 *
 * @module
 */

const OCTET: string[] = Array.from({ length: 256 }, (_, i) => String(i));
const HEX16: string[] = [];
for (let i = 0; i < 65536; i++) HEX16.push(i.toString(16));

/** Formats 4 bytes at `off` as dotted-quad IPv4. */
export function ipv4(b: Uint8Array, off: number): string {
  return OCTET[b[off]] + "." + OCTET[b[off + 1]] + "." + OCTET[b[off + 2]] + "." +
    OCTET[b[off + 3]];
}

/** Formats a 32-bit number as dotted-quad IPv4. */
export function ipv4FromNumber(n: number): string {
  return OCTET[n >>> 24] + "." + OCTET[(n >>> 16) & 255] + "." + OCTET[(n >>> 8) & 255] + "." +
    OCTET[n & 255];
}

/**
 * Formats 16 bytes at `off` as IPv6 text per RFC 5952, with IPv4-mapped addresses as
 * `::ffff:a.b.c.d`.
 *
 * @example
 * ```ts
 * import { ipv6 } from "./ip.ts";
 * const b = new Uint8Array(16); b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8; b[15] = 1;
 * if (ipv6(b, 0) !== "2001:db8::1") throw new Error("unexpected");
 * ```
 */
export function ipv6(b: Uint8Array, off: number): string {
  const g = new Array<number>(8);
  for (let i = 0; i < 8; i++) g[i] = (b[off + 2 * i] << 8) | b[off + 2 * i + 1];
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return "::ffff:" + ipv4(b, off + 12);
  }
  let bestStart = -1, bestLen = 1, runStart = -1;
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && g[i] === 0) {
      if (runStart < 0) runStart = i;
    } else if (runStart >= 0) {
      if (i - runStart > bestLen) {
        bestStart = runStart;
        bestLen = i - runStart;
      }
      runStart = -1;
    }
  }
  if (bestStart < 0) return g.map((x) => HEX16[x]).join(":");
  const head = g.slice(0, bestStart).map((x) => HEX16[x]).join(":");
  const tail = g.slice(bestStart + bestLen).map((x) => HEX16[x]).join(":");
  return head + "::" + tail;
}

/** Formats an address of 4 or 16 bytes; other lengths as hex. */
export function ipAddress(b: Uint8Array, off: number, len: number): string {
  if (len === 4) return ipv4(b, off);
  if (len === 16) return ipv6(b, off);
  return hex(b.subarray(off, off + len));
}

/** Lower-case hex of bytes. */
export function hex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
  return s;
}

const scratch = new Uint8Array(16);

/**
 * Formats a prefix whose `bits` significant bits start at `b[off]` (NLRI encoding:
 * ceil(bits/8) bytes). Bits beyond the length are masked off, as RFC 4271 requires the
 * receiver to ignore them.
 *
 * @param afi 1 (IPv4) or 2 (IPv6)
 */
export function prefixText(afi: number, b: Uint8Array, off: number, bits: number): string {
  const nBytes = (bits + 7) >> 3;
  if (afi === 1) {
    let a = 0, c = 0, d = 0, e = 0;
    if (nBytes > 0) a = b[off];
    if (nBytes > 1) c = b[off + 1];
    if (nBytes > 2) d = b[off + 2];
    if (nBytes > 3) e = b[off + 3];
    if ((bits & 7) !== 0) {
      const mask = (0xff << (8 - (bits & 7))) & 0xff;
      const last = nBytes - 1;
      if (last === 0) a &= mask;
      else if (last === 1) c &= mask;
      else if (last === 2) d &= mask;
      else e &= mask;
    }
    return OCTET[a] + "." + OCTET[c] + "." + OCTET[d] + "." + OCTET[e] + "/" + OCTET[bits];
  }
  scratch.fill(0);
  for (let i = 0; i < nBytes; i++) scratch[i] = b[off + i];
  if ((bits & 7) !== 0) scratch[nBytes - 1] &= (0xff << (8 - (bits & 7))) & 0xff;
  return ipv6(scratch, 0) + "/" + bits;
}

/** Largest prefix length for an AFI (IPv4 32, IPv6 128). */
export function maxPrefixBits(afi: number): number {
  return afi === 1 ? 32 : afi === 2 ? 128 : 0;
}
