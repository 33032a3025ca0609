/**
 * Input files: whole-file reads with transparent decompression (gzip, xz, bzip2, told
 * apart by magic bytes, not by name), and captures turned into TCP byte streams.
 *
 * @module
 */

import { gunzip } from "node:zlib";
import xz from "xz-decompress";
import bzip from "seek-bzip";
import { resync } from "../bmp/stream.ts";
import { looksLikeMrt } from "../mrt/reader.ts";
import { isPcap, type PcapReadResult, readPcap, type TcpFlow } from "./pcap.ts";

/** A compression format recognised by {@linkcode detectCompression}. */
export type Compression = "gzip" | "xz" | "bzip2" | "none";

/** Largest BMP message a plausible stream may start with (16 MiB). */
const MAX_BMP_LENGTH = 16 * 1024 * 1024;

/** How far into a flow that does not start like BMP a resynchronisation point is looked
 * for (256 KiB): a capture that lost its first segments, or began mid-message. */
const RESYNC_WINDOW = 256 * 1024;

/**
 * Names the compression of `bytes` from its magic number.
 *
 * @param bytes the start of a file
 * @returns "gzip" (1f 8b), "xz" (fd 37 7a 58 5a 00), "bzip2" ("BZh1".."BZh9") or "none"
 *
 * @example
 * ```ts
 * import { detectCompression } from "./file.ts";
 * if (detectCompression(new Uint8Array([0x1f, 0x8b, 8])) !== "gzip") throw new Error("unexpected");
 * ```
 */
export function detectCompression(bytes: Uint8Array): Compression {
  const b = bytes;
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return "gzip";
  if (
    b.length >= 6 && b[0] === 0xfd && b[1] === 0x37 && b[2] === 0x7a && b[3] === 0x58 &&
    b[4] === 0x5a && b[5] === 0
  ) return "xz";
  if (
    b.length >= 4 && b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68 && b[3] >= 0x31 && b[3] <= 0x39
  ) {
    return "bzip2";
  }
  return "none";
}

/**
 * Decompresses `bytes` if they start with gzip, xz or bzip2 magic; returns them unchanged
 * otherwise. Concatenated gzip members and xz/bzip2 streams are all decoded.
 *
 * @param bytes file contents
 * @param name used in error messages
 * @returns the decompressed bytes
 * @throws Error "Cannot decompress NAME: ..." for corrupt or truncated input
 *
 * @example
 * ```ts
 * import { decompress } from "./file.ts";
 * const gz = new Uint8Array(await new Response(
 *   new Blob([new Uint8Array([3, 0, 0, 0, 6, 4])]).stream().pipeThrough(new CompressionStream("gzip")),
 * ).arrayBuffer());
 * if ((await decompress(gz)).length !== 6) throw new Error("unexpected");
 * ```
 */
export async function decompress(bytes: Uint8Array, name = "input"): Promise<Uint8Array> {
  const kind = detectCompression(bytes);
  try {
    switch (kind) {
      case "gzip":
        // node:zlib rather than DecompressionStream: Deno's web stream rejects a second
        // gzip member ("failed to write whole buffer"), and `cat a.gz b.gz` is valid gzip.
        return await new Promise((resolve, reject) =>
          gunzip(bytes, (e, out) => e ? reject(e) : resolve(asPlain(out)))
        );
      case "xz": {
        const input = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(bytes);
            c.close();
          },
        });
        return new Uint8Array(await new Response(new xz.XzReadableStream(input)).arrayBuffer());
      }
      case "bzip2":
        return asPlain(bzip.decode(bytes, undefined, true));
      default:
        return bytes;
    }
  } catch (e) {
    throw new Error(`Cannot decompress ${name} (${kind}): ${e instanceof Error ? e.message : e}`);
  }
}

