import { decodeRtrPdu, encodeRtrPdu, type RtrPdu } from "../../src/rpki/rtr_pdu.ts";
import { RtrSession, type VrpUpdate } from "../../src/rpki/rtr_session.ts";
import type { Vrp } from "../../src/rpki/vrp.ts";
import { assert, assertEquals } from "../_assert.ts";
import { concat, kinds, prefixPdu, response } from "./_rtr_cache.ts";

const A: Vrp = { prefix: "192.0.2.0/24", maxLength: 24, asn: 64496 };
const B: Vrp = { prefix: "2001:db8::/32", maxLength: 48, asn: 64497 };
const C: Vrp = { prefix: "198.51.100.0/22", maxLength: 24, asn: 64498 };
const T = { refresh: 60, retry: 10, expire: 600 };
const S = 1000; // ms

/** A session that received a reset with A and B (serial 5, session 42) at t=0. */
function synced(): RtrSession {
  const s = new RtrSession();
  s.connected(0);
  const step = s.receive(response(42, 5, [{ vrp: A }, { vrp: B }], { timers: T }), 0);
  assertEquals(step.updates.length, 1);
  return s;
}

function sentPdus(list: Uint8Array[]): RtrPdu[] {
  return list.map(decodeRtrPdu);
}

function errorCode(list: Uint8Array[]): number | undefined {
  const e = sentPdus(list).find((p) => p.type === 10);
  return e?.type === 10 ? e.errorCode : undefined;
}

const sorted = (v: Vrp[]) => v.map((x) => `${x.prefix} ${x.maxLength} ${x.asn}`).sort();

Deno.test("RtrSession starts with a version 1 Reset Query and applies the reset at End of Data", () => {
  const s = new RtrSession();
  assertEquals(kinds(s.connected(0).send), ["v1 type 2"]);
  const bytes = response(42, 5, [{ vrp: A }, { vrp: B }], { timers: T });
  // Everything but the last byte: nothing is handed out before End of Data.
  const part = s.receive(bytes.subarray(0, bytes.length - 1), 0);
  assertEquals(part.updates, []);
  assertEquals(s.status().state, "syncing");
  const step = s.receive(bytes.subarray(bytes.length - 1), 0);
  assertEquals(step.updates.length, 1);
  const u = step.updates[0] as Extract<VrpUpdate, { kind: "reset" }>;
  assertEquals(u.kind, "reset");
  assertEquals(sorted(u.vrps), sorted([A, B]));
  const st = s.status();
  assertEquals(
    [st.state, st.version, st.sessionId, st.serial, st.vrps, st.refresh, st.retry, st.expire],
    ["current", 1, 42, 5, 2, 60, 10, 600],
  );
});

Deno.test("RtrSession sends a Serial Query after Refresh and applies announcements and withdrawals", () => {
  const s = synced();
  assertEquals(s.tick(59 * S).send, []);
  const q = sentPdus(s.tick(60 * S).send);
  assertEquals(q, [{ type: 1, version: 1, sessionId: 42, serial: 5 }]);
  // No second query while one is in flight.
  assertEquals(s.tick(61 * S).send, []);
  const step = s.receive(
    response(42, 6, [{ vrp: C }, { vrp: A, announce: false }], { timers: T }),
    62 * S,
  );
  assertEquals(step.updates.length, 1);
  const u = step.updates[0] as Extract<VrpUpdate, { kind: "serial" }>;
  assertEquals([u.kind, sorted(u.announced), sorted(u.withdrawn)], [
    "serial",
    sorted([C]),
    sorted([A]),
  ]);
  assertEquals(sorted(s.vrps()), sorted([B, C]));
  assertEquals([s.status().serial, s.status().counts.serialQueries], [6, 1]);
});

Deno.test("RtrSession answers a Serial Notify with a Serial Query", () => {
  const s = synced();
  const step = s.receive(encodeRtrPdu({ type: 0, version: 1, sessionId: 42, serial: 6 }), 5 * S);
  assertEquals(sentPdus(step.send), [{ type: 1, version: 1, sessionId: 42, serial: 5 }]);
});

Deno.test("RtrSession ignores a Serial Notify before the version is agreed (RFC 8210 §7)", () => {
  const s = new RtrSession();
  s.connected(0);
  const step = s.receive(encodeRtrPdu({ type: 0, version: 1, sessionId: 1, serial: 1 }), 0);
  assertEquals([step.send, step.close], [[], undefined]);
});

