// The KINK codec [RFC 4430 §4–§6]: real racoon2 datagrams decode, verify and decrypt; every
// message type round-trips through the encoder for every enctype; each rule of §3/§4/§6 maps
// to the RFC's answer; truncation and corrupted lengths always end in a KinkError.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { KinkErrorCode, MessageType, PayloadType } from "../../src/wire/constants.ts";
import { type DecodedKink, decodeKinkMessage, openKinkMessage } from "../../src/wire/decode.ts";
import { KinkError } from "../../src/wire/errors.ts";
import { encodeKinkMessage, type KinkMessage, type KinkSealer } from "../../src/wire/kink-message.ts";
import { sessionKeySealer } from "../../src/wire/seal.ts";
import { toHex } from "../helpers/bytes.ts";
import { blob, kinkErrorOf, plain, racoonMessages, racoonSession, randomSession, SESSION_ETYPES, sampleMessages } from "../helpers/kink.ts";

const PAYLOAD_NAMES: Record<string, number> = { KINK_AP_REQ: 1, KINK_AP_REP: 2, KINK_ENCRYPT: 7 };

test("racoon2 capture: every datagram decodes to the recorded header and payloads", () => {
  for (const m of racoonMessages) {
    const d = decodeKinkMessage(m.bytes);
    assert.is(d.type, m.type, m.type_name);
    assert.is(d.xid, m.xid);
    assert.is(d.length, m.length);
    assert.is(d.ackReq, m.ackreq);
    assert.is(d.cksum?.length, m.cksum_len);
    assert.is(toHex(d.cksum!), m.cksum);
    assert.is(d.verified, false);
    assert.equal(
      d.payloads.map((p) => p.type),
      m.payloads.map((p) => PAYLOAD_NAMES[p.name]),
    );
    const ap = d.payloads[0]!;
    const rec = m.payloads[0]!;
    if (ap.type === PayloadType.AP_REQ) {
      assert.is(ap.epoch, m.ap_req!.epoch);
      assert.equal(ap.apReq, m.bytes.subarray(rec.offset + 8, rec.offset + rec.length));
    } else if (ap.type === PayloadType.AP_REP) {
      assert.is(ap.epoch, m.ap_rep!.epoch);
      assert.equal(ap.apRep, m.bytes.subarray(rec.offset + 8, rec.offset + rec.length));
    } else assert.unreachable("first payload is AP_REQ or AP_REP");
  }
});

test("racoon2 capture: Cksum verifies and KINK_ENCRYPT decrypts to the recorded plaintext", () => {
  for (const m of racoonMessages) {
    const d = openKinkMessage(m.bytes, racoonSession);
    assert.ok(d.verified, m.type_name);
    const enc = d.payloads.find((p) => p.type === PayloadType.ENCRYPT);
    assert.is(enc !== undefined, m.encrypt !== undefined);
    if (enc?.type !== PayloadType.ENCRYPT || m.encrypt === undefined) continue;
    assert.is(enc.ciphertext!.length, m.encrypt.ciphertext_len);
    assert.is(enc.inner!.length, 1);
    const qm = enc.inner![0]!;
    assert.is(qm.type, m.encrypt.inner_next);
    assert.is(qm.type === PayloadType.ISAKMP && qm.qmVersion, 0x10);
  }
});

test("racoon2 capture: a wrong key, or any flipped bit, is a silent drop or a KinkError, never a message", () => {
  const m = racoonMessages[0]!;
  const wrong = { etype: racoonSession.etype, key: racoonSession.key.map((b) => b ^ 1) };
  const e = kinkErrorOf(() => openKinkMessage(m.bytes, wrong));
  assert.is(e.reason, "bad-cksum");
  assert.is(e.response.kind, "drop");
  for (const mm of racoonMessages) {
    for (let bit = 0; bit < mm.bytes.length * 8; bit++) {
      const c = mm.bytes.slice();
      c[bit >> 3]! ^= 1 << (bit & 7);
      kinkErrorOf(() => openKinkMessage(c, racoonSession));
    }
  }
});

