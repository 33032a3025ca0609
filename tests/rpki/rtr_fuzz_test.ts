/**
 * Malformed RTR input never escapes the session: mutated caches' streams (wrong lengths,
 * unknown types, Error Reports, truncation, splices, random bytes, in random read sizes)
 * go through `RtrSession.receive`, which must never throw; every close it asks for
 * carries an Error Report unless the cache sent one; and the updates it hands out,
 * applied to a model store, always equal the session's own set.
 *
 * FUZZ_RTR_SESSIONS (default 3000) streams from FUZZ_RTR_FROM (0); FUZZ_SEED fixes the
 * seed ("random" for a new one, printed). A failure names the stream and the seed.
 */

import { decodeRtrPdu, encodeRtrPdu } from "../../src/rpki/rtr_pdu.ts";
import { RtrSession } from "../../src/rpki/rtr_session.ts";
import { prefixOf, type Vrp, vrpKey } from "../../src/rpki/vrp.ts";
import { Rng } from "../fuzz/_mutate.ts";
import { assert, assertEquals } from "../_assert.ts";
import { concat, response } from "./_rtr_cache.ts";

function envInt(name: string, dflt: number): number {
  const v = Deno.env.get(name);
  return v && /^\d+$/.test(v) ? Number(v) : dflt;
}

function randomVrp(rng: Rng): Vrp {
  const v6 = rng.chance(0.5);
  const bits = v6 ? 128 : 32;
  const length = (v6 ? 16 : 8) + rng.int(v6 ? 33 : 17);
  const bytes = rng.fill(new Uint8Array(bits / 8));
  if (v6) [bytes[0], bytes[1]] = [0x20, 0x01];
  for (let b = length; b < bits; b++) bytes[b >> 3] &= ~(0x80 >> (b & 7));
  return {
    prefix: prefixOf({ afi: v6 ? 2 : 1, bytes, length }),
    maxLength: length + rng.int(bits + 1 - length),
    asn: rng.u32(),
  };
}

/** A plausible cache stream: a reset, then serial updates, notifies and odd PDUs. */
function cacheStream(rng: Rng): { bytes: Uint8Array; version: number } {
  const version = rng.chance(0.2) ? 0 : 1;
  const timers = { refresh: 1 + rng.int(100), retry: 1 + rng.int(50), expire: 1 + rng.int(1000) };
  const set = new Map<string, Vrp>();
  const parts: Uint8Array[] = [];
  const reset = Array.from({ length: rng.int(12) }, () => randomVrp(rng));
  for (const v of reset) set.set(vrpKey(v), v);
  parts.push(response(7, 1, [...set.values()].map((vrp) => ({ vrp })), { version, timers }));
  for (let i = 0, n = rng.int(4); i < n; i++) {
    const changes: { vrp: Vrp; announce: boolean }[] = [];
    for (const v of [...set.values()]) {
      if (rng.chance(0.3)) {
        changes.push({ vrp: v, announce: false });
        set.delete(vrpKey(v));
      }
    }
    for (let k = rng.int(5); k > 0; k--) {
      const v = randomVrp(rng);
      if (set.has(vrpKey(v))) continue;
      set.set(vrpKey(v), v);
      changes.push({ vrp: v, announce: true });
    }
    if (rng.chance(0.3)) {
      parts.push(encodeRtrPdu({ type: 0, version, sessionId: 7, serial: i + 2 }));
    }
    parts.push(response(7, i + 2, changes, { version, timers }));
  }
  if (rng.chance(0.2)) parts.push(encodeRtrPdu({ type: 8, version }));
  if (rng.chance(0.2)) {
    parts.push(encodeRtrPdu({
      type: 10,
      version,
      errorCode: rng.int(10),
      pdu: rng.fill(new Uint8Array(rng.int(20))),
      text: "fuzz",
    }));
  }
  return { bytes: concat(...parts), version };
}

