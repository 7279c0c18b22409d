// Strict DER (X.690 §10) and RFC 4120 structure: every malformed input is a KrbDecodeError with
// a field path, an offset and the right RFC 4120 code, never another exception type.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DerReader } from "../../src/krb/der/reader.ts";
import { DerWriter } from "../../src/krb/der/writer.ts";
import { KrbDecodeError, KrbErrorCode } from "../../src/krb/errors.ts";
import * as M from "../../src/krb/messages/index.ts";
import { hex, toHex } from "../helpers/bytes.ts";
import { racoonApMessages, tlvTree, walk } from "../helpers/krb.ts";

/** Hex of one DER element: tag octet, minimal length, contents (hex). */
function tlv(tag: string, content: string): string {
  const n = content.length / 2;
  const len = n < 0x80 ? n.toString(16).padStart(2, "0") : n < 0x100 ? `81${n.toString(16).padStart(2, "0")}` : `82${n.toString(16).padStart(4, "0")}`;
  return `${tag}${len}${content}`;
}

/** `f` must throw a KrbDecodeError with a non-empty field path; returns it. */
function rejects(f: () => unknown, what: string, code: number = KrbErrorCode.KRB_ERR_GENERIC): KrbDecodeError {
  try {
    f();
  } catch (e) {
    if (!(e instanceof KrbDecodeError)) throw new Error(`${what}: threw ${String(e)} instead of KrbDecodeError`);
    assert.ok(e.field.length > 0, `${what}: empty field path`);
    assert.ok(Number.isInteger(e.offset) && e.offset >= 0, `${what}: offset ${e.offset}`);
    assert.is(e.code, code, `${what}: code ${e.code} (${e.message})`);
    return e;
  }
  throw new Error(`${what}: decoded without error`);
}

/** EncryptedData { etype 18, kvno 2, cipher 0102 } and variations of it, built from parts. */
const edOk = "3010a003020112a103020102a2040402 0102";

test("well-formed reference EncryptedData decodes", () => {
  assert.equal(M.decodeEncryptedData(hex(edOk)), { etype: 18, kvno: 2, cipher: hex("0102") });
});

test("lengths: indefinite, non-minimal, past the end, too many length octets", () => {
  rejects(() => M.decodeEncryptedData(hex("3080a003020112a2040402010200 00")), "indefinite");
  rejects(() => M.decodeEncryptedData(hex("308110a003020112a103020102a2040402 0102")), "0x81 for < 128");
  rejects(() => M.decodeEncryptedData(hex("30820010a003020112a103020102a2040402 0102")), "leading zero length octet");
  rejects(() => M.decodeEncryptedData(hex("3011a003020112a103020102a2040402 0102")), "past the end");
  rejects(() => M.decodeEncryptedData(hex("3010a003020112a103020102a2040403 0102")), "inner past its parent");
  rejects(() => M.decodeEncryptedData(hex("3085000000001000")), "five length octets");
  rejects(() => M.decodeEncryptedData(hex("30ff")), "0xff reserved");
  rejects(() => M.decodeEncryptedData(hex("3084ffffffff")), "length > 2^31");
  rejects(() => M.decodeEncryptedData(hex("30")), "no length octet");
  rejects(() => M.decodeEncryptedData(hex("3082")), "truncated length octets");
  rejects(() => M.decodeEncryptedData(new Uint8Array(0)), "empty input");
  // A long-form length that is minimal is fine: a 200-octet cipher.
  const long = M.encodeEncryptedData({ etype: 1, cipher: new Uint8Array(200) });
  assert.is(toHex(long.subarray(0, 3)), "3081d3");
  assert.is(M.decodeEncryptedData(long).cipher.length, 200);
});

