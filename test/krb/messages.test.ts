// RFC 4120 message codecs: rich and minimal round trips of every message, hand-assembled golden
// DER for Ticket / AP-REQ / AP-REP / KRB-ERROR, and the real messages of the racoon2 capture
// (AP-REQ / AP-REP from KINK, AS and TGS exchanges from the KDC leg), re-encoded byte for byte.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decrypt } from "../../src/crypto/kerberos.ts";
import * as M from "../../src/krb/messages/index.ts";
import { hex, Prng, toHex } from "../helpers/bytes.ts";
import { gt, knownAnswers, normalise, racoonApMessages, racoonKdcMessages } from "../helpers/krb.ts";

const rng = new Prng(4120);
const T0 = Date.UTC(2026, 10, 24, 2, 17, 3);
const pn = (nameType: number, ...nameString: string[]): M.PrincipalName => ({ nameType, nameString });
const key = (keytype: number, n: number): M.EncryptionKey => ({ keytype, keyvalue: rng.bytes(n) });
const ed = (etype: number, n: number, kvno?: number): M.EncryptedData =>
  kvno === undefined ? { etype, cipher: rng.bytes(n) } : { etype, kvno, cipher: rng.bytes(n) };

function roundTrip<T>(name: string, v: T, enc: (v: T) => Uint8Array, dec: (b: Uint8Array) => T): void {
  const der = enc(v);
  const back = dec(der);
  assert.equal(normalise(back), normalise(v), `${name} decode(encode(x))`);
  assert.equal(toHex(enc(back)), toHex(der), `${name} encode(decode(der)) is stable`);
}

const richTicket: M.Ticket = { realm: "KINK.TEST", sname: pn(M.NameType.NT_SRV_HST, "kink", "responder.kink.test"), encPart: ed(18, 200, 2 ** 32 - 1) };
const richEncTicketPart: M.EncTicketPart = {
  flags: 0x40e10000 | 1, // forwardable, renewable, initial, pre-authent ... and the last bit of the 32
  key: key(18, 32),
  crealm: "ÉXAMPLE.ÖRG",
  cname: pn(M.NameType.NT_ENTERPRISE, "usér@例え.jp"),
  transited: { trType: 1, contents: new Uint8Array(0) },
  authtime: T0,
  starttime: T0 + 1000,
  endtime: T0 + 36000_000,
  renewTill: Date.UTC(9999, 11, 31, 23, 59, 59),
  caddr: [
    { addrType: 2, address: hex("c0000201") },
    { addrType: 24, address: hex("20010db8000000000000000000000001") },
  ],
  // An AD-IF-RELEVANT holding a PAC (ad-type 128) is carried as opaque octets.
  authorizationData: [
    { adType: 1, adData: hex("3081a13081 9ea00402020080a18195048192") },
    { adType: -138, adData: rng.bytes(300) },
  ],
};
const richAuthenticator: M.Authenticator = {
  crealm: "KINK.TEST",
  cname: pn(1, "kink", "initiator.kink.test"),
  cksum: { cksumtype: -138, checksum: rng.bytes(16) },
  cusec: 999999,
  ctime: T0,
  subkey: key(17, 16),
  seqNumber: 2 ** 32 - 1,
  authorizationData: [],
};
const richKrbError: M.KrbErrorMessage = {
  ctime: T0,
  cusec: 0,
  stime: T0 + 5000,
  susec: 123456,
  errorCode: 25,
  crealm: "KINK.TEST",
  cname: pn(1, "alice"),
  realm: "KINK.TEST",
  sname: pn(2, "krbtgt", "KINK.TEST"),
  eText: "NEEDED_PREAUTH",
  eData: M.encodeMethodData([
    {
      padataType: M.PaDataType.PA_ETYPE_INFO2,
      padataValue: M.encodeEtypeInfo2([{ etype: 18, salt: "KINK.TESTalice", s2kparams: hex("00001000") }, { etype: 23 }]),
    },
    { padataType: M.PaDataType.PA_ENC_TIMESTAMP, padataValue: new Uint8Array(0) },
  ]),
};
const richKdcReqBody: M.KdcReqBody = {
  kdcOptions: 0x40810018, // forwardable, renewable, canonicalize, renewable-ok, enc-tkt-in-skey
  cname: pn(1, "alice"),
  realm: "KINK.TEST",
  sname: pn(2, "kink", "responder.kink.test"),
  from: T0,
  till: T0 + 86400_000,
  rtime: T0 + 7 * 86400_000,
  nonce: 2 ** 32 - 1,
  etype: [18, 17, 20, 19, 16, 23, -128],
  addresses: [{ addrType: 2, address: hex("c0000201") }],
  encAuthorizationData: ed(18, 40, 0),
  additionalTickets: [richTicket, { ...richTicket, realm: "OTHER" }],
};

