// Regression: a DES3 authenticator is padded to 8 octets (RFC 3961 §5.3), so depending on the
// encoded cusec/ctime lengths 0–7 pad octets follow the DER after decryption. The single-call
// verifier once decoded it strictly and failed about 3 % of valid AP-REQs (seen as a flaky
// KRB_ERR_GENERIC "trailing octet(s)" in the MIT KDC test).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decrypt, encrypt } from "../../src/crypto/kerberos.ts";
import { buildApReq, verifyApReq, verifyApReqBatch } from "../../src/krb/ap.ts";
import { decodeApReq, encodeEncTicketPart, withoutBlockPadding } from "../../src/krb/messages/index.ts";

test("DES3 AP-REQs verify whatever the authenticator's pad length, single and batched", () => {
  const etype = 16;
  const sessionKey = { keytype: etype, keyvalue: new Uint8Array(24).fill(3) };
  const serviceKey = { keytype: etype, keyvalue: new Uint8Array(24).fill(5) };
  const realm = "KINK.TEST";
  const cname = { nameType: 1, nameString: ["kink", "client"] };
  const now = Date.UTC(2026, 10, 24);
  const part = encodeEncTicketPart({
    flags: 0,
    key: sessionKey,
    crealm: realm,
    cname,
    transited: { trType: 1, contents: new Uint8Array(0) },
    authtime: now,
    endtime: now + 3_600_000,
  });
  const ticket = {
    realm,
    sname: { nameType: 2, nameString: ["kink", "responder"] },
    encPart: { etype, kvno: 1, cipher: encrypt(etype, serviceKey.keyvalue, 2, part) },
  };
  const pads = new Set<number>();
  const reqs: Uint8Array[] = [];
  for (let i = 0; i < 400; i++) {
    const t = now + i * 137;
    const { bytes } = buildApReq({ ticket, sessionKey, client: { realm, name: cname }, now: t });
    reqs.push(bytes);
    const v = verifyApReq(bytes, { serviceKey: () => serviceKey, now: t, clockSkewMs: 3_600_000 });
    assert.is(v.client.realm, realm);
    const plain = decrypt(etype, sessionKey.keyvalue, 11, decodeApReq(bytes).authenticator.cipher);
    pads.add(plain.length - withoutBlockPadding(plain).length);
  }
  assert.ok(pads.size > 1 && [...pads].some((p) => p > 0), `pad lengths seen: ${[...pads]}`);
  for (const r of verifyApReqBatch(reqs, { serviceKey: () => serviceKey, now, clockSkewMs: 3_600_000 })) assert.not.instance(r, Error);
});

test.run();