test("every message type round-trips through encode/decode/open, for every enctype", () => {
  for (const etype of SESSION_ETYPES) {
    const session = randomSession(etype);
    const sealer = sessionKeySealer(session);
    for (const { name, msg, keyed } of sampleMessages()) {
      const bytes = encodeKinkMessage(msg, keyed ? sealer : undefined);
      assert.is(bytes.length % 4 === 0 || !keyed, true, name);
      const opened = openKinkMessage(bytes, session);
      assert.is(opened.verified, keyed, `${name} verified`);
      assert.equal(plain(stripDecoded(opened)), plain(withDefaults(msg)), `${name} (${etype})`);
      // Without the key: same header and outer payloads, KINK_ENCRYPT still sealed.
      const d = decodeKinkMessage(bytes);
      assert.is(d.payloads.length, msg.payloads.length);
      const enc = d.payloads.at(-1);
      if (enc?.type === PayloadType.ENCRYPT) assert.is(enc.inner, undefined);
    }
  }
});

test("Epoch, XID and KINK_ERROR Code from 2^31 up read as unsigned", () => {
  const session = randomSession(SESSION_ETYPES[0]!);
  const apReq = { type: PayloadType.AP_REQ, epoch: 0xfedc_ba98, apReq: blob(40, 1) } as const;
  const bytes = encodeKinkMessage({ type: 6, xid: 0x8000_0001, payloads: [apReq] }, sessionKeySealer(session));
  const opened = openKinkMessage(bytes, session);
  assert.is(opened.xid, 0x8000_0001);
  assert.equal(opened.payloads[0], apReq);
  const error = decodeKinkMessage(encodeKinkMessage({ type: 3, xid: 7, payloads: [{ type: PayloadType.ERROR, code: 0x8000_0002 }] }));
  assert.equal(error.payloads, [{ type: PayloadType.ERROR, code: 0x8000_0002 }]);
});

test("decoded ISAKMP payloads survive the datagram buffer being reused, in the clear or inside KINK_ENCRYPT", () => {
  const session = randomSession(SESSION_ETYPES[0]!);
  for (const { name, msg } of sampleMessages().filter((m) => m.name === "CREATE" || m.name === "CREATE, ISAKMP in clear")) {
    const bytes = encodeKinkMessage(msg, sessionKeySealer(session));
    const opened = openKinkMessage(bytes, session);
    const enc = opened.payloads.find((p) => p.type === PayloadType.ENCRYPT);
    const qm = (enc?.type === PayloadType.ENCRYPT ? enc.inner! : opened.payloads).find((p) => p.type === PayloadType.ISAKMP);
    if (qm?.type !== PayloadType.ISAKMP) assert.unreachable(name);
    const before = plain(qm);
    bytes.fill(0);
    assert.equal(plain(qm), before, name);
  }
});

/** The decoded message minus decode-only fields, in the encoder's input shape. */
function stripDecoded(d: DecodedKink): KinkMessage {
  return {
    type: d.type,
    xid: d.xid,
    ackReq: d.ackReq,
    doi: d.doi,
    payloads: d.payloads.map((p) => (p.type === PayloadType.ENCRYPT ? { type: p.type, inner: p.inner } : p)),
  };
}

function withDefaults(m: KinkMessage): KinkMessage {
  return { ...m, ackReq: m.ackReq ?? false, doi: m.doi ?? 1 };
}

test("RFC 4430 §13.6: the minimal unauthenticated KINK_ERROR is 24 octets", () => {
  const bytes = encodeKinkMessage({ type: MessageType.REPLY, xid: 0x01020304, payloads: [{ type: PayloadType.ERROR, code: KinkErrorCode.PROTOERR }] });
  assert.is(toHex(bytes), "031000180000000101020304080000000000000800000001");
});

test("§5.1: the Cksum is computed over the message with Length = Length − CksumLen and CksumLen = 0", () => {
  const seen: Uint8Array[] = [];
  const session = randomSession(17);
  const real = sessionKeySealer(session);
  const spy: KinkSealer = {
    encrypt: (p) => real.encrypt(p),
    checksum: (d) => {
      seen.push(d.slice());
      return real.checksum(d);
    },
  };
  const bytes = encodeKinkMessage(sampleMessages()[0]!.msg, spy);
  const n = bytes.length - 12;
  assert.is(seen[0]!.length, n);
  assert.is((seen[0]![2]! << 8) | seen[0]![3]!, n);
  assert.is((seen[0]![14]! << 8) | seen[0]![15]!, 0);
  assert.equal(seen[0]!.subarray(16), bytes.subarray(16, n));
  assert.is((bytes[2]! << 8) | bytes[3]!, bytes.length);
  assert.is((bytes[14]! << 8) | bytes[15]!, 12);
});

