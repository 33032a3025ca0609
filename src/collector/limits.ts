/**
 * The limits that keep one router, or one hostile peer on the network, from taking the
 * collector down: which addresses may connect, how many connections, how fast one
 * router's messages are decoded, and how many peers one router may announce.
 *
 * Pure bookkeeping: no sockets, no timers, no clock of its own (callers pass the time).
 *
 * @module
 */

/**
 * Why a limit was hit, with what is counted for each:
 * - `not_allowed`: connections refused, source address outside `ROUTER_ALLOW`;
 * - `max_connections`: connections refused, `MAX_CONNECTIONS` open already;
 * - `max_connections_per_address`: connections refused, `MAX_CONNECTIONS_PER_ADDRESS`
 *   open from that address already;
 * - `held_down`: connections refused, their address held down for flapping
 *   (`ROUTER_HOLDDOWN`, holddown.ts);
 * - `idle_timeout`: connections closed without a valid message within `IDLE_TIMEOUT_S`;
 * - `message_too_large`: connections closed on a message over `MAX_MESSAGE_BYTES`;
 * - `broken_framing`: connections closed on a header that breaks framing (version not 3
 *   or 4, length below 6);
 * - `rate_limited`: pauses of a connection's reads by its message rate limit;
 * - `peers_per_router`: messages dropped, their peer beyond `MAX_PEERS_PER_ROUTER`.
 */
export type LimitReason =
  | "not_allowed"
  | "max_connections"
  | "max_connections_per_address"
  | "held_down"
  | "idle_timeout"
  | "message_too_large"
  | "broken_framing"
  | "rate_limited"
  | "peers_per_router";

/** Every {@linkcode LimitReason}, in a stable order (for metrics). */
export const LIMIT_REASONS: readonly LimitReason[] = [
  "not_allowed",
  "max_connections",
  "max_connections_per_address",
  "held_down",
  "idle_timeout",
  "message_too_large",
  "broken_framing",
  "rate_limited",
  "peers_per_router",
];

/** The limits that refuse a connection before anything is read from it. */
export const REFUSAL_REASONS: readonly LimitReason[] = [
  "not_allowed",
  "max_connections",
  "max_connections_per_address",
  "held_down",
];

/** A counter per {@linkcode LimitReason}, all zero. */
export function newLimitCounters(): Record<LimitReason, number> {
  return Object.fromEntries(LIMIT_REASONS.map((r) => [r, 0])) as Record<LimitReason, number>;
}

// ---------------------------------------------------------------------------------------
// Token bucket
// ---------------------------------------------------------------------------------------

/**
 * A token bucket of messages: `rate` tokens per second, at most `burst` saved up.
 * Taking more than there is puts the bucket in debt; the caller waits out the debt
 * before reading more, so nothing already read is dropped.
 *
 * @example
 * ```ts
 * import { TokenBucket } from "./limits.ts";
 * const b = new TokenBucket(100, 10, 0);
 * if (b.take(10, 0) !== 0) throw new Error("the burst is free");
 * if (b.take(5, 0) !== 50) throw new Error("5 tokens at 100/s take 50 ms");
 * ```
 */
export class TokenBucket {
  readonly rate: number;
  readonly burst: number;
  #tokens: number;
  #at: number;

  /**
   * @param rate tokens per second (> 0)
   * @param burst the most tokens saved up (>= 1)
   * @param nowMs the current time, in ms
   */
  constructor(rate: number, burst: number, nowMs: number) {
    this.rate = rate;
    this.burst = Math.max(1, burst);
    this.#tokens = this.burst;
    this.#at = nowMs;
  }

  /**
   * Takes `n` tokens at time `nowMs`.
   *
   * @returns how long to wait (ms) until the bucket is out of debt; 0 when it is not in debt
   */
  take(n: number, nowMs: number): number {
    const elapsed = Math.max(0, nowMs - this.#at);
    this.#at = nowMs;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.rate) / 1000) - n;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens * 1000) / this.rate);
  }
}

// ---------------------------------------------------------------------------------------
// Address allowlist
// ---------------------------------------------------------------------------------------

/** One network of an allowlist: 128-bit address (IPv4 mapped into ::ffff:0:0/96) and length. */
interface Network {
  base: bigint;
  bits: number;
}

const V4_MAPPED = 0xffffn << 32n;

function parseV4(s: string): bigint | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  let tail: bigint | undefined;
  let tailGroups = 0;
  const lastColon = s.lastIndexOf(":");
  if (s.includes(".", lastColon)) {
    // An embedded IPv4 address takes the last two groups.
    tail = parseV4(s.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    s = s.slice(0, lastColon + 1) + "0:0";
    tailGroups = 2;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  let v = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail !== undefined && tailGroups) v = (v & ~0xffffffffn) | tail;
  return v;
}

/**
 * An IP address as a 128-bit number, IPv4 (also `::ffff:a.b.c.d`, as a dual-stack
 * listener reports it) mapped into `::ffff:0:0/96`; undefined when it is not an address.
 */
export function addressNumber(s: string): bigint | undefined {
  if (!s.includes(":")) {
    const v4 = parseV4(s);
    return v4 === undefined ? undefined : V4_MAPPED | v4;
  }
  return parseV6(s);
}

/** Addresses allowed to connect, from a list of CIDR networks (IPv4 and IPv6). */
export class Allowlist {
  readonly #nets: Network[];
  /** The networks as given. */
  readonly text: string[];

