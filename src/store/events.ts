/**
 * Everything the writer stores outside the route batches: routers, their Initiation and
 * Termination, Peer Up and Down, Statistics Reports, Route Mirroring and messages the
 * decoder rejected (RFC 7854 §4.3–4.10). Each is a small transaction on the pool,
 * through {@linkcode EventWriter.inSpoolTx}: retried while the database is away, and
 * written once however often the spool replays it.
 *
 * @module
 */

import type { ReservedSql, Sql } from "postgres";
import type { BmpMessage, PeerDownMessage, PeerUpMessage } from "../bmp/message.ts";
import type { PerPeerHeader } from "../bmp/per_peer_header.ts";
import type { DecodeError } from "../wire/errors.ts";
import { encodeMirroring, MIRRORING_COLUMNS } from "./_encode.ts";
import { CopyBuffer } from "./copy_buffer.ts";
import { copyIn } from "./copy_in.ts";
import type { FirstLoad } from "./first_load.ts";
import type { PeerRegistry } from "./peer_registry.ts";
import type { Retrier } from "./retry.ts";
import {
  mirroringRow,
  peerDownRow,
  type PeerEventRow,
  peerUpRow,
  routerEventRow,
  statRows,
} from "./rows/events.ts";
import { peerKey, tableNameOf } from "./rows/peer.ts";
import { markApplied } from "./spool_marks.ts";
import { transaction } from "./transaction.ts";

/** What an {@linkcode EventWriter} works with. */
export interface EventContext {
  sql: Sql;
  retry: Retrier;
  peers: PeerRegistry;
  /** Peers that go down leave the first-load path. */
  firstLoad: FirstLoad;
  /** Clock for zero per-peer timestamps, in ms. */
  now: () => number;
  /** Whose spool numbers `spool_applied` records (`WriterOptions.markSource`). */
  markSource: string;
}

/** Writes the non-route messages of routers. */
export class EventWriter {
  readonly #sql: Sql;
  readonly #retry: Retrier;
  readonly #peers: PeerRegistry;
  readonly #markSource: string;
  readonly #firstLoad: FirstLoad;
  readonly #now: () => number;

  constructor(ctx: EventContext) {
    this.#sql = ctx.sql;
    this.#retry = ctx.retry;
    this.#peers = ctx.peers;
    this.#firstLoad = ctx.firstLoad;
    this.#now = ctx.now;
    this.#markSource = ctx.markSource;
  }

