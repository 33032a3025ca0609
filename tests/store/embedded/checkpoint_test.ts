/**
 * The embedded store's checkpoint job: PGlite never checkpoints on its own, so without
 * the job the checkpoint stays where the store opened however much is written (pg_wal
 * grows until close). With it, a checkpoint follows once `walBytes` of WAL are written.
 */

import postgres from "postgres";
import { startCheckpointer } from "../../../src/store/embedded/checkpoint.ts";
import { openEmbedded } from "../../../src/store/embedded/mod.ts";
import { assert, assertEquals } from "../../_assert.ts";

const CHECKPOINT = "SELECT checkpoint_lsn::text AS lsn FROM pg_control_checkpoint()";

Deno.test({
  name: "embedded store: the checkpoint job checkpoints once walBytes of WAL are written",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "bmpmon_ckpt_" });
    const store = await openEmbedded({ dataDir: dir });
    const sql = postgres({ ...store.connection, max: 2, onnotice: () => {} });
    const seen: number[] = [];
    const job = startCheckpointer(sql, {
      everyMs: 3_600_000,
      walBytes: 8 * 1024 * 1024,
      onCheckpoint: (bytes) => seen.push(bytes),
    });
    try {
      const [{ lsn: before }] = await sql.unsafe(CHECKPOINT);
      assertEquals(await job.tick(), false, "nothing written yet: no checkpoint");
      await sql.unsafe(`CREATE TABLE filler AS
        SELECT repeat(md5(i::text), 32) AS x FROM generate_series(1, 12000) i`);
      const [{ lsn: written }] = await sql.unsafe(CHECKPOINT);
      assertEquals(written, before, "PGlite itself did not checkpoint");
      assertEquals(await job.tick(), true, "over walBytes: a checkpoint");
      const [{ lsn: after }] = await sql.unsafe(CHECKPOINT);
      assert(after !== before, `checkpoint moved: ${before} → ${after}`);
      assert(seen.length === 1 && seen[0] >= 8 * 1024 * 1024, `reported ${seen}`);
      assertEquals(await job.tick(), false, "just checkpointed: not again");
    } finally {
      await job.stop();
      await sql.end({ timeout: 5 });
      await store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
