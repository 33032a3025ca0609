/**
 * Connects the listener to the store: each router connection becomes a `routers` row,
 * its messages go to the {@linkcode StoreWriter}, and its end closes its peers.
 *
 * A router is identified by its address. A second live connection from the same address
 * (a replay posing as several routers, or NAT) gets its own row, keyed `address#n`; a
 * router that reconnects after its previous session ended gets its row back.
 *
 * @module
 */

import type { BmpMessage } from "../bmp/message.ts";
import { storable } from "../store/pg_text.ts";
import type { StoreWriter } from "../store/writer.ts";
import type { DecodeError } from "../wire/errors.ts";
import type { MessageSink, RouterConnection } from "./server.ts";

/** What the spool feeds: a {@linkcode StoreSink}, or an edge collector's `NoStore`. */
export interface StoreTarget {
  routerUp(router: RouterConnection): Promise<void>;
  write(
    router: RouterConnection,
    m: BmpMessage,
    raw: Uint8Array,
    seq?: number,
  ): void | Promise<void>;
  decodeError(router: RouterConnection, error: DecodeError, raw: Uint8Array, seq?: number): void;
  routerDown(router: RouterConnection, reason?: string, seq?: number): Promise<void>;
}

/** A {@linkcode MessageSink} that writes into a {@linkcode StoreWriter}. */
export class StoreSink implements MessageSink, StoreTarget {
  readonly #writer: StoreWriter;
  /** Connection id → routers.id. */
  readonly #ids = new Map<number, number>();
  /** Router key → connection id holding it. */
  readonly #live = new Map<string, number>();
  readonly #keys = new Map<number, string>();
  /** Router key → the disconnect of its last session, while it is being written. */
  readonly #closing = new Map<string, Promise<void>>();

  constructor(writer: StoreWriter) {
    this.#writer = writer;
  }

  /** The `routers.id` of a connection, once it is up. */
  routerId(connectionId: number): number | undefined {
    return this.#ids.get(connectionId);
  }

  async routerUp(router: RouterConnection): Promise<void> {
    // A router reconnecting: its previous session is closed (peers down, routes withdrawn)
    // before this one is stored, and this one takes its row.
    await this.#closing.get(router.remoteAddress);
    let key = router.remoteAddress;
    for (let n = 2; this.#live.has(key); n++) key = `${router.remoteAddress}#${n}`;
    this.#live.set(key, router.id);
    this.#keys.set(router.id, key);
    this.#ids.set(
      router.id,
      await this.#writer.router(key, router.remoteAddress, router.remotePort),
    );
  }

  /** Stores a message; `seq` is its spool sequence number, if it was spooled. */
  write(
    router: RouterConnection,
    m: BmpMessage,
    raw: Uint8Array,
    seq?: number,
  ): void | Promise<void> {
    const id = this.#ids.get(router.id);
    if (id === undefined) throw new Error(`Cannot store message: router ${router.id} is not up`);
    return this.#writer.write(
      id,
      storable(m),
      m.kind === "route_mirroring" ? raw.slice() : undefined,
      seq,
    );
  }

  decodeError(router: RouterConnection, error: DecodeError, raw: Uint8Array, seq?: number): void {
    const id = this.#ids.get(router.id);
    if (id !== undefined) this.#writer.writeError(id, error, raw, seq);
  }

  async routerDown(router: RouterConnection, _reason?: string, seq?: number): Promise<void> {
    const id = this.#ids.get(router.id);
    const key = this.#keys.get(router.id);
    this.#ids.delete(router.id);
    const done = (async () => {
      try {
        if (id !== undefined) await this.#writer.routerDown(id, seq);
      } finally {
        // Only now may a new connection take this router's row: until the withdrawal is
        // committed, it would withdraw the newcomer's routes too.
        if (key !== undefined && this.#live.get(key) === router.id) this.#live.delete(key);
        this.#keys.delete(router.id);
      }
    })();
    if (key === undefined) return await done;
    const settled = done.then(() => {}, () => {});
    this.#closing.set(key, settled);
    try {
      await done;
    } finally {
      if (this.#closing.get(key) === settled) this.#closing.delete(key);
    }
  }
}