  /**
   * Runs `fn` in a transaction that records spool record `seq` as applied, retried
   * until the database takes it; when `seq` was applied already (a replay), `fn` does
   * not run. Without a `seq` (not spooled), `fn` always runs.
   */
  async inSpoolTx(
    seq: number | undefined,
    fn: (tx: ReservedSql) => Promise<unknown>,
  ): Promise<boolean> {
    return await this.#retry.run(() =>
      transaction(this.#sql, async (tx) => {
        if (!(await markApplied(tx, this.#markSource, seq))) return false;
        await fn(tx);
        return true;
      })
    );
  }

  /** Creates or updates a router's `routers` row; returns its id. */
  async router(key: string, address?: string, port?: number): Promise<number> {
    const [row] = await this.#retry.run(() =>
      this.#sql`
      INSERT INTO routers (key, address, port, connected, connected_at, last_seen)
      VALUES (${key}, ${address ?? null}, ${port ?? null}, true, now(), now())
      ON CONFLICT (key) DO UPDATE SET address = excluded.address, port = excluded.port,
        connected = true, connected_at = now(), last_seen = now()
      RETURNING id`
    );
    return row.id as number;
  }

  /** Stores a message the decoder rejected, with its raw bytes. */
  async decodeError(
    routerId: number,
    e: DecodeError,
    raw?: Uint8Array,
    seq?: number,
  ): Promise<void> {
    const bytes = raw ? raw.slice() : null;
    await this.inSpoolTx(seq, (tx) =>
      tx`
        INSERT INTO decode_errors (router_id, message_type, code, message, stream_offset, raw)
        VALUES (${routerId}, ${e.messageType ?? null}, ${e.code}, ${e.message}, ${e.offset},
          ${bytes})`);
  }

  /**
   * A router's connection ended: every peer of it that is up goes down, its routes are
   * marked withdrawn (one UPDATE), and a `down` event is written per peer.
   */
  async routerDown(routerId: number, seq?: number): Promise<void> {
    const written = await this.inSpoolTx(seq, async (tx) => {
      const now = new Date(this.#now());
      const peers = await tx`
        UPDATE peers SET state = 'down', down_time = ${now}, down_reason = NULL,
          down_reason_name = 'router_disconnected'
        WHERE router_id = ${routerId} AND state <> 'down' RETURNING id`;
      const ids = peers.map((p) => p.id as number);
      this.#firstLoad.end(ids);
      const [{ count }] = await tx`
        WITH w AS (UPDATE rib SET withdrawn = true, withdrawn_time = ${now}
          WHERE peer_id IN (SELECT id FROM peers WHERE router_id = ${routerId})
            AND NOT withdrawn
          RETURNING 1)
        SELECT count(*)::bigint AS count FROM w`;
      if (ids.length > 0) {
        await tx`
          INSERT INTO peer_events (time, router_id, peer_id, event, reason_name,
            routes_withdrawn)
          SELECT ${now}, ${routerId}, unnest(${ids}::int[]), 'down', 'router_disconnected',
            ${count}`;
      }
      await tx`UPDATE routers SET connected = false, disconnected_at = ${now}
        WHERE id = ${routerId}`;
    });
    // Replayed (spool or bus): the connection's registration, read again to decode what
    // followed it, marked the router connected; its end was committed before.
    if (!written) {
      await this.#retry.run(() =>
        this.#sql`UPDATE routers SET connected = false WHERE id = ${routerId} AND connected`
      );
    }
  }

  /** Peer Up: the peer's session fields and state, and an `up` event. */
  async peerUp(routerId: number, m: PeerUpMessage, seq?: number): Promise<void> {
    const table = tableNameOf(m.information);
    this.#peers.setTableName(routerId, m.peer, table);
    const peerId = await this.#peers.lookup(routerId, m.peer, table, false);
    const ev = peerUpRow(m, routerId, peerId, { nowMs: this.#now() });
    const k = peerKey(routerId, m.peer, table);
    const caps = { sent: m.sentOpen.capabilities, received: m.receivedOpen.capabilities };
    await this.inSpoolTx(seq, async (tx) => {
      await tx`
        UPDATE peers SET state = 'up', up_time = ${ev.time}, local_address = ${m.localAddress},
          local_port = ${m.localPort}, remote_port = ${m.remotePort},
          local_asn = ${m.sentOpen.asn}, local_bgp_id = ${m.sentOpen.bgpId},
          hold_time = ${Math.min(m.sentOpen.holdTime, m.receivedOpen.holdTime)},
          capabilities = ${tx.json(caps as never)}, information = ${
        tx.json(m.information as never)
      },
          asn = ${m.peer.asn}, bgp_id = ${m.receivedOpen.bgpId}
        WHERE router_id = ${routerId} AND peer_type = ${k.peerType} AND rd = ${k.rd}
          AND address = ${k.address} AND table_name = ${k.tableName}`;
      await insertPeerEvent(tx, ev, null);
    });
  }

  /**
   * Peer Down: every view of the peer goes down and its routes changed before the
   * Peer Down are marked withdrawn, once `before` (the batches ahead of it) settles.
   */
  async peerDown(
    routerId: number,
    m: PeerDownMessage,
    before: Promise<void>,
    seq?: number,
  ): Promise<void> {
    const table = tableNameOf(m.information) || this.#peers.tableName(routerId, m.peer);
    // Not after a pending Peer Up: Ups and Downs of a peer run in order (the writer's).
    const peerId = await this.#peers.lookup(routerId, m.peer, table, false);
    const ev = peerDownRow(m, routerId, peerId, { nowMs: this.#now() });
    const k = peerKey(routerId, m.peer, table);
    await before;
    await this.inSpoolTx(seq, async (tx) => {
      const views = await tx`
        UPDATE peers SET state = 'down', down_time = ${ev.time}, down_reason = ${m.reason},
          down_reason_name = ${m.reasonName},
          down_notification = ${m.notification ? tx.json(m.notification as never) : null}
        WHERE router_id = ${routerId} AND peer_type = ${k.peerType} AND rd = ${k.rd}
          AND address = ${k.address} AND table_name = ${k.tableName}
        RETURNING id`;
      const ids = views.map((v) => v.id as number);
      this.#firstLoad.end(ids);
      // Routes changed after the Peer Down's time belong to a newer session.
      const [{ count }] = await tx`
        WITH w AS (UPDATE rib SET withdrawn = true, withdrawn_time = ${ev.time}
          WHERE peer_id = ANY(${ids}::int[]) AND NOT withdrawn
            AND last_change <= ${ev.time}
          RETURNING 1)
        SELECT count(*)::bigint AS count FROM w`;
      await insertPeerEvent(tx, ev, count);
    });
  }

  /** Statistics Report: its counters, and the latest of each on the peer's row. */
  async stats(
    routerId: number,
    m: BmpMessage & { kind: "statistics_report" },
    seq?: number,
  ): Promise<void> {
    const peerId = await this.#viewId(routerId, m.peer);
    const rows = statRows(m, routerId, peerId, { nowMs: this.#now() });
    if (rows.length === 0) return;
    const last: Record<string, string | null> = {};
    for (const r of rows) {
      last[r.afi === null ? r.name : `${r.name}:${r.afi}/${r.safi}`] = r.value ?? r.raw;
    }
    await this.inSpoolTx(seq, async (tx) => {
      await tx`INSERT INTO stats_reports ${
        tx(rows.map((r) => ({
          time: r.time,
          router_id: r.routerId,
          peer_id: r.peerId,
          type: r.type,
          name: r.name,
          afi: r.afi,
          safi: r.safi,
          value: r.value,
          raw: r.raw,
        })))
      }`;
      await tx`UPDATE peers SET last_stats = ${tx.json(last)}, last_stats_time = ${rows[0].time}
        WHERE id = ${peerId}`;
    });
  }

  /** Route Mirroring: the message and its raw bytes (`raw` must not be reused). */
  async mirroring(
    routerId: number,
    m: BmpMessage & { kind: "route_mirroring" },
    raw?: Uint8Array,
    seq?: number,
  ): Promise<void> {
    const peerId = await this.#viewId(routerId, m.peer);
    const b = new CopyBuffer(1024);
    encodeMirroring(b, mirroringRow(m, routerId, peerId, raw, { nowMs: this.#now() }));
    await this.inSpoolTx(
      seq,
      (tx) => copyIn(tx, `route_mirroring (${MIRRORING_COLUMNS.join(", ")})`, b),
    );
  }

  /** The id of the view a per-peer header addresses, in the table of the peer's Peer Up. */
  #viewId(routerId: number, h: PerPeerHeader): Promise<number> {
    return this.#peers.lookup(routerId, h, this.#peers.tableName(routerId, h));
  }

  /** Initiation or Termination: the router's row and a `router_events` row. */
  async routerEvent(
    routerId: number,
    m: BmpMessage & { kind: "initiation" | "termination" },
    seq?: number,
  ): Promise<void> {
    const ev = routerEventRow(m, routerId);
    const info = this.#sql.json(ev.information as never);
    await this.inSpoolTx(seq, async (tx) => {
      if (ev.event === "initiation") {
        await tx`UPDATE routers SET sys_name = ${ev.sysName}, sys_descr = ${ev.sysDescr},
            name = coalesce(${ev.sysName}, name), initiation = ${info}, last_seen = now()
          WHERE id = ${routerId}`;
      } else {
        await tx`UPDATE routers SET termination = ${info}, termination_reason = ${ev.reason},
            last_seen = now() WHERE id = ${routerId}`;
      }
      await tx`INSERT INTO router_events (router_id, event, sys_name, sys_descr, reason,
          reason_name, information)
        VALUES (${routerId}, ${ev.event}, ${ev.sysName}, ${ev.sysDescr}, ${ev.reason},
          ${ev.reasonName}, ${info})`;
    });
  }
}

async function insertPeerEvent(
  tx: ReservedSql,
  ev: PeerEventRow,
  routesWithdrawn: unknown,
): Promise<void> {
  await tx`INSERT INTO peer_events (time, router_id, peer_id, event, reason, reason_name,
      notification, fsm_event, routes_withdrawn, info)
    VALUES (${ev.time}, ${ev.routerId}, ${ev.peerId}, ${ev.event}, ${ev.reason},
      ${ev.reasonName}, ${ev.notification === null ? null : tx.json(ev.notification as never)},
      ${ev.fsmEvent}, ${routesWithdrawn as number | null},
      ${ev.info === null ? null : tx.json(ev.info as never)})`;
}
