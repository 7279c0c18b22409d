// encodeReply seals a laid-out REPLY in one WASM batch (AP-REP enc-part, KINK_ENCRYPT, Cksum
// over both). Its output must be what the per-call path (buildApRep, then encodeKinkMessage with
// sessionKeySealer) makes, octet for octet, except for the confounders: every octet outside the
// two ciphertexts and the Cksum is compared with the per-call REPLY, and the ciphertexts and the
// Cksum are checked against node:crypto's rebuild of the profiles [RFC 4430 §5.1, §6.1].
import { test } from "uvu";
import * as assert from "uvu/assert";
import { NODE_ETYPES, nodeChecksum, nodeDecrypt, nodeDeriveCksumKey, nodeDeriveEncKeys } from "../../bench/node-profile.ts";
import { enctype } from "../../src/crypto/enctypes.ts";
import { decrypt, verifyChecksum } from "../../src/crypto/kerberos.ts";
import { encodeReply, isakmp, notify, sessionOf } from "../../src/kink/messages.ts";
import { buildApRep, layoutApRep, verifyApRep } from "../../src/krb/ap.ts";
import { decodeApRep, encodeEncApRepPart } from "../../src/krb/messages/index.ts";
import type { EncryptionKey } from "../../src/krb/messages/types.ts";
import { MessageType, PayloadType } from "../../src/wire/constants.ts";
import { decodeKinkMessage, openKinkMessage } from "../../src/wire/decode.ts";
import { KinkError } from "../../src/wire/errors.ts";
import { encodeKinkMessage, type InnerPayload, type KinkPayload } from "../../src/wire/kink-message.ts";
import { sessionKeyBatchSealer, sessionKeySealer } from "../../src/wire/seal.ts";
import { RICH_CHAIN } from "../helpers/isakmp-bytes.ts";
import { blob, randomSession, SESSION_ETYPES } from "../helpers/kink.ts";

const buf = (b: Uint8Array) => Buffer.from(b);

/** The REPLY as the per-call path builds it (random confounders of its own). */
function perCallReply(
  xid: number,
  epoch: number,
  key: EncryptionKey,
  ctime: number,
  cusec: number,
  inner: readonly InnerPayload[],
  ackReq: boolean,
): Uint8Array {
  const payloads: KinkPayload[] = [{ type: PayloadType.AP_REP, epoch, apRep: buildApRep(key, ctime, cusec) }];
  if (inner.length > 0) payloads.push({ type: PayloadType.ENCRYPT, inner });
  return encodeKinkMessage({ type: MessageType.REPLY, xid, ackReq, payloads }, sessionKeySealer(sessionOf(key)));
}

/** [offset, length] of a view of `bytes` within it. */
const rangeOf = (bytes: Uint8Array, view: Uint8Array): [number, number] => [view.byteOffset - bytes.byteOffset, view.length];

/** Where the confounder-dependent octets are: the AP-REP cipher, KINK_ENCRYPT's ciphertext, the Cksum. */
function sealedParts(bytes: Uint8Array) {
  const msg = decodeKinkMessage(bytes);
  const ap = msg.payloads[0];
  if (ap?.type !== PayloadType.AP_REP) throw new Error("no KINK_AP_REP first");
  const enc = msg.payloads[1];
  return {
    apRepCipher: decodeApRep(ap.apRep).encPart.cipher,
    ciphertext: enc?.type === PayloadType.ENCRYPT ? enc.ciphertext : undefined,
    cksum: msg.cksum!,
  };
}

/** The octets the Cksum covers: Length = the octets before the Cksum, CksumLen 0 [RFC 4430 §5.1]. */
function cksumInput(bytes: Uint8Array, cksumLength: number): Uint8Array {
  const body = bytes.slice(0, bytes.length - cksumLength);
  new DataView(body.buffer).setUint16(2, body.length);
  new DataView(body.buffer).setUint16(14, 0);
  return body;
}

const inners: [string, InnerPayload[]][] = [
  ["Quick Mode", [isakmp(RICH_CHAIN)]],
  ["IPsec-DOI error and Quick Mode", [{ type: PayloadType.ERROR, code: 6 }, isakmp([notify(14)])]],
  ["protected KRB_ERROR", [{ type: PayloadType.KRB_ERROR, krbError: blob(97, 3) }]],
  ["nothing to protect", []],
];