/** A `Buffer` from a Node-style API, viewed as a plain `Uint8Array` without copying. */
function asPlain(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Reads a whole file, decompressing gzip, xz or bzip2 content transparently.
 *
 * @param path file to read
 * @returns the (decompressed) contents
 * @throws Deno.errors.NotFound and friends from the read, or Error "Cannot decompress ..."
 *
 * @example
 * ```ts ignore
 * import { readInput } from "./file.ts";
 * const raw = await readInput("m320.bmp.xz"); // 21.9 MB of BMP
 * ```
 */
export async function readInput(path: string): Promise<Uint8Array> {
  return await decompress(await Deno.readFile(path), path);
}

/** A capture or raw BMP dump, as TCP byte streams. */
export interface Capture {
  /** The file read. */
  path: string;
  /** "pcap" for pcap/pcapng, "raw" for a bare byte stream, "mrt" for an MRT file
   * (RFC 6396). */
  kind: "raw" | "pcap" | "mrt";
  /** The BMP streams: reassembled flows, or one flow holding the whole raw file (none
   * for MRT). */
  flows: TcpFlow[];
  /** The (decompressed) file, for MRT input. */
  mrt?: Uint8Array;
  /** Packet counters, for pcap input. */
  skipped?: PcapReadResult["skipped"];
}

/**
 * Tells whether `data` starts with a plausible BMP common header (RFC 7854 §4.1):
 * version 3 or 4, a length of 6 bytes to 16 MiB, and message type 0-6.
 *
 * @param data the start of a stream
 * @returns true if a BMP message could start here
 *
 * @example
 * ```ts
 * import { looksLikeBmp } from "./file.ts";
 * if (!looksLikeBmp(new Uint8Array([3, 0, 0, 0, 6, 4]))) throw new Error("unexpected");
 * ```
 */
export function looksLikeBmp(data: Uint8Array): boolean {
  if (data.length < 6 || (data[0] !== 3 && data[0] !== 4)) return false;
  const len = ((data[1] << 24) >>> 0) + (data[2] << 16) + (data[3] << 8) + data[4];
  return len >= 6 && len <= MAX_BMP_LENGTH && data[5] <= 6;
}

/** Whether a flow reads as BMP from its start or after a resynchronisation. */
function startsBmp(f: TcpFlow): boolean {
  if (looksLikeBmp(f.data)) return true;
  return resync(f.data.subarray(0, RESYNC_WINDOW), 0, { gaps: f.gaps }) >= 0;
}

/**
 * Reads a capture file (pcap/pcapng, possibly compressed) or a raw BMP dump.
 *
 * For pcap input, keeps the flows with `port` as source or destination port when given,
 * otherwise the flows whose data starts like a BMP message ({@linkcode looksLikeBmp}), or
 * where two consecutive plausible BMP headers start within the first 256 KiB (a flow
 * whose first segment was lost: the stream walker resynchronises there).
 * A file that does not start like BMP but like an MRT record (`looksLikeMrt()`) is MRT.
 * Anything else is a raw stream: one flow with empty addresses and the whole file.
 *
 * @param path file to read
 * @param opts `port`: the BMP TCP port to select flows by
 * @returns the capture's BMP flows
 * @throws Error for a corrupt pcap or compressed file
 *
 * @example
 * ```ts ignore
 * import { readCapture } from "./file.ts";
 * const { flows } = await readCapture("traffic-00.pcap", { port: 1790 });
 * ```
 */
export async function readCapture(path: string, opts: { port?: number } = {}): Promise<Capture> {
  const bytes = await readInput(path);
  if (!isPcap(bytes)) {
    if (!looksLikeBmp(bytes) && looksLikeMrt(bytes)) {
      return { path, kind: "mrt", flows: [], mrt: bytes };
    }
    const flow: TcpFlow = {
      src: "",
      srcPort: 0,
      dst: "",
      dstPort: 0,
      data: bytes,
      gaps: [],
      packets: 0,
      firstTimestamp: 0,
    };
    return { path, kind: "raw", flows: [flow] };
  }
  let result: PcapReadResult;
  try {
    result = readPcap(bytes);
  } catch (e) {
    throw new Error(`Cannot read capture ${path}: ${e instanceof Error ? e.message : e}`);
  }
  const { port } = opts;
  const flows = result.flows.filter((f) =>
    port !== undefined ? f.srcPort === port || f.dstPort === port : startsBmp(f)
  );
  return { path, kind: "pcap", flows, skipped: result.skipped };
}
