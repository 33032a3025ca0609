/**
 * The update being received between Cache Response and End of Data (private to
 * `rtr_session.ts`), checked PDU by PDU against the current set as RFC 8210 §10 asks: a
 * withdrawal of a record the router does not hold, or an announcement of one it holds,
 * is an error, and so is a withdrawal inside a reset.
 *
 * @module
 */

import { RTR_ERROR_CODES } from "./rtr_pdu.ts";
import { ProtocolFault } from "./_rtr_fault.ts";
import { type Vrp, vrpOfKey } from "./vrp.ts";

/** What an End of Data (or the expire rule) changes in a source's set. */
export type VrpUpdate =
  | { kind: "reset"; vrps: Vrp[] }
  | { kind: "serial"; announced: Vrp[]; withdrawn: Vrp[] }
  | { kind: "expire" };

/** The announcements and withdrawals of one response, relative to the current set. */
export class PendingUpdate {
  readonly kind: "reset" | "serial";
  /** Key → true (announced) / false (withdrawn); keys back to what the set holds drop out. */
  readonly #changes = new Map<string, boolean>();

  constructor(kind: "reset" | "serial") {
    this.kind = kind;
  }

  /** Changes so far. */
  get size(): number {
    return this.#changes.size;
  }

  /**
   * Adds one Prefix PDU.
   *
   * @throws {ProtocolFault} for a withdrawal in a reset (Corrupt Data), a withdrawal of an
   *   unknown record (6) or a duplicate announcement (7)
   */
  add(pdu: Uint8Array, announce: boolean, key: string, set: ReadonlySet<string>): void {
    const c = this.#changes;
    if (this.kind === "reset") {
      if (!announce) {
        throw new ProtocolFault(
          RTR_ERROR_CODES.CORRUPT_DATA,
          pdu,
          `withdrawal of ${key} in a reset`,
        );
      }
      if (c.has(key)) {
        const code = RTR_ERROR_CODES.DUPLICATE_ANNOUNCEMENT_RECEIVED;
        throw new ProtocolFault(code, pdu, `duplicate announcement of ${key}`);
      }
      c.set(key, true);
      return;
    }
    const held = c.has(key) ? c.get(key)! : set.has(key);
    if (announce && held) {
      const code = RTR_ERROR_CODES.DUPLICATE_ANNOUNCEMENT_RECEIVED;
      throw new ProtocolFault(code, pdu, `duplicate announcement of ${key}`);
    }
    if (!announce && !held) {
      const code = RTR_ERROR_CODES.WITHDRAWAL_OF_UNKNOWN_RECORD;
      throw new ProtocolFault(code, pdu, `withdrawal of unknown ${key}`);
    }
    if (announce === set.has(key)) c.delete(key);
    else c.set(key, announce);
  }

  /** Applies the update at End of Data: the new set (`set` itself for a serial update). */
  apply(set: Set<string>): { update: VrpUpdate; set: Set<string> } {
    if (this.kind === "reset") {
      const next = new Set(this.#changes.keys());
      return { update: { kind: "reset", vrps: [...next].map(vrpOfKey) }, set: next };
    }
    const announced: Vrp[] = [], withdrawn: Vrp[] = [];
    for (const [key, add] of this.#changes) {
      if (add) {
        set.add(key);
        announced.push(vrpOfKey(key));
      } else {
        set.delete(key);
        withdrawn.push(vrpOfKey(key));
      }
    }
    return { update: { kind: "serial", announced, withdrawn }, set };
  }
}
