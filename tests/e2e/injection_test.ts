/**
 * Every string a router controls lands byte for byte in PostgreSQL, however hostile:
 * quotes, backslashes (and COPY's `\N`), tabs, newlines, SQL, array and log template
 * syntax, non-ASCII, a byte-order mark. The one documented exception (src/store/pg_text.ts):
 * PostgreSQL text cannot hold U+0000, so NUL is stored as U+FFFD. Nothing is executed:
 * every table is still there afterwards.
 *
 * The capture is built here: Initiation (sysName, sysDescr, string), Peer Up with
 * information TLVs (string, VRF/table name, admin label) and OPENs carrying FQDN and
 * software-version capabilities, Route Monitoring with an unknown path attribute and a
 * BMPv4 VRF/table name TLV, Peer Down with a shutdown communication, Termination.
 */

import * as b from "../_build.ts";
import { assert, assertEquals } from "../_assert.ts";
import { dbTest, serve, until } from "./_serve.ts";

const HOSTILE = [
  `'); DROP TABLE rib; --`,
  `"; DROP TABLE routers; --`,
  `back\\slash \\N \\t \\\\ \\x00`,
  "tab\there\nnewline\r\ncrlf",
  "nul\0inside",
  `{array,"like"} NULL null ()`,
  "{placeholder} ${x} %s $1",
  "ünïcødé ✓ 😀",
].join("|");

/** A distinct hostile string per field; `max` bytes at most (one-octet length fields). */
function hostile(field: string, max = 65535): string {
  let s = `${field}:${HOSTILE}`;
  while (new TextEncoder().encode(s).length > max) s = s.slice(0, -1);
  return s;
}

/** What PostgreSQL holds for a decoded string (src/store/pg_text.ts). */
const stored = (s: string) => s.replaceAll("\0", "\ufffd");

const F = {
  sysName: hostile("sysName"),
  sysDescr: hostile("sysDescr"),
  initString: "\ufeff" + hostile("initiation string"), // a leading BOM must survive too
  upString: hostile("peer up string"),
  upTable: hostile("vrf"),
  upLabel: hostile("admin label"),
  hostname: hostile("hostname", 60),
  domain: hostile("domain", 60),
  software: hostile("software", 100),
  rmTable: hostile("rm vrf"),
  shutdown: hostile("shutdown", 255),
  termString: hostile("termination string"),
};

function capture(): Uint8Array {
  const t = b.text;
  const fqdn = b.cap(73, [
    t(F.hostname).length,
    ...t(F.hostname),
    t(F.domain).length,
    ...t(F.domain),
  ]);
  const sw = b.cap(75, [t(F.software).length, ...t(F.software)]);
  const caps = [b.capMp(1, 1), b.capAs4(65001), fqdn, sw];
  const sent = b.open({ myAs: 65001, bgpId: "192.0.2.1", caps });
  const received = b.open({ myAs: 65002, bgpId: "192.0.2.2", caps });
  const peer = { address: "192.0.2.2", asn: 65002 };
  const unknownAttr = b.attr(99, t(hostile("attribute 99", 200)), 0xc0);
  const v4Pdu = b.update({
    attrs: [...b.basicAttrs(), unknownAttr],
    nlri: [b.prefix("10.2.0.0/16")],
  });
  return b.cat(
    b.initiation(b.tlv(2, t(F.sysName)), b.tlv(1, t(F.sysDescr)), b.tlv(0, t(F.initString))),
    b.peerUp(sent, received, {
      ...peer,
      tlvs: [b.tlv(0, t(F.upString)), b.tlv(3, t(F.upTable)), b.tlv(4, t(F.upLabel))],
    }),
    b.routeMonitoring(
      b.update({ attrs: [...b.basicAttrs(), unknownAttr], nlri: [b.prefix("10.1.0.0/16")] }),
      peer,
    ),
    b.routeMonitoring(b.cat(b.tlv4(3, 0, t(F.rmTable)), b.tlv4(4, 0, v4Pdu)), peer, 4),
    b.peerDown(1, b.notification(6, 2, [t(F.shutdown).length, ...t(F.shutdown)]), peer),
    b.termination(b.tlv(0, t(F.termString)), b.tlv(1, b.u16(0))),
  );
}

const TABLES = [
  "routers",
  "router_events",
  "peers",
  "peer_events",
  "stats_reports",
  "route_mirroring",
  "decode_errors",
  "path_attrs",
  "route_history",
  "rib",
];

