import { decodeNlri } from "../../../src/bgp/nlri/decode.ts";
import type { Nlri } from "../../../src/bgp/nlri/types.ts";
import { WireReader } from "../../../src/wire/reader.ts";
import type { Part } from "../../_build.ts";

/** Decodes the NLRI of one family and checks that all of it was read. */
export function decodeFamily(afi: number, safi: number, bytes: Part, addPath = false): Nlri[] {
  const r = new WireReader(Uint8Array.from(bytes));
  const out: Nlri[] = [];
  decodeNlri(r, afi, safi, addPath, false, out);
  if (r.pos !== r.end) throw new Error(`stopped at ${r.pos} of ${r.end}`);
  return out;
}