test("INTEGER: minimal, Int32 / UInt32 / Microseconds ranges", () => {
  const withEtype = (int: string) => hex(tlv("30", tlv("a0", int) + tlv("a2", "0400")));
  assert.is(M.decodeEncryptedData(withEtype("020200ff")).etype, 255);
  assert.is(M.decodeEncryptedData(withEtype("0202ff76")).etype, -138);
  assert.is(M.decodeEncryptedData(withEtype("020480000000")).etype, -(2 ** 31));
  rejects(() => M.decodeEncryptedData(withEtype("02020012")), "redundant 0x00");
  rejects(() => M.decodeEncryptedData(withEtype("0202ff80")), "redundant 0xff");
  rejects(() => M.decodeEncryptedData(withEtype("0200")), "empty INTEGER");
  rejects(() => M.decodeEncryptedData(withEtype("02050080000000")), "Int32 overflow");
  rejects(() => M.decodeEncryptedData(withEtype("0205ff7fffffff")), "Int32 underflow");
  rejects(() => M.decodeEncryptedData(withEtype("0a0112")), "ENUMERATED instead of INTEGER");
  // kvno is UInt32: 2^32-1 in five octets is fine, negative or 2^32 is not.
  const withKvno = (int: string) => hex(tlv("30", `a003020112${tlv("a1", int)}a2020400`));
  assert.is(M.decodeEncryptedData(withKvno("020500ffffffff")).kvno, 2 ** 32 - 1);
  rejects(() => M.decodeEncryptedData(withKvno("0201ff")), "negative kvno");
  rejects(() => M.decodeEncryptedData(withKvno("0206010000000000")), "kvno 2^40");
  rejects(() => M.decodeEncryptedData(withKvno("02050100000000")), "kvno 2^32");
  // Microseconds 0..999999 (RFC 4120 §5.2.4).
  const ts = (usec: string) => hex(tlv("30", `a011180f32303236313132343032313730335a${tlv("a1", usec)}`));
  assert.is(M.decodePaEncTsEnc(ts("02030f423f")).pausec, 999999);
  rejects(() => M.decodePaEncTsEnc(ts("02030f4240")), "usec 1000000");
  rejects(() => M.decodePaEncTsEnc(ts("0201ff")), "usec -1");
});

test("seq-number: UInt32, with negative four-octet values read modulo 2^32 (old signed encoders)", () => {
  const base = M.encodeEncApRepPart({ ctime: 0, cusec: 0, seqNumber: 5 });
  const h = toHex(base);
  assert.ok(h.includes("a303020105"));
  const neg = hex(h.replace("a303020105", "a3030201ff"));
  assert.is(M.decodeEncApRepPart(neg).seqNumber, 0xffffffff);
});

