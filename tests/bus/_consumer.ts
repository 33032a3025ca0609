/**
 * An independent consumer of the bus: the npm NATS client directly, none of bmpmon's code.
 * Reads every message of a stream with an ordered consumer.
 *
 * @module
 */

import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NodeConnectionOptions } from "@nats-io/transport-node";

/** One message as the consumer saw it. */
export interface Consumed {
  subject: string;
  data: Uint8Array;
  headers: Record<string, string>;
  streamSeq: number;
}

/**
 * Reads every `bmp.raw.>` message of `stream` on `url`, waiting at most `ms` for `count`;
 * `opts` add to the connection's options (credentials, TLS).
 */
export async function consumeAll(
  url: string,
  stream: string,
  count: number,
  ms = 30_000,
  opts: NodeConnectionOptions = {},
): Promise<Consumed[]> {
  const nc = await connect({ ...opts, servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const want = Math.max(count, info.state.messages);
    const js = jetstream(nc);
    // Every subject (a 2.9 server takes no filter list): the caller checks them.
    const c = await js.consumers.get(stream);
    const out: Consumed[] = [];
    const deadline = Date.now() + ms;
    while (out.length < want && Date.now() < deadline) {
      const batch = await c.fetch({ max_messages: 1000, expires: 1000 });
      for await (const m of batch) {
        const headers: Record<string, string> = {};
        for (const k of m.headers?.keys() ?? []) headers[k] = m.headers!.get(k);
        out.push({ subject: m.subject, data: m.data.slice(), headers, streamSeq: m.seq });
      }
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** The number of messages `stream` holds; `opts` as for {@linkcode consumeAll}. */
export async function streamMessages(
  url: string,
  stream: string,
  opts: NodeConnectionOptions = {},
): Promise<number> {
  const nc = await connect({ ...opts, servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info(stream)).state.messages;
  } finally {
    await nc.close();
  }
}
