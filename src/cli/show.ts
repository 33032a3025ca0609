/**
 * Human text of the control endpoint's answers (`bmpmon show …`; `--json` prints the
 * answers as they are).
 *
 * @module
 */

import type {
  ClientDetail,
  ClientInfo,
  ConsumeSummary,
  HeldRouterInfo,
  MessageInfo,
  PeerInfo,
  RoutesResult,
  SqlResult,
  Station,
  Summary,
} from "../control/api.ts";
import {
  count,
  duration,
  fields,
  humanBytes,
  negotiatedFields,
  recoveriesText,
  table,
} from "../control/format.ts";

function storeText(st: Summary["store"]): string {
  // An edge collector: no store to probe, the bus is its outlet.
  if (st.kind === "none") return "none (STORE=none: messages go to the bus)";
  return `${st.kind} ${st.state === "ok" ? `ok (probe ${st.probe_ms} ms)` : `ERROR: ${st.error}`}`;
}

function batchesText(st: Summary["store"]): string {
  return `${count(st.batches)} committed, ${count(st.routes)} routes, ${
    count(st.errors)
  } errors, ` +
    `${count(st.commit_ms)} ms in transactions`;
}

function spoolText(sp: Summary["spool"]): string {
  return `${count(sp.depth)} messages waiting, ${humanBytes(sp.bytes)}, ${sp.mode}` +
    (sp.outage_s ? `, database gone for ${sp.outage_s} s` : "");
}

/** The `bus` line of `show summary`. */
export function busText(b: NonNullable<Summary["bus"]>): string {
  return `nats ${b.connected ? "connected" : `DOWN for ${b.down_s} s`}, ` +
    `${count(b.published)} published (${humanBytes(b.bytes)}), ${count(b.in_flight)} in flight, ` +
    `${count(b.backlog)} to read, ${count(b.errors)} errors`;
}

/** One held-down router in one line: `192.0.2.1 (9m58s left, 3 flaps, 2 refused)`. */
function heldLine(h: HeldRouterInfo): string {
  return `${h.address} (${duration(h.left_s)} left, ${h.flaps} flaps, ${count(h.refused)} refused)`;
}

/** `show station`. */
export function stationText(s: Station): string {
  const c = s.clients;
  const max = c.max === null ? "no limit" : `max ${count(c.max)}`;
  const perAddress = c.max_per_address === null ? "" : `, ${count(c.max_per_address)} per address`;
  const hd = s.holddown;
  const listen = s.listen.address.includes(":") ? `[${s.listen.address}]` : s.listen.address;
  return fields([
    ["version", s.version],
    ["uptime", `${duration(s.uptime_s)} (since ${s.started_at})`],
    ["listening", `${listen}:${s.listen.port}`],
    ["clients", `${c.current} current, ${max}${perAddress}`],
    [
      "hold-down",
      hd ? `${hd.flaps} flaps in ${duration(hd.period_s)}: held ${duration(hd.hold_s)}` : "off",
    ],
    ["held down", s.held_down.length ? s.held_down.map(heldLine).join(", ") : "none"],
    ["store", storeText(s.store)],
    ["spool", spoolText(s.spool)],
    ["bus", s.bus.kind === "none" ? "none" : `${s.bus.kind} ${s.bus.state}`],
  ]);
}

/** The held-down section of `show clients` (empty when none is held). */
export function heldText(list: HeldRouterInfo[]): string {
  if (list.length === 0) return "";
  return "held down (ROUTER_HOLDDOWN): new connections refused until the hold ends\n" + table(
    ["Address", "Since", "Left", "Flaps", "Refused", "Hold-downs"],
    list.map((h) => [
      h.address,
      h.since,
      duration(h.left_s),
      h.flaps,
      h.refused,
      h.holddowns,
    ]),
  );
}

