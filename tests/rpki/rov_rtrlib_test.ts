/**
 * Acceptance (issue 13): for every current unicast route of the M320 full table plus the
 * IPv6 routes of the GoBGP/FRR lab captures, rpki_state() equals the state RTRlib computes
 * (`rpki-rov` of Debian's rtr-tools, RTRlib 0.8) against Debian's `stayrtr` serving the
 * same VRP file on loopback. The file comes from tests/rpki/_vrp_builder.ts (valid,
 * invalid by AS, invalid by length, not covered; IPv4 and IPv6), and bmpmon's RTR client
 * loads it from that stayrtr into rpki_vrps, which must then equal the file. Then the file
 * changes (200 VRPs gone, 100 new): stayrtr's serial moves and the change must arrive as a
 * serial update (no second Reset Query), rpki_vrps equal to the new file; then stayrtr stops
 * and after its Expire (60 s) the VRPs must be dropped and every route read `unknown`.
 * Routes with origin NONE (AS_SET last) have no ASN to give rpki-rov: they are checked
 * against the rule instead (never valid). Skipped visibly without the tools or a database.
 */

import postgres from "postgres";
import { readBmpStream } from "../../src/bmp/stream.ts";
import { readInput } from "../../src/io/file.ts";
import { migrate } from "../../src/store/migrate.ts";
import { StoreWriter } from "../../src/store/writer.ts";
import { assert, assertEquals } from "../_assert.ts";
import { fixture, fixtureMessages } from "../_data.ts";
import { DATABASE_URL, dbTest } from "../store/_db.ts";
import { RpkiService } from "../../src/rpki/rpki_service.ts";
import { readVrps } from "../../src/rpki/vrp_store.ts";
import { until } from "../e2e/_serve.ts";
import { buildVrps, vrpJson } from "./_vrp_builder.ts";

const TOOLS = ["stayrtr", "rpki-rov", "stdbuf"];
const LAB = ["gobgp-3.10-all-1k.bmp", "frr-8.4-prepost-1k.bmp"];

