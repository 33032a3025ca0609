/**
 * Flow Specification NLRI (SAFI 133, and 134 with an RD in front): RFC 8955 §4 for IPv4,
 * RFC 8956 §3 for IPv6.
 *
 * ```text
 * [Path Identifier (4)] Length (1, or 2 as 0xfnnn when >= 240) | [RD (8), SAFI 134]
 *   | Component ... (types strictly increasing)
 * prefix component (1, 2), IPv4: Type (1) | Prefix Length (1) | Prefix (var)
 * prefix component (1, 2), IPv6: Type (1) | Prefix Length (1) | Offset (1) | Pattern (var)
 * numeric / bitmask component:   Type (1) | { Operator (1) | Value (1, 2, 4 or 8) } ...
 * numeric operator:  e a len(2) 0 lt gt eq        bitmask operator: e a len(2) 0 0 not m
 * ```
 *
 * Types: 1 destination, 2 source, 3 IP protocol (IPv6: next header), 4 port,
 * 5 destination port, 6 source port, 7 ICMP type, 8 ICMP code, 9 TCP flags,
 * 10 packet length, 11 DSCP, 12 fragment, 13 flow label (IPv6 only). The text form is the
 * conventional one: `destination 10.0.0.0/24 protocol ==6 port >=80&<=90`; `&` joins
 * AND-ed operators, a space OR-ed ones.
 *
 * @module
 */

import { DecodeError } from "../../wire/errors.ts";
import { ipv4, ipv6 } from "../../wire/ip.ts";
import type { WireReader } from "../../wire/reader.ts";
import { routeDistinguisher } from "../rd.ts";
import type { Nlri } from "./types.ts";

/** Flow Specification component types (IANA "Flow Spec Component Types"). */
export const FlowspecComponentType = {
  DestinationPrefix: 1,
  SourcePrefix: 2,
  IpProtocol: 3,
  Port: 4,
  DestinationPort: 5,
  SourcePort: 6,
  IcmpType: 7,
  IcmpCode: 8,
  TcpFlags: 9,
  PacketLength: 10,
  Dscp: 11,
  Fragment: 12,
  FlowLabel: 13,
} as const;

/** Component names of the text form, by type. */
export const FLOWSPEC_COMPONENT_NAMES: readonly string[] = [
  "",
  "destination",
  "source",
  "protocol",
  "port",
  "destination-port",
  "source-port",
  "icmp-type",
  "icmp-code",
  "tcp-flags",
  "packet-length",
  "dscp",
  "fragment",
  "label",
];

/** One operator/value pair of a numeric or bitmask component. */
export interface FlowspecOp {
  /** AND with the previous pair (the `a` bit); false means OR. */
  and: boolean;
  /** Numeric: `==`, `>`, `>=`, `<`, `<=`, `!=`, `true`, `false`. Bitmask: `=` (match),
   * `!` (not), `!=` (not match) or `` (any of the bits). */
  op: string;
  value: number;
}

/** One component of a flow specification. */
export interface FlowspecComponent {
  type: number;
  /** Prefix components: CIDR text of the pattern placed at its bit position. */
  prefix?: string;
  /** IPv6 prefix components: the offset in bits (RFC 8956 §3.1), when not 0. */
  offset?: number;
  /** Numeric and bitmask components. */
  ops?: FlowspecOp[];
}

/** A decoded flow specification. */
export interface FlowspecRule {
  /** Route Distinguisher (SAFI 134). */
  rd?: string;
  components: FlowspecComponent[];
  /** The conventional text form, also the route key. */
  text: string;
}

const NUMERIC_OPS = ["false", "==", ">", ">=", "<", "<=", "!=", "true"];
const BITMASK_OPS = ["", "=", "!", "!="];
const TCP_FLAG_LETTERS = "FSRPAUEC"; // bits 0x01 FIN ... 0x80 CWR (RFC 8955 §4.2.2.9)
const FRAGMENT_NAMES = ["dont-fragment", "is-fragment", "first-fragment", "last-fragment"];

function isBitmask(type: number): boolean {
  return type === FlowspecComponentType.TcpFlags || type === FlowspecComponentType.Fragment;
}

/** Reads the prefix component at `r.pos` (after its type byte). */
function prefixComponent(r: WireReader, afi: number, type: number): FlowspecComponent {
  const at = r.pos;
  const bits = r.u8();
  if (afi !== 2) {
    if (bits > 32) {
      throw new DecodeError("bad-length", at, `Cannot decode flowspec prefix: length ${bits}`);
    }
    const n = (bits + 7) >> 3;
    r.need(n);
    const a = new Uint8Array(4);
    a.set(r.bytes.subarray(r.pos, r.pos + n));
    if (bits & 7) a[n - 1] &= (0xff << (8 - (bits & 7))) & 0xff;
    r.pos += n;
    return { type, prefix: `${ipv4(a, 0)}/${bits}` };
  }
  const offset = r.u8();
  if (bits > 128 || offset > bits) {
    throw new DecodeError(
      "bad-length",
      at,
      `Cannot decode flowspec IPv6 prefix: length ${bits}, offset ${offset}`,
    );
  }
  // RFC 8956 §3.1: the pattern holds bits [offset, length) of the address.
  const n = (bits - offset + 7) >> 3;
  r.need(n);
  const a = new Uint8Array(16);
  for (let i = 0; i < bits - offset; i++) {
    if (r.bytes[r.pos + (i >> 3)] & (0x80 >> (i & 7))) {
      const j = offset + i;
      a[j >> 3] |= 0x80 >> (j & 7);
    }
  }
  r.pos += n;
  const c: FlowspecComponent = { type, prefix: `${ipv6(a, 0)}/${bits}` };
  if (offset !== 0) c.offset = offset;
  return c;
}

