/**
 * MRT (RFC 6396) decoding: `readMrt()` walks the records of a file; the BGP parts are
 * decoded by the project's BGP decoders (`src/bgp/`). `bgpdumpLines()` formats records as
 * `bgpdump -m` does.
 *
 * @module
 */

export * from "./constants.ts";
export type * from "./errors.ts";
export type * from "./types.ts";
export { looksLikeMrt, MRT_HEADER_LENGTH, type MrtItem, readMrt } from "./reader.ts";
export { decodeRibAttributes } from "./rib_attributes.ts";
export { bgpdumpLines } from "./bgpdump.ts";
export { type MrtSummary, MrtSummaryBuilder } from "./summary.ts";
export { type MrtReplayStats, mrtToBmp } from "./to_bmp.ts";