test("round trip: every message with all optional fields present", () => {
  roundTrip("PrincipalName", pn(-1, "a", "ü", ""), M.encodePrincipalName, M.decodePrincipalName);
  roundTrip("Ticket", richTicket, M.encodeTicket, M.decodeTicket);
  roundTrip("EncTicketPart", richEncTicketPart, M.encodeEncTicketPart, M.decodeEncTicketPart);
  roundTrip("Authenticator", richAuthenticator, M.encodeAuthenticator, M.decodeAuthenticator);
  roundTrip("AP-REQ", { apOptions: 0x60000000, ticket: richTicket, authenticator: ed(18, 150, 7) }, M.encodeApReq, M.decodeApReq);
  roundTrip("AP-REP", { encPart: ed(-1, 60, 2 ** 31) }, M.encodeApRep, M.decodeApRep);
  roundTrip("EncAPRepPart", { ctime: T0, cusec: 42, subkey: key(18, 32), seqNumber: 2 ** 31 }, M.encodeEncApRepPart, M.decodeEncApRepPart);
  roundTrip("KRB-ERROR", richKrbError, M.encodeKrbError, M.decodeKrbError);
  roundTrip("METHOD-DATA", M.decodeMethodData(richKrbError.eData!), M.encodeMethodData, M.decodeMethodData);
  roundTrip("PA-ENC-TS-ENC", { patimestamp: T0, pausec: 999999 }, M.encodePaEncTsEnc, M.decodePaEncTsEnc);
  roundTrip("KDC-REQ-BODY", richKdcReqBody, M.encodeKdcReqBody, M.decodeKdcReqBody);
  for (const msgType of [10, 12] as const) {
    roundTrip(
      `KDC-REQ ${msgType}`,
      {
        msgType,
        padata: [
          { padataType: 1, padataValue: rng.bytes(500) },
          { padataType: 149, padataValue: new Uint8Array(0) },
        ],
        reqBody: richKdcReqBody,
      },
      M.encodeKdcReq,
      M.decodeKdcReq,
    );
  }
  for (const msgType of [11, 13] as const) {
    roundTrip(
      `KDC-REP ${msgType}`,
      {
        msgType,
        padata: [{ padataType: 19, padataValue: rng.bytes(10) }],
        crealm: "KINK.TEST",
        cname: pn(1, "alice"),
        ticket: richTicket,
        encPart: ed(18, 300, 1),
      },
      M.encodeKdcRep,
      M.decodeKdcRep,
    );
  }
  const encRep: M.EncKdcRepPart = {
    key: key(18, 32),
    lastReq: [
      { lrType: 0, lrValue: T0 },
      { lrType: -6, lrValue: 0 },
    ],
    nonce: 0x80000000,
    keyExpiration: T0 + 1000,
    flags: 0xffffffff,
    authtime: T0,
    starttime: T0,
    endtime: T0 + 3600_000,
    renewTill: T0 + 7200_000,
    srealm: "KINK.TEST",
    sname: pn(2, "krbtgt", "KINK.TEST"),
    caddr: [],
    encryptedPadata: [{ padataType: 2, padataValue: rng.bytes(3) }],
  };
  roundTrip("EncASRepPart", encRep, M.encodeEncAsRepPart, M.decodeEncAsRepPart);
  roundTrip("EncTGSRepPart", encRep, M.encodeEncTgsRepPart, M.decodeEncTgsRepPart);
  assert.is(M.encodeEncAsRepPart(encRep)[0], 0x79);
  assert.is(M.encodeEncTgsRepPart(encRep)[0], 0x7a);
});