Deno.test("RtrSession answers a Cache Reset with a Reset Query and replaces the set", () => {
  const s = synced();
  s.tick(60 * S);
  const step = s.receive(encodeRtrPdu({ type: 8, version: 1 }), 61 * S);
  assertEquals(kinds(step.send), ["v1 type 2"]);
  const r = s.receive(response(43, 1, [{ vrp: C }], { timers: T }), 62 * S);
  assertEquals(r.updates.map((u) => u.kind), ["reset"]);
  assertEquals(sorted(s.vrps()), sorted([C]));
  assertEquals([s.status().sessionId, s.status().serial], [43, 1]);
});

Deno.test("RtrSession keeps the set over a disconnect and continues with a Serial Query", () => {
  const s = synced();
  s.tick(60 * S);
  // Half a response, then the connection drops: nothing of it is applied.
  const half = response(42, 6, [{ vrp: C }], { timers: T });
  assertEquals(s.receive(half.subarray(0, 28), 61 * S).updates, []);
  s.disconnected(61 * S, "reset by peer");
  assertEquals([s.status().state, s.status().vrps], ["stale", 2]);
  assertEquals(sentPdus(s.connected(70 * S).send), [{
    type: 1,
    version: 1,
    sessionId: 42,
    serial: 5,
  }]);
});

Deno.test("RtrSession drops the set once Expire passes without End of Data, loudly", () => {
  const s = synced();
  s.disconnected(1 * S, "gone");
  assertEquals(s.tick(600 * S).updates, []);
  const step = s.tick(601 * S);
  assertEquals(step.updates, [{ kind: "expire" }]);
  assertEquals(step.log.map((l) => l.level), ["warn"]);
  assert(step.log[0].message.includes("expired"), step.log[0].message);
  assertEquals([s.status().state, s.status().vrps, s.vrps()], ["expired", 0, []]);
  // Once only, and the next connection starts from a Reset Query.
  assertEquals(s.tick(700 * S).updates, []);
  assertEquals(kinds(s.connected(701 * S).send), ["v1 type 2"]);
});

Deno.test("RtrSession expiring during a serial response closes it: nothing applies to the dropped set", () => {
  // Found by rtr_fuzz_test.ts: the response's withdrawals were applied to the emptied set.
  const s = synced();
  s.tick(60 * S);
  const bytes = response(42, 6, [{ vrp: A, announce: false }], { timers: T });
  s.receive(bytes.subarray(0, bytes.length - 24), 61 * S);
  const step = s.tick(601 * S);
  assertEquals(step.updates, [{ kind: "expire" }]);
  assert(step.close, "the connection stays open");
  assertEquals(s.receive(bytes.subarray(bytes.length - 24), 601 * S).updates, []);
  s.disconnected(601 * S);
  assertEquals([s.vrps(), kinds(s.connected(602 * S).send)], [[], ["v1 type 2"]]);
});

Deno.test("RtrSession falls back to version 0 on Unsupported Protocol Version (RFC 8210 §7)", () => {
  for (const version of [0, 1]) {
    const s = new RtrSession();
    s.connected(0);
    const err = encodeRtrPdu({
      type: 10,
      version,
      errorCode: 4,
      pdu: encodeRtrPdu({ type: 2, version: 1 }),
      text: "v0 only",
    });
    const step = s.receive(err, 0);
    assertEquals([step.close, step.send], ["version 0 fallback", []], `report v${version}`);
    s.disconnected(0);
    assertEquals(kinds(s.connected(0).send), ["v0 type 2"]);
    const r = s.receive(response(7, 1, [{ vrp: A }], { version: 0 }), 0);
    assertEquals(r.updates.map((u) => u.kind), ["reset"]);
    // Version 0 carries no timers: the RFC 8210 §6 defaults apply.
    const st = s.status();
    assertEquals([st.version, st.state, st.refresh, st.retry, st.expire], [
      0,
      "current",
      3600,
      600,
      7200,
    ]);
  }
});

