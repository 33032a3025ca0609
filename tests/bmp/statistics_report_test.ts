import type { StatisticsReportMessage } from "../../src/bmp/message.ts";
import {
  assertDecodeError,
  assertEquals,
  bmp,
  cat,
  decodeBmp,
  perPeer,
  statsReport,
  tlv,
  u16,
  u32,
  u64,
} from "../_build.ts";

const stats = (b: Uint8Array) => decodeBmp(b) as StatisticsReportMessage;

Deno.test("decodeStatisticsReport() reads 32-bit counters (RFC 7854 §4.8)", () => {
  const m = stats(statsReport([[0, u32(1)], [2, u32(4294967295)], [11, u32(3)]]));
  assertEquals(m.count, 3);
  assertEquals(m.stats, [
    { type: 0, name: "rejected_prefixes", value: 1 },
    { type: 2, name: "duplicate_withdraws", value: 4294967295 },
    { type: 11, name: "updates_treated_as_withdraw", value: 3 },
  ]);
});

Deno.test("decodeStatisticsReport() reads 64-bit gauges as numbers, or bigint beyond 2^53", () => {
  const m = stats(statsReport([[7, u64(800n)], [8, u64(2n ** 63n + 5n)]]));
  assertEquals(m.stats, [
    { type: 7, name: "adj_rib_in_routes", value: 800 },
    { type: 8, name: "loc_rib_routes", value: 2n ** 63n + 5n },
  ]);
});

Deno.test("decodeStatisticsReport() reads per-AFI/SAFI gauges", () => {
  const m = stats(
    statsReport([[9, cat(u16(2), [1], u64(200n))], [10, cat(u16(25), [70], u64(12n))]]),
  );
  assertEquals(m.stats, [
    { type: 9, name: "adj_rib_in_routes_per_afi_safi", afi: 2, safi: 1, value: 200 },
    { type: 10, name: "loc_rib_routes_per_afi_safi", afi: 25, safi: 70, value: 12 },
  ]);
});

Deno.test("decodeStatisticsReport() decodes unknown types by their length", () => {
  const m = stats(
    statsReport([[65531, u32(9)], [400, u64(10n)], [401, cat(u16(1), [1], u64(11n))]]),
  );
  assertEquals(m.stats, [
    { type: 65531, name: "stat_65531", value: 9 },
    { type: 400, name: "stat_400", value: 10 },
    { type: 401, name: "stat_401", afi: 1, safi: 1, value: 11 },
  ]);
});

Deno.test("decodeStatisticsReport() keeps data of an odd length raw", () => {
  const m = stats(statsReport([[0, [1, 2, 3]], [7, []], [12, u32(5)]]));
  assertEquals(m.stats, [
    { type: 0, name: "rejected_prefixes", raw: "010203" },
    { type: 7, name: "adj_rib_in_routes", raw: "" },
    { type: 12, name: "prefixes_treated_as_withdraw", value: 5 },
  ]);
});

Deno.test("decodeStatisticsReport() keeps a Stats Count that disagrees with the stats", () => {
  const m = stats(statsReport([[0, u32(1)]], {}, 5));
  assertEquals([m.count, m.stats.length], [5, 1]);
});

Deno.test("decodeStatisticsReport() rejects a stat length crossing the message end", () => {
  const b = statsReport([[0, u32(1)], [7, u64(1n)]]);
  b[b.length - 9] = 9; // second stat: length 9, 8 bytes left
  assertDecodeError(() => stats(b), "short-input");
});

Deno.test("decodeStatisticsReport() rejects a stat header cut by the message end", () => {
  const b = bmp(1, cat(perPeer(), u32(2), tlv(0, u32(1)), [0, 7, 0]));
  assertDecodeError(() => stats(b), "short-input");
});

Deno.test("decodeStatisticsReport() does not read a stat past the BMP length", () => {
  const b = statsReport([[7, u64(1n)]]);
  b[4] -= 2; // the gauge's last two bytes are outside the message
  assertDecodeError(() => stats(b), "short-input");
});