/** `show summary`. */
export function summaryText(s: Summary): string {
  const st = s.store;
  return fields([
    ["uptime", `${duration(s.uptime_s)} (since ${s.started_at})`],
    ["listening", s.listen],
    [
      "routers",
      `${s.routers.connected} connected, ${s.routers.sessions_total} sessions since start`,
    ],
    ["peers", `${s.peers.up} up of ${s.peers.total}`],
    [
      "messages",
      `${count(s.messages)} (${humanBytes(s.bytes)}, ${count(s.decode_errors)} decode errors)`,
    ],
    ["routes", `${count(s.routes.announced)} announced, ${count(s.routes.withdrawn)} withdrawn`],
    ["store", storeText(st)],
    ["batches", batchesText(st)],
    ["spool", spoolText(s.spool)],
    ["rpki", rpkiText(s.rpki ?? [])],
    ...(s.bus ? [["bus", busText(s.bus)] as [string, unknown]] : []),
  ]);
}

/** `show summary` of `bmpmon consume`. */
export function consumeSummaryText(s: ConsumeSummary): string {
  const c = s.consume;
  const sk = c.skipped;
  const skippedAll = sk.other_member + sk.foreign + sk.orphan_end + sk.parsed;
  return fields([
    ["uptime", `${duration(s.uptime_s)} (since ${s.started_at})`],
    ["consume", `member ${c.member.index}/${c.member.count} of stream ${c.stream}`],
    [
      "bus",
      `nats ${c.connected ? "connected" : `DOWN for ${c.down_s} s`} (${c.servers.join(", ")})`,
    ],
    [
      "stream",
      `last seq ${count(c.last_seq)}, ${count(c.pending)} pending` +
      (c.caught_up ? " (caught up)" : "") +
      `, resumes at ${count(c.resume_seq)}, started at ${count(c.start_seq)}` +
      (c.restarts ? `, ${count(c.restarts)} consumer restarts` : ""),
    ],
    [
      "messages",
      `${count(c.messages)} stored, ${count(skippedAll)} skipped (${count(sk.other_member)} ` +
      `of other members, ${count(sk.foreign)} foreign, ${count(sk.orphan_end)} orphan ends, ` +
      `${count(sk.parsed)} parsed), ${count(c.decode_errors)} decode errors`,
    ],
    [
      "connections",
      `${count(c.connections.open)} open, ${count(c.connections.closed)} closed`,
    ],
    ["store", storeText(s.store)],
    ["batches", batchesText(s.store)],
  ]);
}

/** The `rpki` line of `show summary`: each source, an expired one in capitals. */
export function rpkiText(list: Summary["rpki"]): string {
  if (list.length === 0) return "off (no RPKI_RTR or RPKI_VRP_FILE)";
  return list.map((r) => {
    const state = r.state === "expired"
      ? "EXPIRED (VRPs dropped, every route unknown)"
      : r.state === "error" || r.state === "stale"
      ? r.state.toUpperCase()
      : r.state;
    const parts = [`${r.source} ${state}`, `${count(r.vrps)} VRPs`];
    if (r.serial !== null) parts.push(`serial ${r.serial}`);
    if (r.protocol_version !== null) parts.push(`v${r.protocol_version}`);
    if (r.age_s !== null) parts.push(`updated ${duration(r.age_s)} ago`);
    if (r.error) parts.push(r.error);
    return parts.join(", ");
  }).join("; ");
}

function peersCell(c: ClientInfo): string {
  return `${c.peers} (${c.peers_up} up)`;
}

/** `show clients`, with the held-down routers below. */
export function clientsText(list: ClientInfo[], held: HeldRouterInfo[] = []): string {
  const h = heldText(held);
  const connected = clientsTable(list);
  return h ? `${connected}\n\n${h}` : connected;
}

function clientsTable(list: ClientInfo[]): string {
  if (list.length === 0) return "no router connected";
  return table(
    ["ID", "Address:Port", "Name", "Uptime", "Peers", "Messages", "Data"],
    list.map((c) => [
      c.id,
      c.endpoint,
      c.sys_name ?? "",
      duration(c.uptime_s),
      peersCell(c),
      c.messages,
      humanBytes(c.bytes),
    ]),
  );
}

