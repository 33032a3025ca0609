/**
 * A hostile RTR cache never disturbs BMP collection: `bmpmon serve` with RPKI_RTR
 * pointing at a cache that answers every query with something malformed (a huge length,
 * a cut prefix, an unknown type, an Error Report, a withdrawal of an unknown record
 * after a good reset) must answer each with the Error Report RFC 8210 §10 calls for
 * (none to an Error Report), reset and log the session, keep running, and store every
 * row of a router replaying a capture meanwhile.
 */

import { replay } from "../../src/cli/replay.ts";
import { decodeRtrPdu, encodeRtrPdu, RtrFramer } from "../../src/rpki/rtr_pdu.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { assertStoredContent, expectedContent } from "../e2e/_content.ts";
import { dbTest, serve, until } from "../e2e/_serve.ts";
import { concat, prefixPdu, response } from "./_rtr_cache.ts";

const GOOD = fixture("gobgp-frr-lab/gobgp-3.10-all-1k.bmp");
const A = { prefix: "192.0.2.0/24", maxLength: 24, asn: 64496 };

/** What each connection gets, in turn, and the Error Report code the client owes. */
const ANSWERS: [string, Uint8Array, number | null][] = [
  ["a 1 GiB length", new Uint8Array([1, 3, 0, 1, 0x40, 0, 0, 0]), 0],
  [
    "a prefix cut short",
    concat(
      encodeRtrPdu({ type: 3, version: 1, sessionId: 1 }),
      (() => {
        const p = prefixPdu(A);
        return concat(new Uint8Array([1, 4, 0, 0, 0, 0, 0, 16]), p.subarray(8, 16));
      })(),
    ),
    0,
  ],
  ["an unknown PDU type", new Uint8Array([1, 42, 0, 0, 0, 0, 0, 8]), 5],
  [
    "an Error Report",
    encodeRtrPdu({ type: 10, version: 1, errorCode: 1, pdu: new Uint8Array(0), text: "down" }),
    null,
  ],
  [
    "a withdrawal of an unknown record",
    concat(
      response(1, 1, [{ vrp: A }]),
      encodeRtrPdu({ type: 0, version: 1, sessionId: 1, serial: 2 }),
    ),
    6,
  ],
];

dbTest(
  "serve: a hostile RTR cache is answered, reset and logged while BMP rows all land",
  async () => {
    const want = await expectedContent(GOOD);
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const rtrPort = (listener.addr as Deno.NetAddr).port;
    const seen: { answer: string; sent: number[]; reports: number[] }[] = [];
    const cache = (async () => {
      for await (const conn of listener) {
        const i = seen.length;
        const [name, answer] = ANSWERS[i % ANSWERS.length];
        const rec = { answer: name, sent: [] as number[], reports: [] as number[] };
        seen.push(rec);
        (async () => {
          const framer = new RtrFramer();
          const buf = new Uint8Array(4096);
          let answered = false, stage = 0;
          try {
            while (true) {
              const n = await conn.read(buf);
              if (n === null) break;
              for (const b of framer.push(buf.slice(0, n))) {
                const p = decodeRtrPdu(b);
                rec.sent.push(p.type);
                if (p.type === 10) rec.reports.push(p.errorCode);
                if (p.type === 1 && name.startsWith("a withdrawal") && stage === 1) {
                  // The Serial Query after the notify: withdraw what was never announced.
                  stage = 2;
                  await conn.write(response(1, 2, [{ vrp: { ...A, asn: 1 }, announce: false }]));
                }
              }
              if (!answered) {
                answered = true;
                stage = 1;
                await conn.write(answer);
              }
            }
          } catch { /* reset by the client */ }
          try {
            conn.close();
          } catch { /* closed */ }
        })();
      }
    })();
    const s = await serve({ RPKI_RTR: `127.0.0.1:${rtrPort}` });
    try {
      const sent = await replay([GOOD], {
        hostname: "127.0.0.1",
        port: s.port,
        rate: 2000,
        connections: 1,
      });
      assert(sent.messages > 0);
      // 1 + 2 + 4 + 8 s of backoff between the rounds of failures (random bytes are the fuzz
      // test's): the five answers.
      await until(
        () =>
          Promise.resolve(
            seen.length >= ANSWERS.length &&
              seen.slice(0, ANSWERS.length).every((r) => r.sent.length > 0),
          ),
        40_000,
        "five RTR connections",
      );
      await new Promise((r) => setTimeout(r, 300));
      await assertStoredContent(s.sql, want, { timeoutMs: 60_000 });
      for (const [i, [name, , code]] of ANSWERS.entries()) {
        const r = seen[i];
        // Every connection starts with a Reset Query: a session reset after an error.
        assertEquals(r.sent[0], 2, `${name}: ${JSON.stringify(r)}`);
        assertEquals(r.reports, code === null ? [] : [code], `${name}: ${JSON.stringify(r)}`);
      }
      const resets = s.log.filter((l) => l.includes('"RTR session reset'));
      assert(resets.length >= ANSWERS.length - 1, `${resets.length} session resets logged`);
      console.log(
        `  ${seen.length} RTR connections, ${resets.length} session resets logged, ${sent.messages} BMP messages stored`,
      );
    } finally {
      const code = await s.stop();
      listener.close();
      await cache.catch(() => {});
      assertEquals(code, 0);
    }
  },
);