function mutateStream(rng: Rng, b: Uint8Array): Uint8Array {
  const m = b.slice();
  const ops = 1 + rng.int(4);
  let out: Uint8Array = m;
  for (let i = 0; i < ops; i++) {
    const at = rng.int(out.length);
    switch (rng.int(8)) {
      case 0: // a byte
        out[at] = rng.u32() & 255;
        break;
      case 1: { // a length field of some PDU: find a header by walking
        let off = 0;
        const target = rng.int(8);
        for (let k = 0; k < target && off + 8 <= out.length; k++) {
          off += Math.max(8, new DataView(out.buffer, out.byteOffset + off + 4, 4).getUint32(0));
        }
        if (off + 8 <= out.length) {
          const v = rng.pick([0, 1, 7, 8, 9, 12, 19, 20, 21, 24, 31, 32, 33, 65537, 0xffffffff]);
          new DataView(out.buffer, out.byteOffset + off + 4, 4).setUint32(0, v);
        }
        break;
      }
      case 2: // a type
        if (at + 1 < out.length) out[at + 1] = rng.pick([5, 9, 10, 11, 99, 255, 0, 1, 2, 3, 7, 8]);
        break;
      case 3: // truncate
        out = out.subarray(0, at);
        break;
      case 4: // splice random bytes in
        out = concat(
          out.subarray(0, at),
          rng.fill(new Uint8Array(1 + rng.int(40))),
          out.subarray(at),
        );
        break;
      case 5: // duplicate a range
        out = concat(out.subarray(0, at), out.subarray(at, at + rng.int(64)), out.subarray(at));
        break;
      case 6: // a version
        out[at] = rng.pick([0, 1, 2, 3, 255]);
        break;
      case 7: // an Error Report of any code in the middle
        out = concat(
          out.subarray(0, at),
          encodeRtrPdu({
            type: 10,
            version: 1,
            errorCode: rng.int(12),
            pdu: out.subarray(at, at + 8),
            text: "x",
          }),
          out.subarray(at),
        );
        break;
    }
  }
  return out;
}

Deno.test("RtrSession never throws on FUZZ_RTR_SESSIONS mutated cache streams, and its updates track its set", () => {
  const count = envInt("FUZZ_RTR_SESSIONS", 3000);
  const seedEnv = Deno.env.get("FUZZ_SEED");
  const seed = seedEnv === "random"
    ? crypto.getRandomValues(new Uint32Array(1))[0]
    : envInt("FUZZ_SEED", 8210) >>> 0;
  console.log(`  seed ${seed} (FUZZ_SEED=${seed} to reproduce), ${count} streams`);
  const tally = { closes: 0, reports: 0, updates: 0, expired: 0 };
  const from = envInt("FUZZ_RTR_FROM", 0);
  for (let i = from; i < from + count; i++) {
    const rng = new Rng(seed + i * 0x9e3779b1);
    const { bytes } = cacheStream(rng);
    const input = rng.chance(0.1) ? bytes : mutateStream(rng, bytes);
    const s = new RtrSession();
    const model = new Set<string>();
    let now = 0;
    const where = `stream ${i} (seed ${seed})`;
    const apply = (step: ReturnType<RtrSession["tick"]>) => {
      for (const u of step.updates) {
        tally.updates++;
        if (u.kind === "reset") {
          model.clear();
          for (const v of u.vrps) model.add(vrpKey(v));
        } else if (u.kind === "serial") {
          for (const v of u.withdrawn) {
            assert(model.delete(vrpKey(v)), `${where}: withdrew unknown`);
          }
          for (const v of u.announced) {
            assert(!model.has(vrpKey(v)), `${where}: announced twice`);
            model.add(vrpKey(v));
          }
        } else {
          tally.expired++;
          model.clear();
        }
      }
      // Every PDU the router sends decodes, and is a query or an Error Report.
      for (const b of step.send) {
        const p = decodeRtrPdu(b);
        assert(p.type === 1 || p.type === 2 || p.type === 10, `${where}: sent type ${p.type}`);
        if (p.type === 10) tally.reports++;
      }
    };
    // Two connections: the stream, then it again after whatever close the first ended in.
    for (let conn = 0; conn < 2; conn++) {
      apply(s.connected(now));
      let off = 0;
      while (off < input.length) {
        const n = 1 + rng.int(rng.chance(0.5) ? 16 : 400);
        const step = s.receive(input.subarray(off, off + n), now);
        apply(step);
        off += n;
        now += rng.int(3000);
        const t = s.tick(now);
        apply(t);
        if (step.close || t.close) {
          tally.closes++;
          break;
        }
      }
      apply(s.disconnected(now));
      now += rng.int(2_000_000);
      apply(s.tick(now));
    }
    assertEquals([...model].sort(), s.vrps().map(vrpKey).sort(), where);
    assertEquals(s.status().vrps, model.size, where);
  }
  console.log(`  ${JSON.stringify(tally)}`);
  // The streams reach every path (a mutation that never breaks anything would pass).
  if (count >= 100) {
    assert(tally.closes > count / 4 && tally.reports > count / 10 && tally.updates > count / 4);
  }
});
