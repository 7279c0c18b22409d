// Crypto known answers from a real racoon2 kinkd exchange (test/interop/racoon2-optimistic,
// checked independently with MIT libkrb5): the KINK Cksum (RFC 4430 §5.1: key usage 40 over the
// message with Length and CksumLen rewritten), KINK_ENCRYPT (usage 39) and the ESP KEYMAT that
// racoon2 installed, which only the 20-octet AES-SHA1 PRF reproduces (kink.md §5.4).
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decrypt, prf, verifyChecksum } from "../../src/crypto/kerberos.ts";
import { hex, toHex } from "../helpers/bytes.ts";

interface Payload {
  name: string;
  offset: number;
  length: number;
}
interface Message {
  type_name: string;
  length: number;
  cksum_len: number;
  cksum: string;
  payloads: Payload[];
  message: string;
  encrypt?: { ok: boolean; plaintext: string };
}
interface Sa {
  spi: string;
  seed: string;
  keymat: string;
  keymat_mit16_computed_not_used: string;
  enc_key: string;
  auth_key: string;
}
const ka = JSON.parse(readFileSync(new URL("../interop/racoon2-optimistic/known-answers.json", import.meta.url), "utf8")) as {
  session_key: { enctype: number; hex: string };
  messages: Message[];
  sas: Sa[];
};
const etype = ka.session_key.enctype;
const sessionKey = hex(ka.session_key.hex);
const CKSUM_AES256 = 16;

/** RFC 4430 §5.1 receiver: Length := Length − CksumLen, CksumLen := 0, over octets [0, n). */
function cksumInput(msg: Uint8Array, cksumLen: number): Uint8Array {
  const n = msg.length - cksumLen;
  const copy = msg.slice(0, n);
  new DataView(copy.buffer).setUint16(2, n);
  new DataView(copy.buffer).setUint16(14, 0);
  return copy;
}

test("the capture's session key is aes256-cts-hmac-sha1-96", () => {
  assert.is(etype, 18);
  assert.is(ka.messages.length, 6);
});

test("every message's Cksum verifies with usage 40 over the rewritten header, and only so", () => {
  for (const m of ka.messages) {
    const bytes = hex(m.message);
    assert.is(bytes.length, m.length);
    const mac = bytes.subarray(m.length - m.cksum_len);
    assert.is(toHex(mac), m.cksum);
    assert.ok(verifyChecksum(CKSUM_AES256, sessionKey, 40, cksumInput(bytes, m.cksum_len), mac), `${m.type_name} Cksum`);
    // The header as sent, or usage 39, must not verify (the rewrite and the usage both matter).
    assert.not.ok(verifyChecksum(CKSUM_AES256, sessionKey, 40, bytes.subarray(0, m.length - m.cksum_len), mac));
    assert.not.ok(verifyChecksum(CKSUM_AES256, sessionKey, 39, cksumInput(bytes, m.cksum_len), mac));
  }
});

test("KINK_ENCRYPT decrypts with usage 39 to the recorded plaintext", () => {
  let seen = 0;
  for (const m of ka.messages) {
    const p = m.payloads.find((x) => x.name === "KINK_ENCRYPT");
    if (p === undefined || m.encrypt === undefined) continue;
    const ct = hex(m.message).subarray(p.offset + 4, p.offset + p.length);
    assert.is(toHex(decrypt(etype, sessionKey, 39, ct)), m.encrypt.plaintext, m.type_name);
    seen++;
  }
  assert.is(seen, 4);
});

/** RFC 2409 §5.5 / RFC 4430 §7: KEYMAT = K1 | K2 | …, K1 = prf(seed), Kn = prf(Kn−1 | seed). */
function keymat(seed: Uint8Array, len: number, variant: "rfc3961" | "racoon2"): string {
  const out: Uint8Array[] = [];
  let total = 0;
  let prev: Uint8Array = new Uint8Array(0);
  while (total < len) {
    const input = new Uint8Array(prev.length + seed.length);
    input.set(prev);
    input.set(seed, prev.length);
    prev = prf(etype, sessionKey, input, { aesSha1Prf: variant });
    out.push(prev);
    total += prev.length;
  }
  return toHex(Buffer.concat(out)).slice(0, len * 2);
}

test("KEYMAT: the racoon2 PRF reproduces every installed ESP key; the RFC 3961 PRF gives the recorded other value", () => {
  assert.ok(ka.sas.length >= 2);
  for (const sa of ka.sas) {
    const seed = hex(sa.seed);
    const km = keymat(seed, sa.keymat.length / 2, "racoon2");
    assert.is(km, sa.keymat, `SA ${sa.spi}`);
    assert.is(km.slice(0, 32), sa.enc_key);
    assert.is(km.slice(32, 72), sa.auth_key);
    assert.is(keymat(seed, sa.keymat.length / 2, "rfc3961"), sa.keymat_mit16_computed_not_used);
  }
});

test.run();
