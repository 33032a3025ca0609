/**
 * Peer ids: each RIB view of a peer (RFC 7854 §4.2: router, peer type, distinguisher,
 * address, plus the Loc-RIB/VRF table name and the L and O flags) is a `peers` row,
 * registered on first sight and cached by {@linkcode peerViewKey}.
 *
 * The routes of a view whose id is being looked up wait, in order, while other views'
 * go on (a thousand routers connecting must not register one after the other). Up to
 * `maxWaiting` Route Monitoring messages wait so; beyond that their senders are asked
 * to wait too.
 *
 * @module
 */

import type { Sql } from "postgres";
import type { PerPeerHeader } from "../bmp/per_peer_header.ts";
import type { RouteMonitoringMessage } from "../bmp/message.ts";
import type { FirstLoad } from "./first_load.ts";
import type { Retrier } from "./retry.ts";
import { peerKey, peerKeyText } from "./rows/peer.ts";
import { keepWhilePending } from "./serial.ts";

const RESOLVED = Promise.resolve();

/**
 * The key of a peer's session on a router: its Peer Ups and Downs, its table name.
 *
 * @example
 * ```ts ignore
 * peerSessionKey(1, header) // "1|0||192.0.2.2"
 * ```
 */
export function peerSessionKey(routerId: number, h: PerPeerHeader): string {
  return `${routerId}|${h.key}`;
}

/**
 * The key of one RIB view of a peer: its session, table name, and the L (post-policy)
 * and O (Adj-RIB-Out) flags (RFC 7854 §4.2, RFC 8671).
 *
 * @example
 * ```ts ignore
 * peerViewKey(1, header, "") // "1|0||192.0.2.2||L"
 * ```
 */
export function peerViewKey(routerId: number, h: PerPeerHeader, table: string): string {
  return `${peerSessionKey(routerId, h)}|${table}|${h.postPolicy ? "L" : ""}${
    h.adjRibOut ? "O" : ""
  }`;
}

/** Peer view ids, their lookups, and the routes waiting for them. */
export class PeerRegistry {
  readonly #sql: Sql;
  readonly #retry: Retrier;
  readonly #firstLoad: FirstLoad;
  readonly #maxWaiting: number;
  /** View key → peer id. */
  readonly #ids = new Map<string, number>();
  /** View key → its lookup, while it runs. */
  readonly #lookups = new Map<string, Promise<number>>();
  /** Peer Ups being written, by session key: new views of the peer wait for them. */
  readonly #peerUps = new Map<string, Promise<void>>();
  /** Loc-RIB / VRF table name of a peer, from its Peer Up, by session key. */
  readonly #tableNames = new Map<string, string>();
  /** Route writes of a view waiting for its id, by view key: later ones chain on. */
  readonly #routeTail = new Map<string, Promise<number>>();
  #waiting = 0;

  /**
   * @param firstLoad views found with an empty current RIB start on it
   * @param maxWaiting Route Monitoring messages waiting for lookups at which senders wait
   */
  constructor(sql: Sql, retry: Retrier, firstLoad: FirstLoad, maxWaiting: number) {
    this.#sql = sql;
    this.#retry = retry;
    this.#firstLoad = firstLoad;
    this.#maxWaiting = maxWaiting;
  }

  /** Route Monitoring messages accepted but waiting for their peer's lookup. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Whether so many messages wait that their senders should. */
  get full(): boolean {
    return this.#waiting >= this.#maxWaiting;
  }

  /** The table name of the peer a message addresses: its TLV, else its Peer Up's. */
  tableName(routerId: number, h: PerPeerHeader, m?: RouteMonitoringMessage): string {
    if (m?.tlvs) {
      const t = m.tlvs.find((t) => t.name === "vrf_table_name");
      if (t) return String(t.value);
    }
    return this.#tableNames.get(peerSessionKey(routerId, h)) ?? "";
  }

  /** Records the table name of a peer's Peer Up. */
  setTableName(routerId: number, h: PerPeerHeader, table: string): void {
    this.#tableNames.set(peerSessionKey(routerId, h), table);
  }