// ---- Validation: each rule and the answer the RFC prescribes --------------------------------

const session = randomSession(18);
const sealer = sessionKeySealer(session);
const samples = Object.fromEntries(sampleMessages().map((s) => [s.name, encodeKinkMessage(s.msg, s.keyed ? sealer : undefined)]));

function patched(name: string, f: (b: Uint8Array, v: DataView) => void): Uint8Array {
  const b = samples[name]!.slice();
  f(b, new DataView(b.buffer));
  return b;
}

function expectError(bytes: Uint8Array, reason: string, response: string, opts?: Parameters<typeof decodeKinkMessage>[1]) {
  const e = kinkErrorOf(() => decodeKinkMessage(bytes, opts));
  assert.is(e.reason, reason, e.message);
  const r = e.response;
  assert.is(r.kind === "kink-error" ? `kink-error ${r.code}` : r.kind, response, e.message);
  return e;
}

test("header rules: size, Length, version, DOI, type, CksumLen", () => {
  expectError(samples.GETTGT!.subarray(0, 15), "short-datagram", "drop");
  expectError(
    patched("GETTGT", (_, v) => v.setUint16(2, 15)),
    "bad-length",
    "kink-error 1",
  );
  expectError(
    patched("GETTGT", (b, v) => v.setUint16(2, b.length + 1)),
    "bad-length",
    "kink-error 1",
  );
  expectError(samples.CREATE!, "too-long", "drop", { maxLength: 100 });
  expectError(
    patched("GETTGT", (b) => {
      b[1] = 0x20;
    }),
    "bad-version",
    "kink-error 3",
  );
  const minor = patched("GETTGT", (b) => {
    b[1] = 0x11;
  });
  assert.is(decodeKinkMessage(minor).type, MessageType.GETTGT, "reserved nibble ignored by default (RFC 4430 §4)");
  expectError(minor, "bad-reserved", "kink-error 1", { strictReserved: true });
  expectError(
    patched("GETTGT", (_, v) => v.setUint32(4, 2)),
    "bad-doi",
    "kink-error 2",
  );
  expectError(
    patched("GETTGT", (b) => {
      b[0] = 7;
    }),
    "bad-message-type",
    "kink-error 1",
  );
  expectError(
    patched("GETTGT", (b) => {
      b[0] = 0;
    }),
    "bad-message-type",
    "drop",
  );
  expectError(
    patched("CREATE", (_, v) => v.setUint16(14, 11)),
    "bad-cksum-length",
    "kink-error 1",
  );
  expectError(
    patched("CREATE", (b, v) => v.setUint16(14, b.length)),
    "bad-cksum-length",
    "kink-error 1",
  );
});

