/**
 * Link-layer helpers of the capture reader (`pcap.ts`): EtherTypes and MPLS label stacks
 * between the frame header and the IP packet.
 *
 * @module
 */

/** Maps an EtherType to 4 or 6, 0x8847 for MPLS, or -1 for anything else. */
export function etherFamily(type: number): number {
  if (type === 0x0800) return 4;
  if (type === 0x86dd) return 6;
  if (type === 0x8847) return 0x8847;
  return -1;
}

/** Skips an MPLS label stack; returns -1 when it runs past the frame. */
export function skipMpls(bytes: Uint8Array, p: number, end: number): number {
  while (p + 4 <= end) {
    const bottom = bytes[p + 2] & 1;
    p += 4;
    if (bottom) return p;
  }
  return -1;
}
