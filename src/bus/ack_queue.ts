/**
 * The publisher's records in spool order until each is done (acked, or dropped for good):
 * JetStream acks come back in any order, but the mark may only pass a record once every
 * record before it is done, so that a restart resends nothing acked and skips nothing not.
 *
 * @module
 */

import type { Entry } from "./publisher_types.ts";

/** Entries in spool order; `done()` hands out those finished at the head, in order. */
export class AckQueue {
  #queue: Entry[] = [];
  #head = 0;

  /** Whether no entry waits. */
  get empty(): boolean {
    return this.#head === this.#queue.length;
  }

  /** Appends `e` (the caller handles a done entry on an empty queue itself). */
  push(e: Entry): void {
    this.#queue.push(e);
  }

  /** The waiting entries, oldest first. */
  *waiting(): Iterable<Entry> {
    for (let i = this.#head; i < this.#queue.length; i++) yield this.#queue[i];
  }

  /** Removes and returns the entries done at the head, in order. */
  done(): Entry[] {
    const q = this.#queue;
    const out: Entry[] = [];
    while (this.#head < q.length && q[this.#head].state === "done") out.push(q[this.#head++]);
    // Drop what is behind the head, now and then: the queue is read from the front.
    if (this.#head === q.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 4096) {
      this.#queue = q.slice(this.#head);
      this.#head = 0;
    }
    return out;
  }
}
