/**
 * A fixed-size ring of remembered messages: references to the decoded messages (or the
 * error that stopped a decode), their arrival time, length and a sequence number that
 * orders entries of different rings. Pushing costs a few array stores; the messages
 * become text only when asked for.
 *
 * @module
 */

import type { BmpMessage } from "../bmp/message.ts";
import type { DecodeError } from "../wire/errors.ts";

/** One remembered message: decoded, or the error that stopped its decoding. */
export interface RecentMessage {
  /** Arrival time, ms since the epoch. */
  time: number;
  /** Order of arrival over every ring of one tap (equal entries are the same message). */
  seq: number;
  length: number;
  message?: BmpMessage;
  error?: DecodeError;
}

/**
 * The last `size` entries pushed.
 *
 * @example
 * ```ts
 * import { MessageRing } from "./message_ring.ts";
 * import { DecodeError } from "../wire/errors.ts";
 * const r = new MessageRing(2);
 * for (let i = 0; i < 3; i++) r.push(new DecodeError("short-input", i), 10 + i, 1000 + i, i);
 * const last = r.last(5);
 * if (last.length !== 2 || last[0].seq !== 1 || last[1].length !== 12) throw new Error("unexpected");
 * ```
 */
export class MessageRing {
  readonly size: number;
  readonly #items: (BmpMessage | DecodeError | undefined)[];
  readonly #times: Float64Array;
  readonly #seqs: Float64Array;
  readonly #lengths: Uint32Array;
  #next = 0;
  #count = 0;

  constructor(size: number) {
    this.size = size;
    this.#items = new Array(size);
    this.#times = new Float64Array(size);
    this.#seqs = new Float64Array(size);
    this.#lengths = new Uint32Array(size);
  }

  /** Entries held (at most `size`). */
  get count(): number {
    return this.#count;
  }

  /** Remembers one message (or decode error) that arrived at `time` as number `seq`. */
  push(item: BmpMessage | DecodeError, length: number, time: number, seq: number): void {
    const i = this.#next;
    this.#items[i] = item;
    this.#times[i] = time;
    this.#seqs[i] = seq;
    this.#lengths[i] = length;
    this.#next = (i + 1) % this.size;
    if (this.#count < this.size) this.#count++;
  }

  /** Forgets every entry (and lets go of the messages). */
  clear(): void {
    this.#items.fill(undefined);
    this.#next = 0;
    this.#count = 0;
  }

  /** The last `n` entries, oldest first. */
  last(n: number): RecentMessage[] {
    const k = Math.min(Math.max(0, n), this.#count);
    const out: RecentMessage[] = [];
    for (let j = k; j > 0; j--) {
      const i = (this.#next - j + this.size) % this.size;
      const item = this.#items[i]!;
      const e: RecentMessage = {
        time: this.#times[i],
        seq: this.#seqs[i],
        length: this.#lengths[i],
      };
      if ("kind" in item) e.message = item;
      else e.error = item;
      out.push(e);
    }
    return out;
  }
}
