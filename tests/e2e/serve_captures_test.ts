/**
 * Replaying each capture into a running `bmpmon serve` puts exactly the decoded content
 * into PostgreSQL: per peer view and family, the history's announcements and withdrawals
 * equal the decoder's, and the current RIB holds one row per distinct route.
 */

import { replay } from "../../src/cli/replay.ts";
import { assertEquals } from "../_assert.ts";
import { fixture, HAS_SHARED, sharedFiles } from "../_data.ts";
import { assertStoredContent, expectedContent } from "./_content.ts";
import { dbTest, serve } from "./_serve.ts";

async function checkCapture(path: string) {
  const want = await expectedContent(path);
  const s = await serve();
  let failed = false;
  try {
    await replay([path], { hostname: "127.0.0.1", port: s.port, rate: 0, connections: 1 });
    await assertStoredContent(s.sql, want);
  } catch (e) {
    failed = true;
    // What the collector's sessions were doing when the wait gave up (a lock, a query, idle).
    const activity = await s.sql`
      SELECT state, wait_event_type, wait_event, left(query, 120) AS query
      FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`
      .catch(() => []);
    throw new Error(
      `${(e as Error).message}\nserve log:\n${s.log.slice(-15).join("\n")}\nsessions:\n${
        activity.map((a) => JSON.stringify(a)).join("\n")
      }`,
      { cause: e },
    );
  } finally {
    const code = await s.stop();
    if (!failed) {
      assertEquals(code, 0, `serve exits 0 on SIGTERM; its log:\n${s.log.slice(-15).join("\n")}`);
    }
  }
}

for (const name of ["gobgp-3.10-all-1k", "frr-8.4-mirror-100"]) {
  dbTest(
    `serve stores exactly the decoded content of ${name} (bundled)`,
    () => checkCapture(fixture(`gobgp-frr-lab/${name}.bmp`)),
  );
}
const files = sharedFiles("bmp", /\.(pcap|bmp|dump)$/);
for (const path of files) {
  const rel = path.split("/data/bmp/")[1];
  dbTest(`serve stores exactly the decoded content of ${rel}`, () => checkCapture(path), {
    ignore: HAS_SHARED ? undefined : "../shared/data not present",
  });
}
