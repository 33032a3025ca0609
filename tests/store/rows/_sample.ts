/** An attribute set the row tests share: a 4-byte ASN, an AS_SET at the end, communities. */
export const attributes = {
  origin: 0,
  asPath: [{ type: 2, asns: [65002, 4200000001] }, { type: 1, asns: [1, 2] }],
  nextHop: "192.0.2.254",
  communities: [0xffffff01, 65002 * 65536 + 7],
  largeCommunities: [[65002, 1, 2]] as [number, number, number][],
};