  /** Lookups of the peer's new views wait for `written`, the write of its Peer Up. */
  peerUpWriting(routerId: number, h: PerPeerHeader, written: Promise<void>): void {
    keepWhilePending(this.#peerUps, peerSessionKey(routerId, h), written);
  }

  /** The id of view `view` if its routes may be written now: known, and none waiting. */
  ready(view: string): number | undefined {
    return this.#routeTail.has(view) ? undefined : this.#ids.get(view);
  }

  /**
   * Runs `write` with the view's id after its lookup and the messages queued before it.
   *
   * @param write stores the message's routes; may return a promise to wait for
   * @returns settles once `write` and what it returned have
   */
  queue(
    view: string,
    routerId: number,
    h: PerPeerHeader,
    table: string,
    write: (peerId: number) => Promise<void> | undefined,
  ): Promise<number> {
    const tail = this.#routeTail.get(view);
    this.#waiting++;
    const next = (tail ?? this.lookup(routerId, h, table)).then(async (pid) => {
      this.#waiting--;
      const wait = write(pid);
      if (wait) await wait;
      return pid;
    }, (e) => {
      this.#waiting--;
      throw e;
    });
    keepWhilePending(this.#routeTail, view, next);
    return next;
  }

  /** Settles when the routes waiting for lookups now are in their batches (undefined: none). */
  queued(): Promise<unknown> | undefined {
    const tails = [...this.#routeTail.values()];
    if (tails.length === 0) return;
    return Promise.all(tails.map((t) => t.then(() => {}, () => {})));
  }

  /**
   * The id of a peer view, registered (or its fields refreshed) in `peers`.
   *
   * @param afterPeerUp false for Peer Up/Down themselves: they never wait on a lookup that
   *   itself waits for a Peer Up, and register the peer themselves (the INSERT is an upsert)
   */
  lookup(routerId: number, h: PerPeerHeader, table: string, afterPeerUp = true): Promise<number> {
    const k = peerKey(routerId, h, table);
    const text = peerKeyText(k);
    const view = peerViewKey(routerId, h, table);
    let p = afterPeerUp ? this.#lookups.get(view) : undefined;
    if (p) return p;
    // A view first seen after the peer's Peer Up (GoBGP: post-policy, Adj-RIB-Out) takes the
    // session fields of its sibling views, once that Peer Up is written.
    const before = afterPeerUp ? this.#peerUps.get(peerSessionKey(routerId, h)) : undefined;
    p = (before ?? RESOLVED).then(() =>
      this.#retry.run(() =>
        this.#sql`
      INSERT INTO peers (router_id, peer_type, rd, address, table_name, post_policy,
        adj_rib_out, asn, bgp_id, flags, state, up_time, down_time, down_reason,
        down_reason_name, down_notification, local_address, local_port, remote_port, local_asn,
        local_bgp_id, hold_time, capabilities, information)
      SELECT ${routerId}::int, ${k.peerType}::smallint, ${k.rd}::text, ${k.address}::inet,
        ${k.tableName}::text, ${k.postPolicy}::boolean, ${k.adjRibOut}::boolean,
        ${h.asn}::bigint, ${h.bgpId}::inet, ${h.flags}::smallint, coalesce(s.state, 'unknown'),
        s.up_time, s.down_time, s.down_reason, s.down_reason_name, s.down_notification,
        s.local_address, s.local_port, s.remote_port, s.local_asn, s.local_bgp_id, s.hold_time,
        s.capabilities, s.information
      FROM (SELECT 1) AS one LEFT JOIN LATERAL (
        SELECT * FROM peers s WHERE s.router_id = ${routerId} AND s.peer_type = ${k.peerType}
          AND s.rd = ${k.rd} AND s.address = ${k.address}::inet AND s.table_name = ${k.tableName}
        ORDER BY greatest(s.up_time, s.down_time) DESC NULLS LAST LIMIT 1) s ON true
      ON CONFLICT (router_id, peer_type, rd, address, table_name, post_policy, adj_rib_out)
      DO UPDATE SET asn = excluded.asn, flags = excluded.flags,
        -- FRR repeats Peer Downs of a down peer with BGP ID 0.0.0.0: keep the real one.
        bgp_id = CASE WHEN excluded.bgp_id = '0.0.0.0' THEN peers.bgp_id
          ELSE excluded.bgp_id END
      RETURNING id, NOT EXISTS (SELECT 1 FROM rib WHERE rib.peer_id = peers.id) AS empty`
      )
    ).then(([row]) => {
      const id = row.id as number;
      // Not once its routes are in batches: they may not be committed yet.
      if (row.empty && !this.#ids.has(view)) this.#firstLoad.begin(id);
      this.#ids.set(view, id);
      if (this.#lookups.get(view) === p) this.#lookups.delete(view);
      return id;
    }, (e) => {
      if (this.#lookups.get(view) === p) this.#lookups.delete(view);
      throw new Error(`Cannot register peer ${text}: ${e instanceof Error ? e.message : e}`, {
        cause: e,
      });
    });
    if (afterPeerUp) this.#lookups.set(view, p);
    return p;
  }
}
