// Differential test with asn1js as an independent BER parser: for the real racoon2 AP-REQ and for
// generated messages of every type, asn1js parses our encoder's output completely, sees the same
// tag / length tree (definite, minimal lengths), the same INTEGER values and the same
// GeneralizedTime instants that our reader decodes.
import * as asn1js from "asn1js";
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DerReader } from "../../src/krb/der/reader.ts";
import * as M from "../../src/krb/messages/index.ts";
import { codecs, racoonApMessages, racoonKdcMessages, type Tlv, tlvTree } from "../helpers/krb.ts";

const CLASS_BITS: Record<number, number> = { 1: 0x00, 2: 0x40, 3: 0x80, 4: 0xc0 };
const reader = new DerReader();
const YEAR_100 = -59011459200000; // 0100-01-01T00:00:00Z

function compare(bytes: Uint8Array, ours: Tlv, theirs: asn1js.AsnType, path: string): void {
  const id = theirs.idBlock;
  const tag = CLASS_BITS[id.tagClass]! | (id.isConstructed ? 0x20 : 0) | id.tagNumber;
  assert.is(tag, ours.tag, `${path}: tag`);
  assert.not.ok(theirs.lenBlock.isIndefiniteForm, `${path}: indefinite`);
  assert.is(theirs.lenBlock.length, ours.length, `${path}: length`);
  // Minimal length form: long form exactly when the length is 128 or more (X.690 §10.1).
  assert.is(theirs.lenBlock.longFormUsed, ours.length >= 0x80, `${path}: length form`);
  assert.is(id.blockLength + theirs.lenBlock.blockLength, ours.contentOffset - ours.offset, `${path}: header size`);
  if (id.isConstructed) {
    const kids = (theirs.valueBlock as unknown as { value: asn1js.AsnType[] }).value;
    assert.is(kids.length, ours.children!.length, `${path}: child count`);
    for (const [i, c] of ours.children!.entries()) compare(bytes, c, kids[i]!, `${path}/${i}`);
    return;
  }
  if (theirs instanceof asn1js.Integer) {
    reader.reset(bytes);
    reader.pos = ours.offset;
    const end = ours.contentOffset + ours.length;
    const big = theirs.toBigInt();
    const mine = big < 0n ? reader.int32(end) : big > 0x7fffffffn ? reader.uint32(end) : reader.int32(end);
    assert.is(BigInt(mine), big, `${path}: INTEGER value`);
  } else if (theirs instanceof asn1js.GeneralizedTime) {
    reader.reset(bytes);
    reader.pos = ours.offset;
    const mine = reader.time(ours.contentOffset + ours.length);
    // asn1js builds its Date with Date.UTC, which maps years 0..99 to 1900..1999: compare from year 100 on.
    if (mine >= YEAR_100) assert.is(mine, theirs.toDate().getTime(), `${path}: GeneralizedTime`);
  }
}

function oracle(der: Uint8Array, what: string): void {
  const parsed = asn1js.fromBER(der);
  assert.is(parsed.offset, der.length, `${what}: asn1js consumed ${parsed.offset} of ${der.length} (${parsed.result.error})`);
  const ours = tlvTree(der);
  assert.is(ours.length, 1);
  compare(der, ours[0]!, parsed.result, what);
}

test("asn1js agrees with the structure of the racoon2 AP-REQ and of our re-encoding of it", () => {
  for (const { der } of racoonApMessages("KINK_AP_REQ")) {
    oracle(der, "racoon2 AP-REQ");
    oracle(M.encodeApReq(M.decodeApReq(der)), "re-encoded AP-REQ");
    const parsed = asn1js.fromBER(der).result;
    // Spot check through asn1js alone: ticket realm and sname components.
    const seq = (parsed.valueBlock as unknown as { value: asn1js.AsnType[] }).value[0]!;
    const fields = (seq.valueBlock as unknown as { value: asn1js.AsnType[] }).value;
    const ticketApp = (fields[3]!.valueBlock as unknown as { value: asn1js.AsnType[] }).value[0]!;
    const ticketSeq = (ticketApp.valueBlock as unknown as { value: asn1js.AsnType[] }).value[0]!;
    const [, realmField] = (ticketSeq.valueBlock as unknown as { value: asn1js.AsnType[] }).value;
    const realm = (realmField!.valueBlock as unknown as { value: asn1js.GeneralString[] }).value[0]!;
    assert.is(realm.valueBlock.value, "KINK.TEST");
  }
  for (const der of racoonKdcMessages()) oracle(der, `racoon2 KDC message ${M.peekApplicationTag(der)}`);
});

for (const c of codecs) {
  test(`asn1js agrees with our ${c.name} encodings`, () => {
    fc.assert(
      fc.property(c.arb, (x) => {
        oracle(c.encode(x), c.name);
      }),
      { seed: 3961, numRuns: 60 },
    );
  });
}

test.run();