test("round trip: every message with all optional fields absent, empty sequences where allowed", () => {
  const t: M.Ticket = { realm: "", sname: pn(0), encPart: { etype: 0, cipher: new Uint8Array(0) } };
  roundTrip("Ticket", t, M.encodeTicket, M.decodeTicket);
  roundTrip(
    "EncTicketPart",
    { flags: 0, key: key(0, 0), crealm: "R", cname: pn(1, "c"), transited: { trType: 0, contents: new Uint8Array(0) }, authtime: 0, endtime: 0 },
    M.encodeEncTicketPart,
    M.decodeEncTicketPart,
  );
  roundTrip("Authenticator", { crealm: "R", cname: pn(1, "c"), cusec: 0, ctime: T0 }, M.encodeAuthenticator, M.decodeAuthenticator);
  roundTrip("AP-REQ", { apOptions: 0, ticket: t, authenticator: { etype: 18, cipher: new Uint8Array(0) } }, M.encodeApReq, M.decodeApReq);
  roundTrip("AP-REP", { encPart: { etype: 18, cipher: rng.bytes(5) } }, M.encodeApRep, M.decodeApRep);
  roundTrip("EncAPRepPart", { ctime: T0, cusec: 0 }, M.encodeEncApRepPart, M.decodeEncApRepPart);
  roundTrip("KRB-ERROR", { stime: T0, susec: 0, errorCode: 0, realm: "", sname: pn(0) }, M.encodeKrbError, M.decodeKrbError);
  roundTrip("METHOD-DATA", [], M.encodeMethodData, M.decodeMethodData);
  roundTrip("PA-ENC-TS-ENC", { patimestamp: T0 }, M.encodePaEncTsEnc, M.decodePaEncTsEnc);
  roundTrip("ETYPE-INFO2", [{ etype: 18 }], M.encodeEtypeInfo2, M.decodeEtypeInfo2);
  const body: M.KdcReqBody = { kdcOptions: 0, realm: "R", till: 0, nonce: 0, etype: [] };
  roundTrip("KDC-REQ", { msgType: 10, reqBody: body }, M.encodeKdcReq, M.decodeAsReq);
  roundTrip("KDC-REQ", { msgType: 12, reqBody: { ...body, additionalTickets: [], addresses: [] } }, M.encodeKdcReq, M.decodeTgsReq);
  roundTrip("KDC-REP", { msgType: 11, crealm: "R", cname: pn(1), ticket: t, encPart: ed(18, 1) }, M.encodeKdcRep, M.decodeAsRep);
  roundTrip("KDC-REP", { msgType: 13, crealm: "R", cname: pn(1), ticket: t, encPart: ed(18, 1) }, M.encodeKdcRep, M.decodeTgsRep);
  roundTrip(
    "EncKDCRepPart",
    { key: key(18, 32), lastReq: [], nonce: 0, flags: 0, authtime: T0, endtime: T0, srealm: "R", sname: pn(2, "krbtgt", "R") },
    M.encodeEncAsRepPart,
    M.decodeEncKdcRepPart,
  );
});

test("KerberosFlags: bit 0 is 0x80000000; ap-options mutual-required is 0x20000000", () => {
  const der = M.encodeApReq({ apOptions: 1 << (31 - M.ApOption.mutualRequired), ticket: richTicket, authenticator: ed(18, 4) });
  // a2 07 03 05 00 20 00 00 00: 32 bits, no unused bits (RFC 4120 §5.2.8)
  assert.ok(toHex(der).includes("a20703050020000000"));
  const all = M.decodeEncTicketPart(M.encodeEncTicketPart({ ...richEncTicketPart, flags: 0x80000001 }));
  assert.is(all.flags, 0x80000001);
});

