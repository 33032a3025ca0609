/**
 * Just enough of GoBGP's gRPC API (v3, package `apipb`) to add and delete SR Policy and RTC
 * paths, which the `gobgp` CLI of Debian's 3.x cannot originate. Messages are encoded by
 * hand (protobuf wire format: tag = field << 3 | wire type; 0 varint, 2 length-delimited)
 * with the field numbers of GoBGP 3.10's `api/gobgp.proto` and `api/attribute.proto`, and
 * sent as a unary gRPC call over HTTP/2 cleartext.
 *
 * @module
 */

import http2 from "node:http2";

type Field = [number, number | bigint | boolean | string | Uint8Array | Field[]];

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

/** Encodes a message from [field number, value] pairs; a nested array is a sub-message. */
export function pb(fields: Field[]): Uint8Array {
  const out: number[] = [];
  for (const [f, v] of fields) {
    if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") {
      out.push(...varint(f << 3), ...varint(typeof v === "boolean" ? (v ? 1 : 0) : v));
      continue;
    }
    const bytes = typeof v === "string"
      ? new TextEncoder().encode(v)
      : v instanceof Uint8Array
      ? v
      : pb(v);
    out.push(...varint((f << 3) | 2), ...varint(bytes.length), ...bytes);
  }
  return Uint8Array.from(out);
}

/** A google.protobuf.Any of an `apipb` message. */
export const any = (type: string, fields: Field[]): Field[] => [
  [1, `type.googleapis.com/apipb.${type}`],
  [2, pb(fields)],
];

/** One unary call; resolves with the response message, rejects on a non-zero grpc-status. */
export function grpcCall(port: number, method: string, body: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on("error", reject);
    const req = client.request({
      ":method": "POST",
      ":path": `/apipb.GobgpApi/${method}`,
      "content-type": "application/grpc",
      te: "trailers",
    });
    const chunks: Uint8Array[] = [];
    let status: string | undefined;
    let message = "";
    const headers = (h: Record<string, unknown>) => {
      if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
      if (h["grpc-message"] !== undefined) message = decodeURIComponent(String(h["grpc-message"]));
    };
    req.on("response", headers);
    req.on("trailers", headers);
    req.on("data", (c: Uint8Array) => chunks.push(c));
    req.on("error", reject);
    req.on("end", () => {
      client.close();
      if (status !== "0") reject(new Error(`gRPC ${method}: status ${status} ${message}`));
      else {
        const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
        let o = 0;
        for (const c of chunks) all.set(c, (o += c.length) - c.length);
        resolve(all.subarray(5));
      }
    });
    const frame = new Uint8Array(5 + body.length);
    new DataView(frame.buffer).setUint32(1, body.length);
    frame.set(body, 5);
    req.end(frame);
  });
}

/** A Path (gobgp.proto `Path`): NLRI, attributes and family. */
export function path(nlri: Field[], pattrs: Field[][], afi: number, safi: number): Field[] {
  return [[1, nlri], ...pattrs.map((a): Field => [2, a]), [9, [[1, afi], [2, safi]]]];
}

/** AddPath into the global RIB. */
export function addPath(port: number, p: Field[]): Promise<Uint8Array> {
  return grpcCall(port, "AddPath", pb([[1, 0], [3, p]]));
}

/** DeletePath from the global RIB. */
export function deletePath(port: number, p: Field[], afi: number, safi: number) {
  return grpcCall(port, "DeletePath", pb([[1, 0], [3, [[1, afi], [2, safi]]], [4, p]]));
}

export type { Field };