  private constructor(nets: Network[], text: string[]) {
    this.#nets = nets;
    this.text = text;
  }

  /**
   * Parses comma-separated CIDRs (`10.0.0.0/8, 2001:db8::/32, 192.0.2.1`); an address
   * without a length is a host.
   *
   * @throws {Error} naming the first entry that is not a network
   *
   * @example
   * ```ts
   * import { Allowlist } from "./limits.ts";
   * const a = Allowlist.parse("10.0.0.0/8, 2001:db8::/32");
   * if (!a.allows("10.1.2.3") || a.allows("192.0.2.1") || !a.allows("2001:db8::1")) {
   *   throw new Error("unexpected");
   * }
   * ```
   */
  static parse(list: string): Allowlist {
    const nets: Network[] = [];
    const text: string[] = [];
    for (const raw of list.split(",")) {
      const entry = raw.trim();
      if (entry === "") continue;
      const slash = entry.indexOf("/");
      const addr = slash < 0 ? entry : entry.slice(0, slash);
      const v = addressNumber(addr);
      const v4 = !addr.includes(":");
      const max = v4 ? 32 : 128;
      const lenText = slash < 0 ? String(max) : entry.slice(slash + 1);
      const len = /^\d{1,3}$/.test(lenText) ? Number(lenText) : NaN;
      if (v === undefined || !(len >= 0 && len <= max)) {
        throw new Error(`Cannot parse network ${JSON.stringify(entry)}`);
      }
      const bits = v4 ? 96 + len : len;
      nets.push({ base: v & mask(bits), bits });
      text.push(entry);
    }
    if (nets.length === 0) throw new Error("Cannot parse networks: the list is empty");
    return new Allowlist(nets, text);
  }

  /** True when `address` (as the socket reports it) is inside one of the networks. */
  allows(address: string): boolean {
    const v = addressNumber(address);
    if (v === undefined) return false;
    for (const n of this.#nets) if ((v & mask(n.bits)) === n.base) return true;
    return false;
  }
}

const ALL = (1n << 128n) - 1n;
function mask(bits: number): bigint {
  return bits === 0 ? 0n : (ALL >> BigInt(128 - bits)) << BigInt(128 - bits);
}

// ---------------------------------------------------------------------------------------
// Connection counting
// ---------------------------------------------------------------------------------------

/** Open connections, in total and per source address, against their limits. */
export class ConnectionCounter {
  readonly maxTotal: number;
  readonly maxPerAddress: number;
  #total = 0;
  readonly #byAddress = new Map<string, number>();

  /** @param maxTotal, maxPerAddress the limits (Infinity for none) */
  constructor(maxTotal: number, maxPerAddress: number) {
    this.maxTotal = maxTotal;
    this.maxPerAddress = maxPerAddress;
  }

  /** Open connections. */
  get total(): number {
    return this.#total;
  }

  /** Open connections from `address`. */
  from(address: string): number {
    return this.#byAddress.get(address) ?? 0;
  }

  /**
   * Counts a new connection from `address` when the limits allow it.
   *
   * @returns undefined when admitted (call {@linkcode ConnectionCounter.release} when it
   *   ends), else the limit that refuses it
   */
  admit(address: string): "max_connections" | "max_connections_per_address" | undefined {
    if (this.#total >= this.maxTotal) return "max_connections";
    const n = this.from(address);
    if (n >= this.maxPerAddress) return "max_connections_per_address";
    this.#total++;
    this.#byAddress.set(address, n + 1);
    return undefined;
  }

  /** An admitted connection from `address` ended. */
  release(address: string): void {
    const n = this.from(address);
    if (n <= 0) return;
    this.#total--;
    if (n === 1) this.#byAddress.delete(address);
    else this.#byAddress.set(address, n - 1);
  }
}

// ---------------------------------------------------------------------------------------
// Peers per router
// ---------------------------------------------------------------------------------------

/**
 * The peers one router session may announce: the first `max` distinct per-peer header
 * keys are admitted, messages for any other peer are refused.
 */
export class PeerCap {
  readonly max: number;
  readonly #peers = new Set<string>();

  constructor(max: number) {
    this.max = max;
  }

  /** Peers admitted so far. */
  get size(): number {
    return this.#peers.size;
  }

  /** True when a message for peer `key` may pass (admitting the peer if there is room). */
  admit(key: string): boolean {
    if (this.#peers.has(key)) return true;
    if (this.#peers.size >= this.max) return false;
    this.#peers.add(key);
    return true;
  }
}