test("kvno and nonce up to 2^32-1, negative Int32 types, UTF-8 names", () => {
  const t = M.decodeTicket(M.encodeTicket({ realm: "Ω.TEST", sname: pn(-2147483648, "日本", "😀"), encPart: ed(-2147483648, 3, 4294967295) }));
  assert.is(t.encPart.kvno, 4294967295);
  assert.is(t.encPart.etype, -2147483648);
  assert.is(t.sname.nameType, -2147483648);
  assert.equal(t.sname.nameString, ["日本", "😀"]);
  assert.is(t.realm, "Ω.TEST");
  // -138 (a checksum type) is the two-octet INTEGER ff76; 2^32-1 is the five-octet 00ffffffff.
  const ck = M.encodeChecksum({ cksumtype: -138, checksum: new Uint8Array(0) });
  assert.is(toHex(ck), "300aa0040202ff76a1020400");
  assert.ok(toHex(M.encodeEncryptedData({ etype: 18, kvno: 2 ** 32 - 1, cipher: new Uint8Array(0) })).includes("a107020500ffffffff"));
});

test("encoders reject values outside their ASN.1 ranges", () => {
  assert.throws(() => M.encodeEncryptedData({ etype: 2 ** 31, cipher: new Uint8Array(0) }));
  assert.throws(() => M.encodeEncryptedData({ etype: 1, kvno: -1, cipher: new Uint8Array(0) }));
  assert.throws(() => M.encodeEncApRepPart({ ctime: T0, cusec: 1000000 }));
  assert.throws(() => M.encodePaEncTsEnc({ patimestamp: Date.UTC(10000, 0, 1) }));
  assert.throws(() => M.encodeEtypeInfo2([]));
  // Sub-second KerberosTime is truncated: the wire carries whole seconds (RFC 4120 §5.2.3).
  assert.is(M.decodePaEncTsEnc(M.encodePaEncTsEnc({ patimestamp: T0 + 999 })).patimestamp, T0);
});

// ---- golden bytes (hand-assembled; lengths computed by hand in the comments) ---------------

// Ticket: 61 3f | 30 3d | tkt-vno a0 03 02 01 05 | realm a1 08 1b 06 "EX.COM" |
// sname a2 17 30 15 a0 03 02 01 02 a1 0e 30 0c 1b 04 "host" 1b 04 "a.ex" |
// enc-part a3 13 30 11 a0 03 02 01 12 a1 03 02 01 03 a2 05 04 03 010203
const goldenTicketHex =
  "613f303d" + "a003020105" + "a1081b0645582e434f4d" + "a2173015a003020102a10e300c1b04686f73741b04612e6578" + "a3133011a003020112a103020103a2050403010203";
const goldenTicket: M.Ticket = { realm: "EX.COM", sname: pn(2, "host", "a.ex"), encPart: { etype: 18, kvno: 3, cipher: hex("010203") } };

test("golden Ticket", () => {
  assert.is(toHex(M.encodeTicket(goldenTicket)), goldenTicketHex);
  const t = M.decodeTicket(hex(goldenTicketHex));
  assert.equal(normalise(t), normalise(goldenTicket));
  assert.is(toHex(t.raw!), goldenTicketHex);
});