test("payload rules: lengths, types, order, duplicates, Cksum presence, trailing octets", () => {
  // GETTGT: header + TGT_REQ at 16.
  expectError(
    patched("GETTGT", (b, v) => v.setUint16(18, b.length)),
    "truncated",
    "kink-error 1",
  );
  expectError(
    patched("GETTGT", (_, v) => v.setUint16(18, 4)),
    "bad-payload-length",
    "kink-error 1",
  );
  expectError(
    patched("GETTGT", (b) => {
      b[12] = 9;
    }),
    "unknown-payload",
    "kink-error 1",
  );
  expectError(
    patched("GETTGT", (b) => {
      b[12] = PayloadType.ISAKMP;
    }),
    "payload-not-allowed",
    "kink-error 1",
  );
  const lenient = patched("GETTGT", (b) => {
    b[17] = 0xff;
  });
  assert.is(decodeKinkMessage(lenient).type, MessageType.GETTGT, "payload RESERVED ignored by default");
  expectError(lenient, "bad-reserved", "kink-error 1", { strictReserved: true });
  // Trailing octets inside Length after the last payload.
  const trailing = new Uint8Array(samples.GETTGT!.length + 4);
  trailing.set(samples.GETTGT!);
  new DataView(trailing.buffer).setUint16(2, trailing.length);
  expectError(trailing, "trailing-octets", "kink-error 1");
  // ...but octets after Length are allowed (§4) and ignored.
  const extra = new Uint8Array(samples.GETTGT!.length + 7);
  extra.set(samples.GETTGT!);
  assert.is(decodeKinkMessage(extra).length, samples.GETTGT!.length);
  // A KINK_ERROR's Payload Length is exactly 8 (§4.2.8); errors in a REPLY are never answered.
  expectError(
    patched("REPLY, lone KINK_ERROR", (_, v) => v.setUint16(18, 7)),
    "bad-payload-length",
    "drop",
  );
  // Cksum presence: an AP_REQ message without Cksum, a GETTGT with one.
  const ack = samples.STATUS!;
  const noCksum = ack.slice(0, ack.length - 12);
  new DataView(noCksum.buffer).setUint16(2, noCksum.length);
  new DataView(noCksum.buffer).setUint16(14, 0);
  expectError(noCksum, "cksum-presence", "kink-error 1");
  const withCksum = new Uint8Array(samples.GETTGT!.length + 4);
  withCksum.set(samples.GETTGT!);
  new DataView(withCksum.buffer).setUint16(2, withCksum.length);
  new DataView(withCksum.buffer).setUint16(14, 4);
  expectError(withCksum, "cksum-presence", "kink-error 1");
});

test("message composition rules of §6 (encoder-built messages patched, then re-checksummed)", () => {
  const build = (msg: KinkMessage) => encodeKinkMessage(msg, sealer);
  const apReq = { type: PayloadType.AP_REQ, epoch: 1, apReq: blob(40, 9) } as const;
  const apRep = { type: PayloadType.AP_REP, epoch: 1, apRep: blob(40, 9) } as const;
  const qm = { type: PayloadType.ISAKMP, qmVersion: 0x10, payloads: [] } as const;
  // ACK carries KINK_AP_REQ and nothing else (§6.2).
  expectError(build({ type: MessageType.ACK, xid: 1, payloads: [apReq, qm] }), "payload-not-allowed", "drop");
  // Duplicates (one KINK_ISAKMP per operation, but several are allowed).
  expectError(build({ type: MessageType.CREATE, xid: 1, payloads: [apReq, apReq] }), "duplicate-payload", "kink-error 1");
  assert.is(decodeKinkMessage(build({ type: MessageType.CREATE, xid: 1, payloads: [apReq, qm, qm] })).payloads.length, 3);
  // An AP_REP in a command, an AP_REQ in a REPLY.
  expectError(build({ type: MessageType.DELETE, xid: 1, payloads: [apRep] }), "payload-not-allowed", "kink-error 1");
  expectError(build({ type: MessageType.REPLY, xid: 1, payloads: [apReq] }), "payload-not-allowed", "drop");
  // Commands without KINK_AP_REQ get no answer (§9); GETTGT without TGT_REQ is malformed.
  expectError(encodeKinkMessage({ type: MessageType.CREATE, xid: 1, payloads: [qm] }), "missing-payload", "drop");
  expectError(encodeKinkMessage({ type: MessageType.GETTGT, xid: 1, payloads: [] }), "missing-payload", "kink-error 1");
  expectError(encodeKinkMessage({ type: MessageType.REPLY, xid: 1, payloads: [qm] }), "missing-payload", "drop");
  // QM version other than 1.0 → KINK_BADQMVERS (§4.2.6).
  expectError(build({ type: MessageType.CREATE, xid: 1, payloads: [apReq, { ...qm, qmVersion: 0x20 }] }), "bad-qm-version", "kink-error 6");
  expectError(build({ type: MessageType.CREATE, xid: 1, payloads: [apReq, { ...qm, qmVersion: 0x11 }] }), "bad-qm-version", "kink-error 6");
  // More payloads than any valid message has.
  expectError(build({ type: MessageType.STATUS, xid: 1, payloads: [apReq, ...Array(40).fill(qm)] }), "too-many-payloads", "kink-error 1");
  // KINK_ENCRYPT must be last: flip its Next Payload.
  const create = samples.CREATE!;
  const encAt = 16 + ((((create[18]! << 8) | create[19]!) + 3) & ~3);
  const notLast = create.slice();
  notLast[encAt] = PayloadType.ISAKMP;
  expectError(notLast, "encrypt-not-last", "kink-error 1");
  // The encoder refuses the same.
  const e = kinkErrorOf(() => build({ type: MessageType.CREATE, xid: 1, payloads: [apReq, { type: PayloadType.ENCRYPT, inner: [qm] }, qm] }));
  assert.is(e.reason, "encrypt-not-last");
  // Keyed payloads need the key to be encoded.
  assert.is(kinkErrorOf(() => encodeKinkMessage({ type: MessageType.STATUS, xid: 1, payloads: [apReq] })).reason, "unencodable");
});