/** Reads the operator/value pairs at `r.pos` up to the one with the end-of-list bit. */
function opsComponent(r: WireReader, type: number): FlowspecComponent {
  const bitmask = isBitmask(type);
  const ops: FlowspecOp[] = [];
  for (;;) {
    const at = r.pos;
    const op = r.u8();
    if (bitmask ? (op & 0x0c) !== 0 : (op & 0x08) !== 0) {
      throw new DecodeError(
        "bad-value",
        at,
        `Cannot decode flowspec operator 0x${op.toString(16)}`,
      );
    }
    const len = 1 << ((op >> 4) & 3);
    let value: number;
    if (len === 1) value = r.u8();
    else if (len === 2) value = r.u16();
    else if (len === 4) value = r.u32();
    else value = Number(r.u64());
    ops.push({
      and: (op & 0x40) !== 0,
      op: bitmask ? BITMASK_OPS[op & 3] : NUMERIC_OPS[op & 7],
      value,
    });
    if (op & 0x80) return { type, ops };
  }
}

function valueText(type: number, v: number): string {
  if (type === FlowspecComponentType.TcpFlags) {
    let s = "";
    for (let i = 0; i < 8; i++) if (v & (1 << i)) s += TCP_FLAG_LETTERS[i];
    return v > 0xff || s === "" ? `0x${v.toString(16)}` : s;
  }
  if (type === FlowspecComponentType.Fragment) {
    const names: string[] = [];
    for (let i = 0; i < 4; i++) if (v & (1 << i)) names.push(FRAGMENT_NAMES[i]);
    return v > 0x0f || names.length === 0 ? `0x${v.toString(16)}` : names.join("+");
  }
  return String(v);
}

/**
 * The conventional text of a component: `destination 10.0.0.0/24`,
 * `destination 2001:db8::/64 offset 8`, `port >=80&<=90`, `tcp-flags =S !=A`.
 *
 * @param c the component
 * @returns its text
 *
 * @example
 * ```ts
 * import { flowspecComponentText } from "./flowspec.ts";
 * const t = flowspecComponentText({ type: 4, ops: [
 *   { and: false, op: ">=", value: 80 }, { and: true, op: "<=", value: 90 }] });
 * if (t !== "port >=80&<=90") throw new Error(t);
 * ```
 */
export function flowspecComponentText(c: FlowspecComponent): string {
  let s = FLOWSPEC_COMPONENT_NAMES[c.type] ?? `type-${c.type}`;
  if (c.prefix !== undefined) {
    s += " " + c.prefix;
    if (c.offset) s += ` offset ${c.offset}`;
    return s;
  }
  const ops = c.ops ?? [];
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i];
    s += (i === 0 ? " " : o.and ? "&" : " ") + o.op;
    if (o.op !== "true" && o.op !== "false") s += valueText(c.type, o.value);
  }
  return s;
}

/**
 * Decodes one flow specification of `len` bytes at `r.pos` (after its length field).
 *
 * @throws {DecodeError} for an unknown component type (its length cannot be known), a
 *   type out of order (RFC 8955 §4.2), or a field that crosses the NLRI length
 */
export function decodeFlowspec(r: WireReader, afi: number, vpn: boolean): FlowspecRule {
  const rule: FlowspecRule = { components: [], text: "" };
  if (vpn) {
    r.need(8);
    rule.rd = routeDistinguisher(r.bytes, r.pos);
    r.pos += 8;
  }
  let last = 0;
  let text = "";
  while (r.pos < r.end) {
    const at = r.pos;
    const type = r.u8();
    const max = afi === 2 ? 13 : 12;
    if (type === 0 || type > max) {
      throw new DecodeError("bad-type", at, `Cannot decode flowspec component type ${type}`);
    }
    if (type <= last) {
      throw new DecodeError(
        "bad-value",
        at,
        `Cannot decode flowspec: component type ${type} after ${last}`,
      );
    }
    last = type;
    const c = type <= 2 ? prefixComponent(r, afi, type) : opsComponent(r, type);
    rule.components.push(c);
    text += (text ? " " : "") + flowspecComponentText(c);
  }
  rule.text = text;
  return rule;
}

/**
 * Reads Flow Specification NLRI from `r` up to `r.end` into `out`; the route key is the
 * text form (plus the RD column for SAFI 134).
 *
 * @param afi 1 or 2: the address family of the prefix components
 * @param vpn SAFI 134: each NLRI starts with a Route Distinguisher
 */
export function decodeFlowspecNlri(
  r: WireReader,
  afi: number,
  vpn: boolean,
  addPath: boolean,
  out: Nlri[],
): void {
  while (r.pos < r.end) {
    const pathId = addPath ? r.u32() : undefined;
    const at = r.pos;
    let len = r.u8();
    if (len >= 0xf0) len = ((len & 0x0f) << 8) | r.u8();
    if (len === 0) {
      throw new DecodeError("bad-length", at, "Cannot decode flowspec NLRI: length 0");
    }
    const outer = r.enter(len);
    const flowspec = decodeFlowspec(r, afi, vpn);
    r.leave(outer);
    const n: Nlri = { prefix: "", key: flowspec.text, flowspec };
    if (flowspec.rd !== undefined) n.rd = flowspec.rd;
    if (pathId !== undefined) n.pathId = pathId;
    out.push(n);
  }
}

/** Flowspec actions among extended community texts (RFC 8955 §7, see
 * `extendedCommunityText`): traffic-rate, traffic-rate-packets, traffic-action, redirect,
 * traffic-marking. */
export function flowspecActions(extendedCommunities: readonly string[]): string[] {
  return extendedCommunities.filter((c) => c.startsWith("traffic-") || c.startsWith("redirect"));
}