test("golden AP-REQ (with a 130-octet authenticator: two-octet lengths)", () => {
  const cipher = new Uint8Array(130).fill(0x5a);
  const want =
    "6e81ec" + // [APPLICATION 14], 236 octets
    "3081e9" + // SEQUENCE, 233 octets
    "a003020105" + // pvno 5
    "a10302010e" + // msg-type 14
    "a20703050020000000" + // ap-options: mutual-required
    "a341" +
    goldenTicketHex + // ticket (65 octets)
    "a4819030818da003020112a28185048182" +
    "5a".repeat(130); // authenticator: etype 18, no kvno, cipher
  const v: M.ApReq = { apOptions: 0x20000000, ticket: goldenTicket, authenticator: { etype: 18, cipher } };
  assert.is(toHex(M.encodeApReq(v)), want);
  const back = M.decodeApReq(hex(want));
  assert.equal(normalise(back), normalise(v));
  assert.is(toHex(back.ticket.raw!), goldenTicketHex);
});

test("golden AP-REP", () => {
  const want = "6f1b3019a003020105a10302010fa20d300ba003020112a2040402aabb";
  const v: M.ApRep = { encPart: { etype: 18, cipher: hex("aabb") } };
  assert.is(toHex(M.encodeApRep(v)), want);
  assert.equal(normalise(M.decodeApRep(hex(want))), normalise(v));
});

// KRB-ERROR, 90 octets: no ctime/cusec/crealm/cname/e-text, e-data present.
const goldenKrbErrorHex =
  "7e583056" +
  "a003020105" + // pvno
  "a10302011e" + // msg-type 30
  "a411180f32303236313132343032313730335a" + // stime 20261124021703Z
  "a50402022639" + // susec 9785
  "a603020119" + // error-code 25 KDC_ERR_PREAUTH_REQUIRED
  "a9081b0645582e434f4d" + // realm EX.COM
  "aa1b3019a003020102a1123010" +
  "1b066b72627467741b0645582e434f4d" + // sname krbtgt/EX.COM
  "ac050403dead01"; // e-data
const goldenKrbError: M.KrbErrorMessage = { stime: T0, susec: 9785, errorCode: 25, realm: "EX.COM", sname: pn(2, "krbtgt", "EX.COM"), eData: hex("dead01") };

test("golden KRB-ERROR", () => {
  assert.is(hex(goldenKrbErrorHex).length, 90);
  assert.is(toHex(M.encodeKrbError(goldenKrbError)), goldenKrbErrorHex);
  assert.equal(normalise(M.decodeKrbError(hex(goldenKrbErrorHex))), normalise(goldenKrbError));
});

test("peekApplicationTag", () => {
  assert.is(M.peekApplicationTag(hex(goldenKrbErrorHex)), 30);
  assert.is(M.peekApplicationTag(hex(goldenTicketHex)), 1);
  assert.is(M.peekApplicationTag(hex("6e00")), 14);
  assert.is(M.peekApplicationTag(hex("3000")), -1);
  assert.is(M.peekApplicationTag(hex("a000")), -1);
  assert.is(M.peekApplicationTag(new Uint8Array(0)), -1);
  assert.is(M.peekApplicationTag(hex("7f2000")), 32); // high tag number form
  assert.is(M.peekApplicationTag(hex("7f")), -1);
  assert.is(M.peekApplicationTag(hex("7f8001")), -1); // leading 0x80 continuation octet
});

// ---- the racoon2 capture ---------------------------------------------------------------------