/** `show client ID`. */
export function clientText(c: ClientDetail): string {
  const byType = Object.entries(c.messages_by_type).map(([k, v]) => `${k} ${count(v)}`);
  const errors = Object.entries(c.decode_errors_by_code).map(([k, v]) => `${k} ${count(v)}`);
  return fields([
    ["client", c.id],
    ["address", c.endpoint],
    ["name", c.sys_name ?? ""],
    ["description", c.sys_descr ?? ""],
    ["connected", `${c.connected_at} (${duration(c.uptime_s)})`],
    ...(c.closed_at ? [["closed", c.closed_at] as [string, unknown]] : []),
    ["peers", peersCell(c)],
    ["messages", `${count(c.messages)}${byType.length ? ` (${byType.join(", ")})` : ""}`],
    ["data", `${humanBytes(c.bytes)} (${count(c.bytes)} bytes)`],
    ["decode errors", `${count(c.decode_errors)}${errors.length ? ` (${errors.join(", ")})` : ""}`],
    ["recoveries", recoveriesText(c.recoveries_by_cause)],
    ["debug", c.debug ? "on" : "off"],
    ["database id", c.db_router_id ?? ""],
  ]);
}

/** `show client ID peers`. */
export function peersText(list: PeerInfo[]): string {
  if (list.length === 0) return "no peer reported yet";
  return table(
    ["Peer", "Type", "RD", "AS", "BGP ID", "State", "Messages", "Announced", "Withdrawn"],
    list.map((p) => [
      p.address,
      p.peer_type,
      p.rd ?? "",
      p.asn,
      p.bgp_id,
      p.state === "down" && p.down_reason ? `down (${p.down_reason})` : p.state,
      p.messages,
      p.announced,
      p.withdrawn,
    ]),
  );
}

/** `show client ID peer PEER`. */
export function peerText(list: PeerInfo[]): string {
  return list.map((p) => {
    const lines: [string, unknown][] = [
      ["peer", `${p.address} AS${p.asn}${p.rd ? ` RD ${p.rd}` : ""} (${p.peer_type})`],
      ["bgp id", p.bgp_id],
      ["state", p.state === "down" && p.down_reason ? `down (${p.down_reason})` : p.state],
      ["messages", count(p.messages)],
      ["routes", `${count(p.announced)} announced, ${count(p.withdrawn)} withdrawn`],
      ["last message", p.last_message ?? ""],
      ["recoveries", recoveriesText(p.recoveries)],
    ];
    if (p.negotiated) lines.push(...negotiatedFields(p.negotiated));
    const s = p.session;
    if (s) {
      lines.push(
        ["local", `${s.local_address}:${s.local_port} AS${s.local_asn} BGP ID ${s.local_bgp_id}`],
        ["remote port", s.remote_port],
        ["hold time", `${s.hold_time}s`],
        ["sent caps", s.sent_capabilities.join(", ")],
        ["received caps", s.received_capabilities.join(", ")],
      );
      for (const i of s.information) lines.push([`info ${i.name}`, i.value]);
    }
    const st = Object.entries(p.last_stats ?? {});
    if (st.length) lines.push(["last stats", st.map(([k, v]) => `${k}=${v}`).join(" ")]);
    return fields(lines);
  }).join("\n\n");
}

/** `show client ID messages`. */
export function messagesText(list: MessageInfo[]): string {
  if (list.length === 0) return "no message yet";
  return list.map((m) => `${m.time.slice(11, 23)}  ${m.line}`).join("\n");
}

/** `show routes PREFIX`. */
export function routesText(r: RoutesResult): string {
  if (r.routes.length === 0) return `no route for ${r.prefix} (${r.match} match)`;
  const t = table(
    ["Router", "Peer", "AS", "RIB", "Prefix", "RPKI", "AS path", "Next hop", "Communities"],
    r.routes.map((x) => [
      x.router,
      x.peer,
      x.peer_asn,
      x.rib,
      `${x.rd ? `${x.rd}:` : ""}${x.prefix}${x.path_id === null ? "" : ` #${x.path_id}`}`,
      x.rpki_state ?? "",
      x.as_path,
      x.next_hop ?? "",
      [...x.communities, ...x.large_communities].join(" "),
    ]),
  );
  const n = r.routes.length;
  return `${t}\n(${n} route${n === 1 ? "" : "s"}${
    r.truncated ? "; more match: raise --limit" : ""
  })`;
}

/** `sql`: a table and a row count, as psql prints them. */
export function sqlText(r: SqlResult): string {
  const n = r.rows.length;
  return `${table(r.columns, r.rows)}\n(${n} row${n === 1 ? "" : "s"})`;
}

/** `sql --json`: one object per row. */
export function sqlJson(r: SqlResult): Record<string, unknown>[] {
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])));
}
