/**
 * `serve` with a bus that refuses it stops at once with one line naming the problem and
 * exit code 2: wrong password, no JetStream, an existing stream that does not fit.
 */

import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { assert } from "../_assert.ts";
import { assertOneLine, serveExit } from "./_exit.ts";
import { withNats } from "./_nats.ts";

Deno.test("serve refuses a bus that refuses its password, in one line", async () => {
  await withNats({ user: "bmpmon", password: "right" }, async (n) => {
    const r = await serveExit({ BUS_URL: n.url, BUS_USER: "bmpmon", BUS_PASSWORD: "wrong" });
    assertOneLine(
      r,
      /^bmpmon: BUS_URL=nats:\/\/127\.0\.0\.1:\d+: cannot connect: .*authorization/i,
    );
    assert(!r.stderr.includes("wrong"), "the password is not shown");
  });
});

Deno.test("serve refuses a NATS server without JetStream, in one line", async () => {
  await withNats({ jetstream: false }, async (n) => {
    const r = await serveExit({ BUS_URL: n.url });
    assertOneLine(r, /^bmpmon: BUS_URL=nats:\/\/127\.0\.0\.1:\d+: JetStream is not available/);
  });
});

Deno.test("serve refuses an existing stream whose settings do not fit, naming the setting", async (t) => {
  await withNats({}, async (n) => {
    const nc = await connect({ servers: n.url });
    try {
      const jsm = await jetstreamManager(nc);
      await t.step("other subjects", async () => {
        await jsm.streams.add({ name: "OTHER", subjects: ["other.>"] });
        const r = await serveExit({ BUS_URL: n.url, BUS_STREAM: "OTHER" });
        assertOneLine(
          r,
          /^bmpmon: BUS_STREAM=OTHER: stream OTHER exists with subjects \["other\.>"\], not bmp\.raw\.>/,
        );
      });
      await t.step("a duplicate window below 10 minutes", async () => {
        await jsm.streams.add({
          name: "SHORT",
          subjects: ["bmp.raw.>"],
          duplicate_window: 60_000_000_000,
        });
        const r = await serveExit({ BUS_URL: n.url, BUS_STREAM: "SHORT" });
        assertOneLine(r, /^bmpmon: BUS_STREAM=SHORT: .*duplicate window of 60 s, below 600 s/);
        await jsm.streams.delete("SHORT"); // its subjects would overlap the next one's
      });
      await t.step("work-queue retention", async () => {
        await jsm.streams.add({ name: "WQ", subjects: ["bmp.>"], retention: "workqueue" });
        const r = await serveExit({ BUS_URL: n.url, BUS_STREAM: "WQ" });
        assertOneLine(r, /^bmpmon: BUS_STREAM=WQ: stream WQ exists with retention workqueue/);
      });
    } finally {
      await nc.close();
    }
  });
});

Deno.test("serve says in one line that no NATS server answers", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const r = await serveExit({ BUS_URL: `nats://127.0.0.1:${port}` });
  assertOneLine(r, new RegExp(`^bmpmon: BUS_URL=nats://127\\.0\\.0\\.1:${port}: cannot connect`));
});