test("rules inside KINK_ENCRYPT are checked after decryption, with plaintext offsets", () => {
  const apReq = { type: PayloadType.AP_REQ, epoch: 1, apReq: blob(40, 9) } as const;
  // A KINK_ERROR may only be inside a REPLY's KINK_ENCRYPT.
  const bytes = encodeKinkMessage(
    { type: MessageType.CREATE, xid: 1, payloads: [apReq, { type: PayloadType.ENCRYPT, inner: [{ type: PayloadType.ERROR, code: 1 }] }] },
    sealer,
  );
  assert.ok(decodeKinkMessage(bytes), "outer chain alone is fine");
  const e = kinkErrorOf(() => openKinkMessage(bytes, session));
  assert.is(e.reason, "payload-not-allowed");
  assert.is(e.inner, true);
  assert.is(e.offset, 4);
  // A ciphertext that does not decrypt (Cksum fine): silent drop.
  const junk: KinkSealer = { encrypt: (p) => blob(p.length + 28, 5), checksum: (d) => sealer.checksum(d) };
  const bad = encodeKinkMessage({ type: MessageType.CREATE, xid: 1, payloads: [apReq, { type: PayloadType.ENCRYPT, inner: [] }] }, junk);
  const e2 = kinkErrorOf(() => openKinkMessage(bad, session));
  assert.is(e2.reason, "bad-ciphertext");
  assert.is(e2.response.kind, "drop");
});

test("truncation at every octet of every message type → KinkError", () => {
  for (const [name, bytes] of Object.entries(samples)) {
    for (let n = 0; n < bytes.length; n++) {
      const cut = bytes.subarray(0, n);
      assert.instance(
        kinkErrorOf(() => decodeKinkMessage(cut)),
        KinkError,
        `${name} cut at ${n}`,
      );
      kinkErrorOf(() => openKinkMessage(cut, session));
    }
  }
});

test("corrupting any length field of any message type → KinkError (with the key), or a message (without)", () => {
  let decodedFine = 0;
  let rejected = 0;
  for (const [name, bytes] of Object.entries(samples)) {
    const d = decodeKinkMessage(bytes);
    // Length fields: header Length (2), CksumLen (14), every payload's Length.
    const at = [2, 14];
    let off = 16;
    for (let i = 0; i < d.payloads.length; i++) {
      at.push(off + 2);
      off = (off + ((bytes[off + 2]! << 8) | bytes[off + 3]!) + 3) & ~3;
    }
    for (const pos of at) {
      const orig = (bytes[pos]! << 8) | bytes[pos + 1]!;
      const values = new Set([0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 0x7fff, 0x8000, 0xfffc, 0xffff]);
      for (let dv = -12; dv <= 12; dv++) values.add((orig + dv) & 0xffff);
      values.delete(orig);
      for (const v of values) {
        const c = bytes.slice();
        c[pos] = v >> 8;
        c[pos + 1] = v & 0xff;
        try {
          decodeKinkMessage(c);
          decodedFine++;
        } catch (e) {
          assert.instance(e, KinkError, `${name} length@${pos}=${v}`);
          rejected++;
        }
        if (d.verified === false && d.cksum === undefined) continue;
        kinkErrorOf(() => openKinkMessage(c, session));
      }
    }
  }
  // Some corruptions keep a well-formed outer frame (a shorter opaque AP-REQ, say): the key
  // check catches those. Most must already fail the walk.
  assert.ok(rejected > 10 * decodedFine, `${rejected} rejected, ${decodedFine} decoded`);
});

test.run();