test("wrong tags, and the RFC 4120 codes: MSG_TYPE for the outer tag and msg-type, BADVERSION for pvno", () => {
  const ap = M.encodeApRep({ encPart: { etype: 18, cipher: hex("aabb") } });
  const h = toHex(ap);
  rejects(() => M.decodeApReq(ap), "AP-REP handed to decodeApReq", KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
  rejects(() => M.decodeKrbError(ap), "AP-REP handed to decodeKrbError", KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
  rejects(() => M.decodeTicket(ap), "AP-REP handed to decodeTicket", KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
  rejects(() => M.decodeAsRep(ap), "AP-REP handed to decodeAsRep", KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
  rejects(() => M.decodeKdcReq(ap), "AP-REP handed to decodeKdcReq", KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
  rejects(() => M.decodeEncKdcRepPart(ap), "AP-REP handed to decodeEncKdcRepPart", KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
  rejects(() => M.decodeApRep(hex(h.replace("a003020105", "a003020104"))), "pvno 4", KrbErrorCode.KRB_AP_ERR_BADVERSION);
  rejects(() => M.decodeApRep(hex(h.replace("a10302010f", "a10302010e"))), "msg-type 14 in an AP-REP", KrbErrorCode.KRB_AP_ERR_MSG_TYPE);
  const e = rejects(() => M.decodeApRep(hex(h.replace("a2040402aabb", "a2040302aabb"))), "BIT STRING where OCTET STRING");
  assert.is(e.field, "AP-REP.enc-part.cipher");
  rejects(() => M.decodeApRep(hex(h.replace("300b", "310b"))), "SET instead of SEQUENCE");
  rejects(() => M.decodeApRep(hex(h.replace("a2040402aabb", "a2042402aabb"))), "constructed OCTET STRING");
  rejects(() => M.decodeApRep(hex(h.replace("a2040402aabb", "82040402aabb"))), "IMPLICIT-style primitive context tag");
});

test("trailing bytes, missing fields, out-of-order fields, unknown fields", () => {
  rejects(() => M.decodeEncryptedData(hex(`${edOk}00`)), "trailing octet");
  rejects(() => M.decodeApRep(hex("6f1b3019a003020105a10302010fa20d300ba003020112a2040402aabb0000")), "trailing after message");
  rejects(() => M.decodeEncryptedData(hex("300ba003020112a103020102")), "cipher missing");
  rejects(() => M.decodeEncryptedData(hex("3009a103020102a2020400")), "etype missing");
  rejects(() => M.decodeEncryptedData(hex("3010a103020102a003020112a2040402 0102")), "kvno before etype");
  const e = rejects(() => M.decodeEncryptedData(hex("3015a003020112a103020102a2040402 0102a303020100")), "unknown field [3]");
  assert.match(e.message, /\[3\]/);
  rejects(() => M.decodeEncryptedData(hex("3015a003020112a103020102a103020102a2040402 0102")), "repeated kvno");
  rejects(() => M.decodeEncryptedData(hex("3010a003020112a103020102a2040402 0102".replace("a0030201", "a0040201"))), "explicit tag longer than its element");
  rejects(() => M.decodeEtypeInfo2(hex("3000")), "empty ETYPE-INFO2");
});

test("KerberosFlags BIT STRING: >= 32 bits, unused bits zero, <= 7 unused", () => {
  const ticket = toHex(M.encodeTicket({ realm: "R", sname: { nameType: 1, nameString: [] }, encPart: { etype: 1, cipher: new Uint8Array(0) } }));
  const auth = toHex(M.encodeEncryptedData({ etype: 1, cipher: new Uint8Array(0) }));
  const withFlags = (bits: string) => hex(tlv("6e", tlv("30", `a003020105a10302010e${tlv("a2", bits)}${tlv("a3", ticket)}${tlv("a4", auth)}`)));
  assert.is(M.decodeApReq(withFlags("030500a0000001")).apOptions, 0xa0000001);
  assert.is(M.decodeApReq(withFlags("03060020000000ff")).apOptions, 0x20000000, "longer than 32 bits: first 32 read");
  assert.is(M.decodeApReq(withFlags("0306012000000080")).apOptions, 0x20000000, "39 bits, unused bits zero");
  rejects(() => M.decodeApReq(withFlags("0304002000 00")), "24 bits");
  assert.is(M.decodeApReq(withFlags("03050020000000")).apOptions, 0x20000000);
  rejects(() => M.decodeApReq(withFlags("03050120000000")), "31 bits");
  rejects(() => M.decodeApReq(withFlags("0306012000000081")), "non-zero unused bit");
  rejects(() => M.decodeApReq(withFlags("0306082000000000")), "8 unused bits");
  rejects(() => M.decodeApReq(withFlags("0300")), "empty BIT STRING");
});

test("KerberosTime: exactly YYYYMMDDHHMMSSZ, a real date", () => {
  const at = (s: string) => {
    return hex(tlv("30", tlv("a0", tlv("18", Buffer.from(s, "latin1").toString("hex")))));
  };
  assert.is(M.decodePaEncTsEnc(at("20261124021703Z")).patimestamp, Date.UTC(2026, 10, 24, 2, 17, 3));
  assert.is(M.decodePaEncTsEnc(at("20000229235959Z")).patimestamp, Date.UTC(2000, 1, 29, 23, 59, 59));
  assert.is(M.decodePaEncTsEnc(at("00010101000000Z")).patimestamp, -62135596800000);
  assert.is(M.decodePaEncTsEnc(at("19700101000000Z")).patimestamp, 0);
  for (const bad of [
    "20261124021703",
    "20261124021703.5Z",
    "202611240217Z",
    "20261124021703+0000",
    "2026112402170Z0",
    "20261324021703Z",
    "20260230021703Z",
    "21000229000000Z",
    "20261124241703Z",
    "20261124026003Z",
    "20261124021760Z",
    "20261100021703Z",
    "2026112402170aZ",
    "20261124021703z",
    " 0261124021703Z",
  ]) {
    rejects(() => M.decodePaEncTsEnc(at(bad)), `time ${bad}`);
  }
  // UTCTime (tag 0x17) is not a KerberosTime.
  rejects(() => M.decodePaEncTsEnc(hex("3011a00f170d3236313132343032313730335a")), "UTCTime");
});

test("KerberosString: UTF-8, invalid sequences rejected, not another string type", () => {
  const name = (s: string) => {
    return hex(tlv("30", `a003020101${tlv("a1", tlv("30", tlv("1b", s)))}`));
  };
  assert.equal(M.decodePrincipalName(name("c3a9")).nameString, ["é"]);
  assert.equal(M.decodePrincipalName(name("f09f9880")).nameString, ["😀"]);
  for (const bad of ["c3", "ff", "c0af", "eda080", "f4908080"]) {
    const e = rejects(() => M.decodePrincipalName(name(bad)), `utf-8 ${bad}`);
    assert.is(e.field, "PrincipalName.name-string[0]");
  }
  rejects(() => M.decodePrincipalName(hex(tlv("30", `a003020101${tlv("a1", tlv("30", tlv("0c", "41")))}`))), "UTF8String tag");
  rejects(() => M.decodePrincipalName(hex(tlv("30", `a003020101${tlv("a1", tlv("30", tlv("16", "41")))}`))), "IA5String tag");
});

test("name-string: any number of components, and errors name the component's index", () => {
  const ascii = (t: string) => Buffer.from(t).toString("hex");
  const name = (components: string[]) => hex(tlv("30", `a003020101${tlv("a1", tlv("30", components.map((c) => tlv("1b", c)).join("")))}`));
  for (const parts of [[], ["a"], ["kink", "gw.example.org"], ["a", "bb", "ccc"], ["1", "2", "3", "4", "5"]]) {
    assert.equal(M.decodePrincipalName(name(parts.map(ascii))), { nameType: 1, nameString: parts });
  }
  for (let bad = 0; bad < 4; bad++) {
    const parts = ["61", "62", "63", "64"];
    parts[bad] = "ff";
    assert.is(rejects(() => M.decodePrincipalName(name(parts)), `component ${bad}`).field, `PrincipalName.name-string[${bad}]`);
  }
});

test("KerberosString: every length, repeated (from the string cache) or not, decodes to its own text", () => {
  const decode = (t: string) =>
    M.decodePrincipalName(hex(tlv("30", `a003020101${tlv("a1", tlv("30", tlv("1b", Buffer.from(t).toString("hex"))))}`))).nameString[0];
  const texts: string[] = [];
  for (let n = 1; n <= 80; n++) {
    texts.push("abcdefghijklmnopqrstuvwxyz0123456789".repeat(3).slice(0, n), `${"x".repeat(n - 1)}${n % 10}`, `é${"y".repeat(n)}`);
  }
  for (let round = 0; round < 2; round++) for (const t of texts) assert.is(decode(t), t);
});

test("error field paths name the place", () => {
  const der = racoonApMessages("KINK_AP_REQ")[0]!.der;
  const tree = tlvTree(der);
  // Find the ticket's enc-part cipher OCTET STRING and cut the input inside it.
  const octs = [...walk(tree)].filter((n) => n.tag === 0x04);
  const e = rejects(() => M.decodeApReq(der.subarray(0, octs[0]!.contentOffset + 5)), "truncated in the ticket cipher");
  assert.is(e.field, "AP-REQ");
  // Corrupt the ticket cipher's own tag: the path names it.
  const bad = der.slice();
  bad[octs[0]!.offset] = 0x05;
  assert.is(rejects(() => M.decodeApReq(bad), "tag").field, "AP-REQ.ticket.enc-part.cipher");
  const bad2 = der.slice();
  bad2[octs[1]!.offset] = 0x05;
  assert.is(rejects(() => M.decodeApReq(bad2), "tag").field, "AP-REQ.authenticator.cipher");
  // The sname's second component made invalid UTF-8.
  const strs = [...walk(tree)].filter((n) => n.tag === 0x1b);
  const bad3 = der.slice();
  bad3[strs[2]!.contentOffset] = 0xff;
  const e3 = rejects(() => M.decodeApReq(bad3), "utf-8");
  assert.is(e3.field, "AP-REQ.ticket.sname.name-string[1]");
  assert.is(e3.offset, strs[2]!.offset);
});

/** Real AP-REQ (racoon2) and a KRB-ERROR with every field, for the exhaustive corruption tests. */
function samples(): { name: string; der: Uint8Array; decode: (b: Uint8Array) => unknown }[] {
  const apReq = racoonApMessages("KINK_AP_REQ")[0]!.der;
  const krbError = M.encodeKrbError({
    ctime: 0,
    cusec: 1,
    stime: Date.UTC(2026, 10, 24),
    susec: 999999,
    errorCode: 25,
    crealm: "KINK.TEST",
    cname: { nameType: 1, nameString: ["kink", "initiator.kink.test"] },
    realm: "KINK.TEST",
    sname: { nameType: 2, nameString: ["krbtgt", "KINK.TEST"] },
    eText: "Additional pre-authentication required",
    eData: M.encodeMethodData([{ padataType: 19, padataValue: M.encodeEtypeInfo2([{ etype: 18, salt: "KINK.TESTkinkinitiator.kink.test" }]) }]),
  });
  return [
    { name: "AP-REQ", der: apReq, decode: M.decodeApReq },
    { name: "KRB-ERROR", der: krbError, decode: M.decodeKrbError },
  ];
}

test("truncation at every byte offset is a KrbDecodeError", () => {
  for (const { name, der, decode } of samples()) {
    decode(der);
    for (let n = 0; n < der.length; n++) rejects(() => decode(der.subarray(0, n)), `${name} cut at ${n}`);
  }
});

test("corrupting every length octet is a KrbDecodeError", () => {
  for (const { name, der, decode } of samples()) {
    let checked = 0;
    for (const node of walk(tlvTree(der))) {
      for (let p = node.lengthOffset; p < node.contentOffset; p++) {
        for (const v of new Set([(der[p]! + 1) & 0xff, (der[p]! - 1) & 0xff, 0x80, 0xff, 0x81, 0x00, der[p]! ^ 0x40])) {
          if (v === der[p]) continue;
          const bad = der.slice();
          bad[p] = v;
          rejects(() => decode(bad), `${name} length octet at ${p} = 0x${v.toString(16)}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 100, `${name}: ${checked} corruptions`);
  }
});

test("reader and writer primitives agree on the INTEGER boundaries", () => {
  const w = new DerWriter(4);
  const r = new DerReader();
  for (const v of [0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769, 2 ** 23, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 32 - 1]) {
    w.reset();
    w.integer(v);
    const b = w.finish();
    r.reset(b);
    const got = v >= 2 ** 31 ? r.uint32(b.length) : r.int32(b.length);
    assert.is(got, v);
    assert.is(r.pos, b.length);
  }
  w.reset();
  w.integer(128);
  assert.is(toHex(w.finish()), "02020080");
  w.reset();
  w.integer(-129);
  assert.is(toHex(w.finish()), "0202ff7f");
  // The writer grows from a tiny buffer and back-patches multi-octet lengths.
  w.reset();
  w.sequence();
  w.octets(new Uint8Array(70000));
  w.end();
  const big = w.finish();
  assert.is(toHex(big.subarray(0, 10)), "30830111750483011170");
  assert.is(big.length, 70010);
});

test.run();