test("racoon2 AP-REQs: fields as known-answers.json states, re-encoding is byte-identical", () => {
  const reqs = racoonApMessages("KINK_AP_REQ");
  assert.is(reqs.length, 3);
  const [service, realm] = knownAnswers.ticket.server.split("@") as [string, string];
  for (const { der, msg } of reqs) {
    assert.is(M.peekApplicationTag(der), M.APP_AP_REQ);
    const v = M.decodeApReq(der);
    assert.is(v.apOptions, msg.ap_req!.ap_options);
    assert.is(v.apOptions, 0x20000000);
    assert.is(v.ticket.realm, realm);
    assert.is(v.ticket.realm, "KINK.TEST");
    assert.equal(v.ticket.sname.nameString, service.split("/"));
    assert.equal(v.ticket.sname.nameString, ["kink", "responder.kink.test"]);
    assert.is(v.ticket.encPart.etype, knownAnswers.ticket.ticket_etype);
    assert.is(v.ticket.encPart.etype, 18);
    assert.is(v.ticket.encPart.kvno, 2);
    assert.is(v.authenticator.etype, 18);
    assert.is(toHex(M.encodeApReq(v)), toHex(der));
    // Without raw the ticket is re-encoded from its fields: still identical (MIT emits minimal DER).
    assert.is(toHex(M.encodeApReq({ ...v, ticket: { realm: v.ticket.realm, sname: v.ticket.sname, encPart: v.ticket.encPart } })), toHex(der));
    // The authenticator decrypts with the ticket session key (usage 11) and says what the JSON says.
    const auth = M.decodeAuthenticator(decrypt(18, hex(knownAnswers.session_key.hex), M.KeyUsage.AP_REQ_AUTH, v.authenticator.cipher));
    assert.is(auth.ctime, gt(msg.ap_req!.authenticator.ctime));
    assert.is(auth.cusec, msg.ap_req!.authenticator.cusec);
    assert.is(auth.crealm, "KINK.TEST");
    assert.equal(auth.cname.nameString, ["kink", "initiator.kink.test"]);
    assert.is(toHex(M.encodeAuthenticator(auth)), toHex(decrypt(18, hex(knownAnswers.session_key.hex), M.KeyUsage.AP_REQ_AUTH, v.authenticator.cipher)));
  }
});

test("racoon2 AP-REPs: decode, EncAPRepPart matches the authenticator, re-encoding is byte-identical", () => {
  const reps = racoonApMessages("KINK_AP_REP");
  assert.is(reps.length, 3);
  for (const { der, msg } of reps) {
    const v = M.decodeApRep(der);
    assert.is(v.encPart.etype, 18);
    assert.is(toHex(M.encodeApRep(v)), toHex(der));
    const plain = decrypt(18, hex(knownAnswers.session_key.hex), M.KeyUsage.AP_REP_ENCPART, v.encPart.cipher);
    const part = M.decodeEncApRepPart(plain);
    assert.is(part.ctime, gt(msg.ap_rep!.ctime));
    assert.is(part.cusec, msg.ap_rep!.cusec);
    assert.is(toHex(M.encodeEncApRepPart(part)), toHex(plain));
  }
});

test("racoon2 KDC leg (MIT KDC): AS-REQ, AS-REP, TGS-REQ, TGS-REP decode and re-encode byte for byte", () => {
  const msgs = racoonKdcMessages();
  assert.equal(
    msgs.map((m) => M.peekApplicationTag(m)),
    [10, 11, 10, 11, 12, 13],
  );
  for (const der of msgs) {
    const tag = M.peekApplicationTag(der);
    if (tag === 10 || tag === 12) {
      const v = M.decodeKdcReq(der);
      assert.is(v.msgType, tag);
      assert.is(toHex(M.encodeKdcReq(v)), toHex(der));
      assert.is(toHex(M.encodeKdcReqBody(v.reqBody)), toHex(v.reqBodyRaw!), "req-body re-encodes to the octets the TGS checksum covers");
      assert.is(v.reqBody.realm, "KINK.TEST");
      if (tag === 12) {
        // PA-TGS-REQ carries an AP-REQ with the TGT.
        const apReq = M.decodeApReq(M.findPaData(v.padata, M.PaDataType.PA_TGS_REQ)!.padataValue);
        assert.equal(apReq.ticket.sname.nameString, ["krbtgt", "KINK.TEST"]);
        assert.equal(v.reqBody.sname?.nameString, ["kink", "responder.kink.test"]);
      }
    } else {
      const v = M.decodeKdcRep(der);
      assert.is(v.msgType, tag);
      assert.is(v.crealm, "KINK.TEST");
      assert.is(toHex(M.encodeKdcRep(v)), toHex(der));
      const { ...fields } = v.ticket;
      delete fields.raw;
      assert.is(toHex(M.encodeKdcRep({ ...v, ticket: fields })), toHex(der));
    }
  }
});

test.run();
