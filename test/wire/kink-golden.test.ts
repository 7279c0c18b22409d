// Golden bytes: the worked example of kink.md §13 (sizes and the header/payload octets it
// spells out), and racoon2's real datagrams re-encoded byte for byte from their decoded form.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MessageType, PayloadType } from "../../src/wire/constants.ts";
import { openKinkMessage } from "../../src/wire/decode.ts";
import { encodeKinkMessage, type KinkMessage, type KinkSealer } from "../../src/wire/kink-message.ts";
import { sessionKeySealer } from "../../src/wire/seal.ts";
import { hex, toHex } from "../helpers/bytes.ts";
import { workedExampleChain } from "../helpers/isakmp-bytes.ts";
import { blob, plain, racoonMessages, racoonSession, randomSession } from "../helpers/kink.ts";

// §13: aes128-cts-hmac-sha1-96, AP-REQ 431 octets, AP-REP 85, XID 1, initiator SPI 0a0b0c0d.
const session = randomSession(17);
const sealer = sessionKeySealer(session);
const apReq = { type: PayloadType.AP_REQ, epoch: 1, apReq: blob(431, 1) } as const;
const apRep = { type: PayloadType.AP_REP, epoch: 1, apRep: blob(85, 2) } as const;
const qm = (payloads: ReturnType<typeof workedExampleChain>) => ({ type: PayloadType.ISAKMP, qmVersion: 0x10, payloads }) as const;

test("§13.2 CREATE is 584 octets with the documented header and payload layout", () => {
  const bytes = encodeKinkMessage(
    { type: MessageType.CREATE, xid: 1, payloads: [apReq, { type: PayloadType.ENCRYPT, inner: [qm(workedExampleChain())] }] },
    sealer,
  );
  assert.is(bytes.length, 584);
  assert.is(toHex(bytes.subarray(0, 16)), "0110024800000001000000010100000c");
  assert.is(toHex(bytes.subarray(16, 20)), "070001b7");
  assert.is(bytes[455], 0, "pad");
  assert.is(toHex(bytes.subarray(456, 460)), "00000074");
  const opened = openKinkMessage(bytes, session);
  const enc = opened.payloads[1]!;
  assert.ok(enc.type === PayloadType.ENCRYPT && enc.inner?.[0]?.type === PayloadType.ISAKMP);
});

test("§13.3 optimistic REPLY is 220 octets; §13.4 the 3-way REPLY 240 and its ACK about 468", () => {
  const reply = encodeKinkMessage(
    { type: MessageType.REPLY, xid: 1, payloads: [apRep, { type: PayloadType.ENCRYPT, inner: [qm(workedExampleChain(hex("01020304"), null))] }] },
    sealer,
  );
  assert.is(reply.length, 220);
  assert.is(toHex(reply.subarray(0, 16)), "031000dc00000001000000010200000c");
  assert.is(toHex(reply.subarray(16, 20)), "0700005d");
  assert.is(toHex(reply.subarray(112, 116)), "00000060");
  const threeWay = encodeKinkMessage(
    {
      type: MessageType.REPLY,
      xid: 1,
      ackReq: true,
      payloads: [apRep, { type: PayloadType.ENCRYPT, inner: [qm(workedExampleChain(hex("01020304"), hex("f0e0d0c0b0a090807060504030201000")))] }],
    },
    sealer,
  );
  assert.is(threeWay.length, 240);
  assert.is(threeWay[13], 0x80);
  const ack = encodeKinkMessage({ type: MessageType.ACK, xid: 1, payloads: [apReq] }, sealer);
  assert.is(ack.length, 16 + 440 + 12);
});

test("racoon2 datagrams re-encode byte for byte from their decoded form (real Cksum, captured ciphertext)", () => {
  for (const m of racoonMessages) {
    const d = openKinkMessage(m.bytes, racoonSession);
    const enc = d.payloads.find((p) => p.type === PayloadType.ENCRYPT);
    const real = sessionKeySealer(racoonSession);
    // The confounder is random, so the ciphertext is the captured one, handed back only for
    // the exact plaintext racoon2 encrypted.
    const replay: KinkSealer = {
      encrypt: (p) => {
        assert.is(toHex(p), m.encrypt!.plaintext, `${m.type_name} plaintext`);
        return enc?.type === PayloadType.ENCRYPT ? enc.ciphertext! : new Uint8Array(0);
      },
      checksum: (d) => real.checksum(d),
    };
    const again: KinkMessage = { type: d.type, xid: d.xid, ackReq: d.ackReq, payloads: d.payloads };
    assert.is(toHex(encodeKinkMessage(again, replay)), m.message, m.type_name);
  }
});

test("the decoded racoon2 CREATE carries the SA, SPI and nonce racoon2 recorded", () => {
  const m = racoonMessages[0]!;
  const d = openKinkMessage(m.bytes, racoonSession);
  const enc = d.payloads[1]!;
  assert.ok(enc.type === PayloadType.ENCRYPT);
  const isakmp = enc.inner![0]!;
  assert.ok(isakmp.type === PayloadType.ISAKMP);
  const [sa, nonce] = isakmp.payloads;
  assert.is(sa?.type, "sa");
  assert.is(nonce?.type, "nonce");
  const p = plain(sa) as { proposals: { protocolId: number; spi: string }[] };
  assert.is(p.proposals[0]!.protocolId, 3);
  assert.ok(m.encrypt!.plaintext.includes(p.proposals[0]!.spi));
});

test.run();
