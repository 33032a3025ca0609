/**
 * `StoreWriter.flush()` commits routes that reach a batch while it waits for the batches
 * before them: a view whose id lookup ends during that wait (FRR's post-policy view,
 * first seen after its Peer Up) had its routes left in an unsealed batch, lost to a
 * writer that was closed then (1 load in 3 of the FRR capture lost the post-policy view).
 *
 * @module
 */

import { assert, assertEquals } from "../_assert.ts";
import postgres from "postgres";
import type { BmpMessage } from "../../src/bmp/message.ts";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { readInput } from "../../src/io/file.ts";
import { migrate } from "../../src/store/migrate.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { forEachRoute } from "../../src/bgp/routes.ts";
import { DATABASE_URL, dbTest } from "./_db.ts";

const FRR = new URL("../fixtures/gobgp-frr-lab/frr-8.4-prepost-1k.bmp", import.meta.url).pathname;

dbTest("flush commits the routes of a peer lookup that ends while batches commit", async (sql) => {
  await migrate(sql);
  const messages: BmpMessage[] = [];
  for (const it of readBmpStream(await readInput(FRR))) if (it.message) messages.push(it.message);
  const post = (m: BmpMessage) => m.kind === "route_monitoring" && m.peer.postPolicy;
  const firstPost = messages.findIndex(post);
  const nextPre = messages.findIndex((m, i) =>
    i > firstPost && m.kind === "route_monitoring" && !m.peer.postPolicy
  );
  assert(firstPost > 0 && nextPre > 0, "the capture has no pre- and post-policy routes");
  const writer = await StoreWriter.open(sql);
  const router = await writer.router("192.0.2.1", "192.0.2.1");
  for (const m of messages.slice(0, firstPost)) await writer.write(router, m);
  await writer.flush();
  const [{ n: before }] = await sql`SELECT count(*)::int AS n FROM route_history`;

  // Another session holds the locks a peer registration and a batch need; both wait.
  const url = new URL(DATABASE_URL!);
  url.pathname = `/${sql.options.database}`;
  const other = postgres(url.href, { max: 2, onnotice: () => {} });
  const locker = await other.reserve();
  await locker`BEGIN`;
  await locker`LOCK TABLE peers IN EXCLUSIVE MODE`;
  await locker`LOCK TABLE route_history IN EXCLUSIVE MODE`;
  await writer.write(router, messages[nextPre]); // a known view: into a batch
  await writer.write(router, messages[firstPost]); // a new view: its lookup waits
  const closed = writer.close();
  // The batch is blocked on route_history: let both go at once. The lookup (one INSERT)
  // ends first; its routes reach a batch while flush still waits for the first one.
  for (let i = 0; i < 200; i++) {
    const [{ n }] = await other`SELECT count(*)::int AS n FROM pg_locks l
      JOIN pg_class c ON c.oid = l.relation WHERE NOT l.granted AND c.relname = 'route_history'`;
    if (n > 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  await locker`COMMIT`;
  locker.release();
  await closed;
  await other.end();

  const want = (m: BmpMessage) => {
    let n = 0;
    if (m.kind === "route_monitoring") forEachRoute(m.update, () => n++);
    return n;
  };
  const [{ n: after }] = await sql`SELECT count(*)::int AS n FROM route_history`;
  assertEquals(after - before, want(messages[nextPre]) + want(messages[firstPost]));
  const views = await sql`SELECT p.post_policy, count(h.*)::int AS n FROM peers p
    JOIN route_history h ON h.peer_id = p.id GROUP BY 1 ORDER BY 1`;
  assertEquals(views.map((v) => v.post_policy), [false, true]);
});
