/**
 * Seed messages of the families of issue 16 for the fuzz tests: Flowspec (IPv4 RFC 8955
 * examples, IPv6 with an offset, VPN), RTC, SR Policy with the Tunnel Encapsulation
 * attribute, MUP route types 1-4, and their withdrawals.
 *
 * @module
 */

import * as b from "../_build.ts";

/** One Route Monitoring message per family and a withdrawal of each. */
export function familySeeds(): Uint8Array[] {
  const base = [b.origin(0), b.asPath([65002])];
  const rm = (attrs: Uint8Array[]) => b.routeMonitoring(b.update({ attrs }));
  const rule = (hex: string) => {
    const r = b.fromHex(hex);
    return b.cat([r.length], r);
  };
  const flow4 = [
    rule("0118c00002038106048119"),
    rule("0118c000020218cb0071040389458b911f90"),
    rule("0218c6336407810808810009010283100a9505dc0b812e0c8005"),
  ];
  const flow6 = [rule("01200020010db8026840123456789a038106"), rule("0da100012345")];
  const flowVpn = [b.cat([14], b.rd0(65000, 1), b.fromHex("0120c6336401"))];
  const rtc = [
    b.cat([96], b.u32(65002), [0, 2, 0xfd, 0xe8, 0, 0, 0, 100]),
    [0],
    b.cat([48], b.u32(65002), [0, 2]),
  ];
  const srp = [b.cat([96], b.u32(2), b.u32(100), b.ip4("10.0.0.9"))];
  const sub = (type: number, ...v: number[][]) => {
    const x = v.flat();
    return b.cat([type], type >= 128 ? b.u16(x.length) : [x.length], x);
  };
  const policy = b.cat(
    sub(12, [0, 0], b.u32(200)),
    sub(13, [0x80, 0], b.u32(24000 << 12)),
    sub(128, [0], [...sub(9, [0, 0], b.u32(10))], [...sub(1, [0, 0], b.u32(16001 << 12))], [
      ...sub(13, [0, 0], b.ip6("2001:db8::100")),
    ]),
    sub(14, [0, 0, 1]),
    sub(15, [7, 0]),
    sub(130, [0], [...b.text("to-pe2")]),
  );
  const encap = b.attr(23, b.cat(b.u16(15), b.u16(policy.length), policy), 0xc0);
  const rd = b.rd0(100, 100);
  const mupRoute = (t: number, ...body: number[][]) => {
    const x = body.flat();
    return b.cat([1], b.u16(t), [x.length], x);
  };
  const mup = [
    mupRoute(1, rd, [24, 10, 0, 0]),
    mupRoute(2, rd, b.ip4("10.0.0.1")),
    mupRoute(3, rd, [32], b.ip4("192.168.0.1"), b.u32(12345), [9], [32], b.ip4("10.0.0.2")),
    mupRoute(4, rd, [64], b.ip4("10.0.0.3"), b.u32(12345)),
  ];
  const nh = b.ip4("192.0.2.2");
  return [
    rm([
      ...base,
      b.mpReach(1, 133, [], flow4),
      b.extCommunities(
        [0x80, 6, 0, 0, 0x48, 0x43, 0x50, 0],
        [0x80, 7, 0, 0, 0, 0, 0, 3],
        [0x81, 8, 192, 0, 2, 1, 0, 7],
        [0x80, 9, 0, 0, 0, 0, 0, 46],
      ),
    ]),
    rm([...base, b.mpReach(2, 133, [], flow6)]),
    rm([...base, b.mpReach(1, 134, [], flowVpn)]),
    rm([...base, b.mpReach(1, 132, nh, rtc)]),
    rm([...base, b.mpReach(1, 73, nh, srp), b.extCommunities([1, 2, ...nh, 0, 0]), encap]),
    rm([...base, b.mpReach(1, 85, nh, mup), b.extCommunities([0x0c, 0, 0, 10, 0, 0, 0, 10])]),
    rm([b.mpUnreach(1, 133, flow4.slice(0, 1))]),
    rm([b.mpUnreach(1, 132, rtc.slice(0, 1))]),
    rm([b.mpUnreach(1, 73, srp)]),
    rm([b.mpUnreach(1, 85, mup.slice(2))]),
  ];
}