Deno.test("RtrSession downgrades when a version 0 cache answers a version 1 query", () => {
  const s = new RtrSession();
  s.connected(0);
  const step = s.receive(response(7, 3, [{ vrp: A }, { vrp: C }], { version: 0 }), 0);
  assertEquals([step.close, step.updates.map((u) => u.kind)], [undefined, ["reset"]]);
  assertEquals([s.status().version, s.status().vrps], [0, 2]);
  assertEquals(kinds(s.tick(3600 * S).send), ["v0 type 1"]);
});

Deno.test("RtrSession ignores Router Keys cleanly", () => {
  const s = new RtrSession();
  s.connected(0);
  const key = encodeRtrPdu({ type: 9, version: 1, announce: true, asn: 65001 });
  const bytes = concat(
    encodeRtrPdu({ type: 3, version: 1, sessionId: 9 }),
    prefixPdu(A),
    key,
    prefixPdu(B),
    encodeRtrPdu({ type: 7, version: 1, sessionId: 9, serial: 1, ...T }),
  );
  const step = s.receive(bytes, 0);
  assertEquals([step.close, step.send, step.updates.length], [undefined, [], 1]);
  assertEquals(sorted(s.vrps()), sorted([A, B]));
});

Deno.test("RtrSession reports a withdrawal of an unknown record and a duplicate announcement", () => {
  const cases: [string, { vrp: Vrp; announce?: boolean }[], number][] = [
    ["unknown withdrawal", [{ vrp: C, announce: false }], 6],
    ["duplicate announcement", [{ vrp: A }], 7],
    ["announced twice in one update", [{ vrp: C }, { vrp: C }], 7],
  ];
  for (const [name, changes, code] of cases) {
    const s = synced();
    s.tick(60 * S);
    const step = s.receive(response(42, 6, changes, { timers: T }), 61 * S);
    assertEquals(
      [errorCode(step.send), step.updates, typeof step.close],
      [code, [], "string"],
      name,
    );
    assertEquals(step.log.map((l) => l.level), ["error"], name);
    // The set stays in use; the next connection starts over with a Reset Query.
    s.disconnected(61 * S);
    assertEquals(s.status().vrps, 2, name);
    assertEquals(kinds(s.connected(62 * S).send), ["v1 type 2"], name);
  }
});

Deno.test("RtrSession rejects PDUs out of sequence and of another session", () => {
  const cases: [string, (s: RtrSession) => Uint8Array, number][] = [
    ["prefix outside a response", () => prefixPdu(A), 0],
    [
      "End of Data outside a response",
      () => encodeRtrPdu({ type: 7, version: 1, sessionId: 42, serial: 1, ...T }),
      0,
    ],
    ["Cache Reset to a Reset Query", () => encodeRtrPdu({ type: 8, version: 1 }), 0],
    ["a query from the cache", () => encodeRtrPdu({ type: 2, version: 1 }), 5],
    ["unknown type", () => new Uint8Array([1, 5, 0, 0, 0, 0, 0, 8]), 5],
    ["version 2", () => new Uint8Array([2, 3, 0, 0, 0, 0, 0, 8]), 4],
  ];
  for (const [name, pdu, code] of cases) {
    const s = new RtrSession();
    s.connected(0);
    const step = s.receive(pdu(s), 0);
    assertEquals(errorCode(step.send), code, name);
    assert(step.close, name);
  }
  const s = synced();
  s.tick(60 * S);
  const other = s.receive(response(99, 6, [], { timers: T }), 61 * S);
  assertEquals([errorCode(other.send), other.updates], [0, []]);
});

Deno.test("RtrSession never answers an Error Report with one", () => {
  const s = synced();
  const step = s.receive(
    encodeRtrPdu({ type: 10, version: 1, errorCode: 1, pdu: new Uint8Array(0), text: "oops" }),
    1 * S,
  );
  assertEquals(step.send, []);
  assert(step.close?.includes("internal error"), step.close);
});

Deno.test("RtrSession closes a connection whose query goes unanswered for Retry", () => {
  const s = synced();
  s.tick(60 * S);
  assertEquals(s.tick(70 * S).close, undefined);
  assert(s.tick(71 * S).close?.includes("no answer"));
});

Deno.test("RtrSession turns stale when a refresh is missed, and current again at End of Data", () => {
  const s = synced();
  s.disconnected(1 * S);
  assertEquals(s.status().state, "stale");
  s.connected(2 * S);
  s.receive(response(42, 5, [], { timers: T }), 3 * S);
  assertEquals(s.status().state, "current");
});