function have(cmd: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const missing = TOOLS.filter((t) => !have(t));
const NAME = "rpki_state() equals RTRlib rpki-rov against stayrtr for every M320 and lab route";

if (missing.length > 0 && DATABASE_URL) {
  Deno.test({
    name: `${NAME} (skipped: ${
      missing.join(", ")
    } not installed; apt-get install stayrtr rtr-tools)`,
    ignore: true,
    fn: () => {},
  });
} else {
  dbTest(NAME, async (sql) => {
    await migrate(sql, { timescaledb: false });
    const writer = await StoreWriter.open(sql, { lanes: 2, batchRows: 20_000 });
    const m320 = await writer.router("m320", "192.0.2.1");
    for (const it of readBmpStream(await readInput(fixture("juniper-m320/m320.bmp.xz")))) {
      if (it.message) await writer.write(m320, it.message);
    }
    for (const [i, name] of LAB.entries()) {
      const r = await writer.router(`lab-${i}`, `192.0.2.${10 + i}`);
      // Up to their Peer Down: the captures end by withdrawing every route.
      for (const m of await fixtureMessages(`gobgp-frr-lab/${name}`)) {
        if (m.kind === "peer_down" || m.kind === "termination") break;
        await writer.write(r, m);
      }
    }
    await writer.flush();
    await writer.close();

    const pairs = await sql`SELECT DISTINCT text(prefix) AS prefix,
      rpki_route_origin(as_path_text, origin_as)::float8 AS origin
      FROM v_routes WHERE rpki_state IS NOT NULL`;
    const withOrigin = pairs.filter((p) => p.origin !== null)
      .map((p) => ({ prefix: String(p.prefix), origin: Number(p.origin) }));
    const v6 = withOrigin.filter((p) => p.prefix.includes(":")).length;
    assert(v6 > 0, "IPv6 routes from the lab captures");
    const { vrps, planned } = buildVrps(withOrigin);
    assert(vrps.some((v) => v.prefix.includes(":")), "IPv6 VRPs");

    const dir = await Deno.makeTempDir({ prefix: "bmpmon-rov-" });
    const file = `${dir}/vrps.json`;
    await Deno.writeTextFile(file, vrpJson(vrps));
    const port = freePort();
    const stay = new Deno.Command("stayrtr", {
      args: [
        "-bind",
        `127.0.0.1:${port}`,
        "-cache",
        file,
        "-checktime=false",
        "-metrics.addr",
        "127.0.0.1:0",
        // The file re-read every 5 s; RTR timers short enough for the serial and expire
        // steps, and an Expire long enough that a loaded machine (CI's fuzz runs alongside)
        // does not drop the set in the middle of the comparison: with 8 s it once did.
        "-refresh",
        "5",
        "-rtr.refresh",
        "5",
        "-rtr.retry",
        "5",
        "-rtr.expire",
        "60",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const rpki = RpkiService.start(sql, {
      rtr: [{ hostname: "127.0.0.1", port }],
      log: () => {},
      rtrMinBackoffMs: 200,
    });
    const distinct = new Set(vrps.map((v) => `${v.prefix} ${v.maxLength} ${v.asn}`)).size;
    try {
      const l0 = performance.now();
      // Committed: the source's row is written in the transaction that stores its VRPs.
      await until(
        async () => {
          const [r] = await sql`SELECT state, vrps FROM rpki_sources
            WHERE source = ${`rtr:127.0.0.1:${port}`}`;
          return r?.state === "current" && Number(r.vrps) === distinct;
        },
        180_000,
        "the VRPs from stayrtr",
      );
      const loadMs = performance.now() - l0;
      const stored = (await readVrps(sql, `rtr:127.0.0.1:${port}`)).map(key).sort();
      const fileSet = await canonical(vrps);
      assertEquals(stored.length, fileSet.length, "rpki_vrps holds the file's VRPs");
      assert(stored.every((k, i) => k === fileSet[i]), "rpki_vrps equals the file");
      console.log(`  ${stored.length} VRPs loaded over RTR in ${loadMs.toFixed(0)} ms`);
      await sql`ANALYZE rpki_vrps`;
      const t0 = performance.now();
      const [states, sqlMs] = await timed(() =>
        sql`SELECT text(prefix) AS prefix, origin_as::float8 AS origin, state
          FROM rpki_rib_states()`
      );
      const ours = new Map<string, string>();
      for (const s of states) ours.set(`${s.prefix} ${s.origin}`, String(s.state));
      // v_routes (per-route index lookups) agrees with the set-based function.
      const [{ n: differ }] = await sql`SELECT count(*)::int AS n FROM (
        SELECT text(prefix) AS p, rpki_state FROM v_routes WHERE rpki_state IS NOT NULL
        EXCEPT SELECT text(prefix), state FROM rpki_rib_states()) d`;
      assertEquals(differ, 0, "v_routes.rpki_state vs rpki_rib_states()");

      const [{ usable }] = await sql`SELECT rpki_usable() AS usable`;
      assert(usable, "the RTR source stayed usable through the whole-RIB ROV");
      const probe = withOrigin.find((p) => ours.get(`${p.prefix} ${p.origin}`) === "valid");
      assert(probe, "a valid route to probe RTRlib with");
      const theirs = await rtrlibStates(port, probe, withOrigin);
      const counts: Record<string, number> = {};
      const wrong: string[] = [];
      for (const p of withOrigin) {
        const key = `${p.prefix} ${p.origin}`;
        const a = ours.get(key);
        const b = theirs.get(key);
        counts[a ?? "missing"] = (counts[a ?? "missing"] ?? 0) + 1;
        if (a !== b) wrong.push(`${key}: bmpmon ${a}, RTRlib ${b}`);
      }
      // Origin NONE: never valid (RFC 6811 §2), not-found only when nothing covers.
      const none = states.filter((s) => s.origin === null);
      for (const s of none) assert(s.state !== "valid", `${s.prefix} NONE is ${s.state}`);
      console.log(
        `${withOrigin.length} (prefix, origin) pairs (${v6} IPv6), ${vrps.length} VRPs; ` +
          `planned ${JSON.stringify(planned)}; states ${JSON.stringify(counts)}; ` +
          `${none.length} routes with origin NONE; whole-RIB ROV ${sqlMs.toFixed(0)} ms; ` +
          `total ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      assertEquals(
        wrong.length,
        0,
        `${wrong.length} disagreements:\n${wrong.slice(0, 10).join("\n")}`,
      );
      for (const s of ["valid", "invalid", "not-found"]) assert(counts[s] > 10_000, s);

      // The file changes (200 VRPs gone, 100 new): stayrtr's serial moves and the change
      // arrives as a serial update, no new Reset Query.
      const source = `rtr:127.0.0.1:${port}`;
      const row = async () =>
        (await sql`SELECT state, serial, vrps FROM rpki_sources
        WHERE source = ${source}`)[0];
      const before = await row();
      const counts1 = rpki.rtr!.session.status().counts;
      const added = Array.from({ length: 100 }, (_, i) => ({
        prefix: `198.18.${i}.0/24`,
        maxLength: 24,
        asn: 64_500 + i,
      }));
      const next = [...vrps.slice(200), ...added];
      await Deno.writeTextFile(file, vrpJson(next));
      const want = await canonical(next);
      await until(
        async () => {
          const r = await row();
          return Number(r.serial) > Number(before.serial) && Number(r.vrps) === want.length;
        },
        120_000,
        "the serial update",
      );
      const counts2 = rpki.rtr!.session.status().counts;
      assertEquals(counts2.resetQueries, counts1.resetQueries, "no new Reset Query");
      assert(counts2.serials > counts1.serials, JSON.stringify(counts2));
      const stored2 = (await readVrps(sql, source)).map(key).sort();
      assert(
        stored2.length === want.length && stored2.every((k, i) => k === want[i]),
        "rpki_vrps equals the changed file",
      );
      // stayrtr stops: after Expire (60 s) the VRPs are dropped and every route is unknown.
      stay.kill("SIGTERM");
      await until(async () => (await row()).state === "expired", 150_000, "the expire rule");
      assertEquals((await readVrps(sql, source)).length, 0);
      const [after] =
        await sql`SELECT count(*) FILTER (WHERE rpki_state = 'unknown')::int AS unknown,
        count(*) FILTER (WHERE rpki_state <> 'unknown')::int AS known FROM v_routes`;
      assertEquals(after.known, 0, "a state other than unknown after the expire");
      assert(after.unknown > 700_000, `${after.unknown} routes unknown after the expire`);
      console.log(
        `  serial ${before.serial} → ${(await row()).serial}: ${want.length} VRPs by ` +
          `${counts2.serials - counts1.serials} serial update(s); expired after stayrtr stopped`,
      );
    } finally {
      await rpki.stop();
      try {
        stay.kill("SIGTERM");
      } catch { /* stopped by the expire step */ }
      await stay.stderr.cancel();
      await stay.status;
      await Deno.remove(dir, { recursive: true });
    }
  });
}

const key = (v: { prefix: string; maxLength: number; asn: number }) =>
  `${v.prefix} ${v.maxLength} ${v.asn}`;

/** The VRPs as `readVrps` gives them: prefixes as cidr prints them, once each, sorted. */
async function canonical(
  vrps: { prefix: string; maxLength: number; asn: number }[],
): Promise<string[]> {
  const sql = postgres(DATABASE_URL!, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`SELECT DISTINCT p::cidr::text || ' ' || m || ' ' || a AS k
      FROM unnest(${vrps.map((v) => v.prefix)}::text[], ${vrps.map((v) => v.maxLength)}::int[],
        ${vrps.map((v) => String(v.asn))}::bigint[]) AS x(p, m, a)`;
    return rows.map((r) => String(r.k)).sort();
  } finally {
    await sql.end();
  }
}

async function timed<T>(fn: () => PromiseLike<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

const RTRLIB_STATE: Record<string, string> = { "0": "valid", "1": "not-found", "2": "invalid" };

/**
 * States from `rpki-rov HOST PORT`: reads "address length asn" lines, answers
 * "input|matching VRPs|state" (0 valid, 1 not found, 2 invalid). stdbuf makes its output
 * line-buffered, so a probe line can tell when its table is loaded (a route that must be
 * valid comes back valid, twice, 2 s apart) before the routes are sent.
 */
async function rtrlibStates(
  port: number,
  probe: { prefix: string; origin: number },
  routes: { prefix: string; origin: number }[],
): Promise<Map<string, string>> {
  const child = new Deno.Command("stdbuf", {
    args: ["-oL", "rpki-rov", "127.0.0.1", String(port)],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(splitLines());
  const reader = lines.getReader();
  const enc = new TextEncoder();
  const line = (p: { prefix: string; origin: number }) => {
    const [a, l] = p.prefix.split("/");
    return `${a} ${l} ${p.origin}\n`;
  };
  const out = new Map<string, string>();
  try {
    const deadline = Date.now() + 60_000;
    let ok = 0;
    while (ok < 2) {
      assert(Date.now() < deadline, "rpki-rov never synchronised with stayrtr");
      await w.write(enc.encode(line(probe)));
      const { value } = await reader.read();
      const probeState = value?.split("|").at(-1);
      ok = probeState === "0" ? ok + 1 : 0;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const writing = (async () => {
      const chunk: string[] = [];
      for (const p of routes) {
        chunk.push(line(p));
        if (chunk.length === 5000) {
          await w.write(enc.encode(chunk.join("")));
          chunk.length = 0;
        }
      }
      await w.write(enc.encode(chunk.join("")));
    })();
    for (let i = 0; i < routes.length; i++) {
      const { value, done } = await reader.read();
      assert(!done && value !== undefined, `rpki-rov ended after ${i} answers`);
      // Answers come in input order; the echoed ASN is printed as a signed 32-bit
      // integer (4200000464 as -94966832), so the key is taken from the input.
      const parts = value.split("|");
      const [addr, len] = parts[0].split(" ");
      const p = routes[i];
      assertEquals(`${addr}/${len}`, p.prefix, `answer ${i}`);
      out.set(`${p.prefix} ${p.origin}`, RTRLIB_STATE[parts.at(-1)!] ?? parts.at(-1)!);
    }
    await writing;
  } finally {
    await w.close().catch(() => {});
    await reader.cancel().catch(() => {});
    child.kill("SIGTERM");
    await child.status;
  }
  return out;
}

function splitLines(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, ctl) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const p of parts) ctl.enqueue(p);
    },
    flush(ctl) {
      if (rest) ctl.enqueue(rest);
    },
  });
}