dbTest("serve stores hostile strings byte for byte (NUL as U+FFFD) and executes none", async () => {
  const s = await serve();
  let stopped = false;
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
    await conn.write(capture());
    conn.close();
    const sql = s.sql;
    const one = async <T>(q: Promise<T[]>) => (await q)[0];
    await until(
      async () =>
        (await one(sql`SELECT count(*)::int AS n FROM router_events WHERE event = 'termination'`))
            .n === 1 &&
        (await one(sql`SELECT count(*)::int AS n FROM route_history`)).n === 2 &&
        (await one(sql`SELECT count(*)::int AS n FROM peer_events WHERE reason = 1`)).n === 1,
      30_000,
      "the capture's rows",
    );

    // Text columns: compared as UTF-8 bytes.
    const bytesOf = async (q: Promise<{ v: Uint8Array | null }[]>) => {
      const r = await one(q);
      return r?.v ? new TextDecoder("utf-8", { ignoreBOM: true }).decode(r.v) : r?.v;
    };
    const utf8 = (col: string) => sql`convert_to(${sql(col)}, 'UTF8')`;
    assertEquals(
      await bytesOf(sql`SELECT ${utf8("sys_name")} AS v FROM routers`),
      stored(F.sysName),
      "routers.sys_name",
    );
    assertEquals(
      await bytesOf(sql`SELECT ${utf8("sys_descr")} AS v FROM routers`),
      stored(F.sysDescr),
      "routers.sys_descr",
    );
    assertEquals(
      await bytesOf(sql`SELECT ${utf8("name")} AS v FROM routers`),
      stored(F.sysName),
      "routers.name",
    );
    assertEquals(
      await bytesOf(sql`SELECT ${utf8("sys_name")} AS v FROM router_events
        WHERE event = 'initiation'`),
      stored(F.sysName),
      "router_events.sys_name",
    );
    const tables = (await sql`SELECT convert_to(table_name, 'UTF8') AS v FROM peers
      ORDER BY table_name`).map((r) => new TextDecoder().decode(r.v));
    assertEquals(
      tables.sort(),
      [stored(F.rmTable), stored(F.upTable)].sort(),
      "peers.table_name (Peer Up TLV, BMPv4 Route Monitoring TLV)",
    );

    // jsonb columns: compared as the strings they hold.
    const values = (info: { type: number; value: string }[]) =>
      Object.fromEntries(info.map((t) => [t.type, t.value]));
    const router = await one(sql`SELECT initiation, termination FROM routers`);
    assertEquals(values(router.initiation), {
      0: stored(F.initString),
      1: stored(F.sysDescr),
      2: stored(F.sysName),
    }, "routers.initiation");
    assertEquals(values(router.termination)[0], stored(F.termString));
    const ev = await one(sql`SELECT information FROM router_events WHERE event = 'initiation'`);
    assertEquals(values(ev.information)[0], stored(F.initString), "router_events.information");
    const p = await one(sql`SELECT information, capabilities, down_notification FROM peers
      WHERE table_name = ${stored(F.upTable)}`);
    assertEquals(values(p.information), {
      0: stored(F.upString),
      3: stored(F.upTable),
      4: stored(F.upLabel),
    }, "peers.information");
    for (const side of ["sent", "received"]) {
      const caps = p.capabilities[side] as Record<string, unknown>[];
      const fq = caps.find((c) => c.code === 73)!;
      assertEquals([fq.hostname, fq.domain], [stored(F.hostname), stored(F.domain)]);
      assertEquals(caps.find((c) => c.code === 75)!.text, stored(F.software));
    }
    assertEquals(p.down_notification.shutdownCommunication, stored(F.shutdown));
    const up = await one(sql`SELECT info FROM peer_events WHERE event = 'up'`);
    assertEquals(values(up.info.information)[4], stored(F.upLabel), "peer_events.info");
    const down = await one(sql`SELECT notification FROM peer_events WHERE reason = 1`);
    assertEquals(down.notification.shutdownCommunication, stored(F.shutdown));
    const attrs = await sql`SELECT unknown_attrs FROM path_attrs`;
    assert(attrs.length >= 1);
    const hex = Array.from(
      b.text(hostile("attribute 99", 200)),
      (x) => x.toString(16).padStart(2, "0"),
    ).join("");
    assert(JSON.stringify(attrs[0].unknown_attrs).includes(hex), "unknown attribute kept as hex");

    // Nothing ran: every table is still there, with the rows it should have.
    for (const t of TABLES) {
      const [{ r }] = await sql`SELECT to_regclass(${t})::text AS r`;
      assertEquals(r, t, `table ${t} exists`);
    }
    assertEquals((await one(sql`SELECT count(*)::int AS n FROM rib`)).n, 2);
    assertEquals((await one(sql`SELECT count(*)::int AS n FROM routers`)).n, 1);
    assertEquals((await one(sql`SELECT count(*)::int AS n FROM decode_errors`)).n, 0);
    stopped = true;
    assertEquals(await s.stop(), 0, "serve exits 0");
    assert(!s.log.some((l) => l.includes('"level":"ERROR"')), "no error was logged");
  } catch (e) {
    throw new Error(`${(e as Error).message}\nserve log:\n${s.log.slice(-20).join("\n")}`, {
      cause: e,
    });
  } finally {
    if (!stopped) await s.stop();
  }
});
