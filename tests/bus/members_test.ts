/**
 * Two `consume` members share one stream (CONSUME_MEMBER=1/2 and 2/2): each stores the
 * routers its hash of their address gives it, both into one database, and that database
 * equals a plain `serve`'s of the same input; each answers `show summary` with its share.
 * A member started with another count is refused with one line.
 */

import postgres from "postgres";
import { memberOf } from "../../src/bus/membership.ts";
import type { ConsumeSummary } from "../../src/control/api.ts";
import { assert, assertEquals } from "../_assert.ts";
import { cliOk } from "../control/_live.ts";
import { dbTest, serve, until } from "../e2e/_serve.ts";
import { consume, type Consuming, freshDatabase } from "./_consume.ts";
import { startNats } from "./_nats.ts";
import { labAndSmall, logged, readAll, sendAll } from "./_routers.ts";
import { converges, settled } from "./_store_content.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

dbTest("two consume members share a stream: the database equals a plain serve's", async () => {
  const nats = await startNats();
  const edge = await serve({ STORE: "none", BUS_URL: nats.url, BUS_COLLECTOR_ID: "edge-m" });
  const plain = await serve();
  const db = await freshDatabase();
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  const members: Consuming[] = [];
  try {
    const routers = await labAndSmall(40);
    // Both members own some of them (the hash spreads them).
    const owners = new Set(routers.map(([a]) => memberOf(a, 2)));
    assertEquals(owners.size, 2);
    await sendAll([edge.port, plain.port], routers);
    await readAll(plain, routers.length);
    await readAll(edge, routers.length);
    const want = await settled(plain.sql);
    assertEquals(want.routers?.toString().split(",").length, routers.length);
    const env = (i: number) => ({
      BUS_URL: nats.url,
      DATABASE_URL: db.url,
      DATA_DIR: dirs[i - 1],
      CONSUME_MEMBER: `${i}/2`,
    });
    // Started together: one migrates the fresh database while the other waits.
    members.push(...await Promise.all([consume(env(1)), consume(env(2))]));
    await converges(sql, want, 120_000, plain.sql);
    // Each member answers `show summary` on its own socket (DATA_DIR/consume/BMP.<i>of2.sock),
    // found without CONSUME_MEMBER: the one consume socket in its DATA_DIR. Once both have
    // read the stream to its end, what they say is what they log at stop.
    const summaries: ConsumeSummary["consume"][] = [];
    await until(
      async () => {
        summaries.length = 0;
        for (const dir of dirs) {
          summaries.push(JSON.parse(await cliOk(dir, "show", "summary", "--json")).consume);
        }
        return summaries.every((c) => c.caught_up && c.last_seq === summaries[0].last_seq);
      },
      60_000,
      () => `both members read to the end: ${JSON.stringify(summaries)}`,
    );
    for (const [i, dir] of dirs.entries()) {
      const text = await cliOk(dir, "show", "summary");
      assert(text.includes(`consume:     member ${i + 1}/2 of stream BMP\n`), text);
    }
    const stats = [];
    for (const m of members.splice(0)) {
      assertEquals(await m.stop(), 0);
      stats.push(logged(m.log, "stopped"));
    }
    for (const [i, s] of stats.entries()) {
      const c = summaries[i];
      assertEquals(
        [c.messages, c.skipped.other_member, c.connections.closed, c.connections.open],
        [s.messages, s.others, s.closed, 0],
        `member ${i + 1}`,
      );
    }
    // Each stored its share and skipped the other's, every message read by both.
    for (const s of stats) assert(s.messages > 0 && s.others > 0, JSON.stringify(s));
    // (what a member skips counts connection ends too)
    assertEquals(stats[0].messages + stats[0].closed, stats[1].others);
    assertEquals(stats[1].messages + stats[1].closed, stats[0].others);
    assertEquals(stats[0].closed + stats[1].closed, routers.length);
    // A third member: the routers would move between members, so it is refused.
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", MAIN, "consume"],
      env: { ...env(1), CONSUME_MEMBER: "1/3", DATA_DIR: await Deno.makeTempDir() },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr).trim().split("\n");
    assert(out.code !== 0, `refused: exit ${out.code}`);
    assert(
      err.some((l) => /^bmpmon: CONSUME_MEMBER=1\/3: .* by 2 member/.test(l)),
      err.join("\n"),
    );
    // Bad values get one line too.
    const bad = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", MAIN, "consume"],
      env: { ...env(1), CONSUME_MEMBER: "3/2" },
      stderr: "piped",
      stdout: "null",
    }).output();
    const badErr = new TextDecoder().decode(bad.stderr).trim();
    assert(bad.code !== 0 && /CONSUME_MEMBER/.test(badErr), badErr);
  } catch (e) {
    const tail = (l?: string[]) => l?.slice(-10).join("\n");
    throw new Error(
      `${(e as Error).message}\nmember 1:\n${tail(members[0]?.log)}\nmember 2:\n${
        tail(members[1]?.log)
      }`,
      { cause: e },
    );
  } finally {
    for (const m of members) await m.stop().catch(() => {});
    await edge.stop().catch(() => {});
    await plain.stop().catch(() => {});
    await sql.end();
    await db.drop();
    await nats.close();
    for (const d of dirs) await Deno.remove(d, { recursive: true });
  }
});
