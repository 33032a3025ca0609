import type { InitiationMessage, TerminationMessage } from "../../src/bmp/message.ts";
import {
  assertDecodeError,
  assertEquals,
  decodeBmp,
  initiation,
  termination,
  text,
  tlv,
  u16,
} from "../_build.ts";

Deno.test("decodeInitiation() reads sysName, sysDescr and string TLVs (RFC 7854 §4.3)", () => {
  const m = decodeBmp(initiation(
    tlv(1, text("FRRouting 8.4.4")),
    tlv(2, text("frr-lab")),
    tlv(0, text("hello")),
    tlv(99, text("x")),
  )) as InitiationMessage;
  assertEquals(m.kind, "initiation");
  assertEquals([m.sysName, m.sysDescr], ["frr-lab", "FRRouting 8.4.4"]);
  assertEquals(m.information.map((t) => t.name), ["sys_descr", "sys_name", "string", "tlv_99"]);
});

Deno.test("decodeInitiation() reads an Initiation without TLVs", () => {
  assertEquals((decodeBmp(initiation()) as InitiationMessage).information, []);
});

Deno.test("decodeInitiation() rejects a TLV crossing the message end", () => {
  const b = initiation(tlv(2, text("abc")));
  b[9] = 4;
  assertDecodeError(() => decodeBmp(b), "short-input");
});

Deno.test("decodeTermination() reads the reason code and string (RFC 7854 §4.5)", () => {
  const m = decodeBmp(termination(tlv(0, text("bye")), tlv(1, u16(4)))) as TerminationMessage;
  assertEquals([m.reason, m.reasonName], [4, "permanently_administratively_closed"]);
  assertEquals(m.information, [
    { type: 0, name: "string", value: "bye" },
    { type: 1, name: "reason", value: "0004" },
  ]);
  const other = decodeBmp(termination(tlv(1, u16(77)))) as TerminationMessage;
  assertEquals(other.reasonName, "reason_77");
});

Deno.test("decodeTermination() leaves the reason unset for a reason TLV of the wrong size", () => {
  const m = decodeBmp(termination(tlv(1, [0, 0, 1]))) as TerminationMessage;
  assertEquals(m.reason, undefined);
});