for (const etype of SESSION_ETYPES) {
  const e = enctype(etype)!;
  test(`${e.name}: the REPLY sealed in one batch is the per-call REPLY with other confounders`, () => {
    const session = randomSession(etype);
    const key: EncryptionKey = { keytype: etype, keyvalue: session.key };
    for (const [name, inner] of inners) {
      for (const [ctime, cusec, ackReq] of [
        [1_700_000_000_000, 5, false],
        [1_700_000_123_000, 999_999, true],
      ] as const) {
        const what = `${e.name}, ${name}, cusec ${cusec}`;
        const ours = encodeReply(0x01020304, 0x6a001234, key, { ctime, cusec }, inner, ackReq);
        const theirs = perCallReply(0x01020304, 0x6a001234, key, ctime, cusec, inner, ackReq);
        assert.is(ours.length, theirs.length, what);
        const o = sealedParts(ours);
        const t = sealedParts(theirs);
        const masked = (bytes: Uint8Array, parts: ReturnType<typeof sealedParts>) => {
          const copy = bytes.slice();
          for (const v of [parts.apRepCipher, parts.ciphertext, parts.cksum]) {
            if (v === undefined) continue;
            const [at, n] = rangeOf(bytes, v);
            copy.fill(0, at, at + n);
          }
          return copy;
        };
        assert.equal(rangeOf(ours, o.apRepCipher), rangeOf(theirs, t.apRepCipher), what);
        assert.equal(o.ciphertext && rangeOf(ours, o.ciphertext), t.ciphertext && rangeOf(theirs, t.ciphertext), what);
        assert.equal(buf(masked(ours, o)), buf(masked(theirs, t)), what);

        // The sealed parts, checked independently of the WASM profiles where node:crypto has them.
        const apRepPart = encodeEncApRepPart({ ctime, cusec });
        const macInput = cksumInput(ours, o.cksum.length);
        if (NODE_ETYPES.includes(etype)) {
          const plainApRep = nodeDecrypt(etype, nodeDeriveEncKeys(etype, session.key, 12), o.apRepCipher);
          // DES3 keeps its block padding (RFC 3961 §5.3); the DER ends where it ends.
          assert.equal(plainApRep?.subarray(0, apRepPart.length), buf(apRepPart), what);
          if (o.ciphertext !== undefined) {
            const keys39 = nodeDeriveEncKeys(etype, session.key, 39);
            assert.equal(nodeDecrypt(etype, keys39, o.ciphertext), nodeDecrypt(etype, keys39, t.ciphertext!), what);
          }
          assert.equal(buf(o.cksum), nodeChecksum(etype, nodeDeriveCksumKey(etype, session.key, 40), macInput), what);
        } else {
          assert.equal(buf(decrypt(etype, session.key, 12, o.apRepCipher).subarray(0, apRepPart.length)), buf(apRepPart), what);
          if (o.ciphertext !== undefined)
            assert.equal(buf(decrypt(etype, session.key, 39, o.ciphertext)), buf(decrypt(etype, session.key, 39, t.ciphertext!)), what);
          assert.ok(verifyChecksum(e.cksumType, session.key, 40, macInput, o.cksum), what);
        }
        // And the peer's view: the Cksum verifies, KINK_ENCRYPT opens, the AP-REP echoes the authenticator.
        const opened = openKinkMessage(ours, session);
        assert.ok(opened.verified, what);
        const ap = opened.payloads[0]!;
        assert.ok(ap.type === PayloadType.AP_REP && verifyApRep(ap.apRep, key, [{ ctime, cusec }]) === 0, what);
      }
    }
  });
}

test("a batch sealer with an AP-REP to seal refuses a message without KINK_AP_REP", () => {
  const session = randomSession(17);
  const apRep = layoutApRep({ keytype: 17, keyvalue: session.key }, 1_700_000_000_000, 0);
  assert.throws(
    () =>
      encodeKinkMessage(
        { type: MessageType.ACK, xid: 1, payloads: [{ type: PayloadType.AP_REQ, epoch: 1, apReq: blob(40, 1) }] },
        sessionKeyBatchSealer(session, apRep),
      ),
    (e: unknown) => e instanceof KinkError && e.reason === "unencodable",
  );
});

test("a batch sealer without an AP-REP seals a command like the per-call sealer does", () => {
  const session = randomSession(18);
  const msg = {
    type: MessageType.CREATE,
    xid: 9,
    payloads: [
      { type: PayloadType.AP_REQ, epoch: 1, apReq: blob(431, 1) },
      { type: PayloadType.ENCRYPT, inner: [isakmp(RICH_CHAIN)] },
    ],
  } as const;
  const ours = encodeKinkMessage(msg, sessionKeyBatchSealer(session));
  const theirs = encodeKinkMessage(msg, sessionKeySealer(session));
  assert.is(ours.length, theirs.length);
  const opened = (bytes: Uint8Array) => {
    const m = openKinkMessage(bytes, session);
    assert.ok(m.verified);
    const enc = m.payloads[1];
    return enc?.type === PayloadType.ENCRYPT ? enc.inner : undefined;
  };
  assert.ok(opened(ours) !== undefined);
  assert.equal(opened(ours), opened(theirs));
});

test.run();
