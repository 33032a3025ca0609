/**
 * `bmpmon serve` with RPKI_VRP_FILE runs the validation job itself: after the file changes,
 * `rpki_record_changes()` records every stored route's state (rpki_route_states), the
 * invalid one lands in rpki_changes, and /metrics has `bmpmon_rpki_routes` per view. It runs
 * under exactly the start task's permission flags (those `deno task compile` bakes in), so
 * the VRP file's read grant is proven too.
 */

import { assert, assertEquals } from "../_assert.ts";
import { fixture } from "../_data.ts";
import { permissionFlagsOf, taskArgs } from "../_tasks.ts";
import { Router } from "../control/_live.ts";
import { dbTest, serve, until } from "../e2e/_serve.ts";

const GOOD = fixture("gobgp-frr-lab/gobgp-3.10-all-1k.bmp");

/** The capture's BMP messages but its Peer Downs and Termination: the routes stay current. */
async function withoutGoodbyes(path: string): Promise<Uint8Array> {
  const b = await Deno.readFile(path);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const keep: Uint8Array[] = [];
  for (let off = 0; off + 6 <= b.length;) {
    const len = v.getUint32(off + 1);
    if (b[off + 5] !== 2 && b[off + 5] !== 5) keep.push(b.subarray(off, off + len));
    off += len;
  }
  const out = new Uint8Array(keep.reduce((n, k) => n + k.length, 0));
  let at = 0;
  for (const k of keep) out.set(k, at), at += k.length;
  return out;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

dbTest("serve: a VRP file change records route states and fills bmpmon_rpki_routes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bmpmon-rov-" });
  const file = `${dir}/vrps.json`;
  await Deno.writeTextFile(file, JSON.stringify({ roas: [] }));
  const metricsPort = freePort();
  let flags: string[] = [];
  const s = await serve({
    RPKI_VRP_FILE: file,
    METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
  }, {
    denoArgs: async (env) => {
      const args = await taskArgs("start", env);
      flags = permissionFlagsOf(args);
      return args;
    },
  });
  assert(flags.some((f) => f.startsWith("--allow-read=") && f.includes(file)), flags.join(" "));
  const router = await Router.connect(s.port);
  try {
    await router.send(await withoutGoodbyes(GOOD));
    await until(
      async () => (await s.sql`SELECT count(*)::int AS n FROM rib`)[0].n > 0,
      30_000,
      "rib",
    );
    await new Promise((r) => setTimeout(r, 1000));
    // One unicast route with an origin: a VRP of another ASN makes it invalid.
    const [r] = await s.sql`
      SELECT prefix::text AS prefix, origin_as::text AS origin FROM v_routes
      WHERE rpki_state IS NOT NULL AND origin_as IS NOT NULL ORDER BY prefix LIMIT 1`;
    assert(r, "a current unicast route");
    const origin = Number(r.origin);
    const bad = origin === 64511 ? 64510 : 64511;
    const len = Number(r.prefix.split("/")[1]);
    await Deno.writeTextFile(
      file,
      JSON.stringify({ roas: [{ prefix: r.prefix, maxLength: len, asn: `AS${bad}`, ta: "t" }] }),
    );
    // Unicast routes of the global table: those RFC 6811 validation covers.
    const [{ routes }] = await s.sql`
      SELECT count(*)::int AS routes FROM v_routes WHERE rpki_state IS NOT NULL`;
    // The file is polled every 5 s, the job runs 10 s after the set changed. This run fills
    // the snapshot (the one at start saw no route).
    await until(
      async () => (await s.sql`SELECT count(*)::int AS n FROM rpki_route_states`)[0].n === routes,
      60_000,
      "every route's state recorded",
    );
    const [st] = await s.sql`
      SELECT state FROM rpki_route_states WHERE prefix = ${r.prefix}::inet LIMIT 1`;
    assertEquals(st?.state, "invalid");
    // The job sets the gauge after it committed the states: the gauge follows shortly.
    let text = "";
    let invalid: string[] = [];
    await until(
      async () => {
        text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        invalid = text.split("\n").filter((l) =>
          l.startsWith("bmpmon_rpki_routes{") && l.includes('state="invalid"') && !l.endsWith(" 0")
        );
        return invalid.length > 0;
      },
      30_000,
      () => text.split("\n").filter((l) => l.includes("rpki_routes")).join("\n"),
    );
    // The ROA fixed: the next run records the change, caused by the VRPs.
    await Deno.writeTextFile(
      file,
      JSON.stringify({ roas: [{ prefix: r.prefix, maxLength: len, asn: origin, ta: "t" }] }),
    );
    await until(
      async () =>
        (await s.sql`
          SELECT count(*)::int AS n FROM rpki_changes WHERE prefix = ${r.prefix}::inet
            AND old_state = 'invalid' AND new_state = 'valid' AND cause = 'vrps'`)[0].n > 0,
      60_000,
      "the invalid → valid change recorded",
    );
    console.log(`  ${routes} routes recorded; invalid: ${invalid.join(", ")}`);
  } finally {
    router.close();
    assertEquals(await s.stop(), 0);
    assert(!s.log.some((l) => l.includes("NotCapable")), s.log.join("\n"));
    await Deno.remove(dir, { recursive: true });
  }
});
