// Triple DES (FIPS 46-3 / SP 800-67) in the WASM core: published known answers, algebraic
// properties of DES, and differential tests against node:crypto ('des-ede3', 'des-ede3-cbc').
import { createCipheriv, createDecipheriv } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { blockCipher } from "../../src/crypto/primitives.ts";
import { getCore } from "../../src/crypto/wasm.ts";
import { hex, Prng, toHex } from "../helpers/bytes.ts";

function nodeDes3(mode: "ecb" | "cbc", dir: "encrypt" | "decrypt", key: Uint8Array, data: Uint8Array, iv?: Uint8Array): Uint8Array {
  const alg = mode === "ecb" ? "des-ede3" : "des-ede3-cbc";
  const ivArg = mode === "ecb" ? null : (iv ?? new Uint8Array(8));
  const c = dir === "encrypt" ? createCipheriv(alg, key, ivArg) : createDecipheriv(alg, key, ivArg);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

const ecb = (dir: "encrypt" | "decrypt", key: Uint8Array, data: Uint8Array) => blockCipher("des3", "ecb", dir, key, data).output;
const triple = (k: string) => hex(k + k + k);

test("node:crypto has des-ede3 and des-ede3-cbc in the default provider (the oracle below)", () => {
  assert.is(toHex(nodeDes3("ecb", "encrypt", triple("0123456789abcdef"), hex("4e6f772069732074"))), "3fa40e8a984d4815");
});

test("single DES as EDE3 with K1 = K2 = K3: the classic 133457799BBCDFF1 example", () => {
  // E_K(D_K(E_K(P))) = E_K(P), so EDE3 with three equal keys is single DES (SP 800-67 §3.2 keying option 3).
  const k = triple("133457799BBCDFF1");
  assert.is(toHex(ecb("encrypt", k, hex("0123456789ABCDEF"))), "85e813540f0ab405");
  assert.is(toHex(ecb("decrypt", k, hex("85E813540F0AB405"))), "0123456789abcdef");
});

test("SP 800-67 TDEA example: 'The qufck brown fox jump' (ECB, three keys)", () => {
  const key = hex("0123456789ABCDEF 23456789ABCDEF01 456789ABCDEF0123");
  const pt = new TextEncoder().encode("The qufck brown fox jump");
  const ct = "a826fd8ce53b855fcce21c8112256fe668d5c05dd9b6b900";
  assert.is(toHex(ecb("encrypt", key, pt)), ct);
  assert.equal(ecb("decrypt", key, hex(ct)), pt);
});

test("FIPS 81 examples (single DES key 0123456789abcdef): ECB and CBC of 'Now is the time for all '", () => {
  const key = triple("0123456789abcdef");
  const pt = new TextEncoder().encode("Now is the time for all ");
  assert.is(toHex(ecb("encrypt", key, pt)), "3fa40e8a984d48156a271787ab8883f9893d51ec4b563b53");
  const iv = hex("1234567890abcdef");
  const ct = "e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6";
  const enc = blockCipher("des3", "cbc", "encrypt", key, pt, iv);
  assert.is(toHex(enc.output), ct);
  assert.is(toHex(enc.nextIv), "683788499a7c05f6");
  const dec = blockCipher("des3", "cbc", "decrypt", key, hex(ct), iv);
  assert.equal(dec.output, pt);
  assert.is(toHex(dec.nextIv), "683788499a7c05f6");
});

test("NIST SP 800-20 TDEA known answers (K1 = K2 = K3): variable plaintext and variable key", () => {
  const k0 = triple("0101010101010101");
  const vp: [string, string][] = [
    ["8000000000000000", "95f8a5e5dd31d900"],
    ["4000000000000000", "dd7f121ca5015619"],
    ["2000000000000000", "2e8653104f3834ea"],
  ];
  for (const [p, c] of vp) {
    assert.is(toHex(ecb("encrypt", k0, hex(p))), c);
    assert.is(toHex(ecb("decrypt", k0, hex(c))), p);
  }
  assert.is(toHex(ecb("encrypt", triple("8001010101010101"), new Uint8Array(8))), "95a8d72813daa94d");
});

test("parity bits are ignored (FIPS 46-3: bits 8, 16, ..., 64 of each key are not used)", () => {
  const r = new Prng(0x5eed0001);
  for (let n = 0; n < 200; n++) {
    const key = r.bytes(24);
    const flipped = key.map((b) => b ^ (r.int(2) ? 1 : 0));
    const pt = r.bytes(16);
    assert.equal(ecb("encrypt", flipped, pt), ecb("encrypt", key, pt));
  }
});

test("DES properties: complementation, weak keys, and K1 = K2 collapsing to single DES with K3", () => {
  const r = new Prng(0x5eed0002);
  const not = (u: Uint8Array) => u.map((b) => ~b & 0xff);
  for (let n = 0; n < 200; n++) {
    const key = r.bytes(24);
    const pt = r.bytes(8);
    // E_{~K}(~P) = ~E_K(P) holds per DES stage, hence for EDE3.
    assert.equal(ecb("encrypt", not(key), not(pt)), not(ecb("encrypt", key, pt)));
    // E_K3(D_K1(E_K1(P))) = E_K3(P).
    const k1 = key.subarray(0, 8);
    const k3 = key.subarray(16, 24);
    const collapsed = new Uint8Array([...k1, ...k1, ...k3]);
    assert.equal(ecb("encrypt", collapsed, pt), ecb("encrypt", new Uint8Array([...k3, ...k3, ...k3]), pt));
  }
  // For a weak key, encryption is an involution (FIPS 74 / SP 800-67 §3.3.2).
  for (const w of ["0101010101010101", "fefefefefefefefe", "e0e0e0e0f1f1f1f1", "1f1f1f1f0e0e0e0e"]) {
    const pt = r.bytes(32);
    assert.equal(ecb("encrypt", triple(w), ecb("encrypt", triple(w), pt)), pt);
  }
});

test("differential vs node:crypto: ECB, 3000 random keys, 1..40 blocks, both directions", () => {
  const r = new Prng(0xdec0de01);
  for (let n = 0; n < 3000; n++) {
    const key = r.bytes(24);
    const data = r.bytes(8 * (1 + (n % 40)));
    const expect = nodeDes3("ecb", "encrypt", key, data);
    assert.equal(ecb("encrypt", key, data), expect);
    assert.equal(ecb("decrypt", key, expect), data);
    assert.equal(ecb("decrypt", key, data), nodeDes3("ecb", "decrypt", key, data));
  }
});

test("differential vs node:crypto: CBC, 3000 random keys/IVs, 1..40 blocks, nextIv is the last ciphertext block", () => {
  const r = new Prng(0xdec0de02);
  for (let n = 0; n < 3000; n++) {
    const key = r.bytes(24);
    const iv = r.bytes(8);
    const data = r.bytes(8 * (1 + r.int(40)));
    const expect = nodeDes3("cbc", "encrypt", key, data, iv);
    const enc = blockCipher("des3", "cbc", "encrypt", key, data, iv);
    assert.equal(enc.output, expect);
    assert.equal(enc.nextIv, expect.subarray(expect.length - 8));
    const dec = blockCipher("des3", "cbc", "decrypt", key, expect, iv);
    assert.equal(dec.output, data);
    assert.equal(dec.nextIv, expect.subarray(expect.length - 8));
    // Decrypting arbitrary data (not produced by us) matches too.
    assert.equal(blockCipher("des3", "cbc", "decrypt", key, data, iv).output, nodeDes3("cbc", "decrypt", key, data, iv));
  }
});

test("differential vs node:crypto: one large message (64 KiB) in ECB and CBC", () => {
  const r = new Prng(0xdec0de03);
  const key = r.bytes(24);
  const iv = r.bytes(8);
  const data = r.bytes(65536);
  assert.equal(ecb("encrypt", key, data), nodeDes3("ecb", "encrypt", key, data));
  const ct = nodeDes3("cbc", "encrypt", key, data, iv);
  assert.equal(blockCipher("des3", "cbc", "encrypt", key, data, iv).output, ct);
  assert.equal(blockCipher("des3", "cbc", "decrypt", key, ct, iv).output, data);
});

test("CBC chaining: two calls linked by nextIv equal one call", () => {
  const r = new Prng(0xdec0de04);
  for (let n = 0; n < 200; n++) {
    const key = r.bytes(24);
    const iv = r.bytes(8);
    const data = r.bytes(8 * (2 + r.int(30)));
    const cut = 8 * (1 + r.int(data.length / 8 - 1));
    const whole = blockCipher("des3", "cbc", "encrypt", key, data, iv).output;
    const a = blockCipher("des3", "cbc", "encrypt", key, data.subarray(0, cut), iv);
    const b = blockCipher("des3", "cbc", "encrypt", key, data.subarray(cut), a.nextIv);
    assert.equal(new Uint8Array([...a.output, ...b.output]), whole);
    const da = blockCipher("des3", "cbc", "decrypt", key, whole.subarray(0, cut), iv);
    const db = blockCipher("des3", "cbc", "decrypt", key, whole.subarray(cut), da.nextIv);
    assert.equal(new Uint8Array([...da.output, ...db.output]), data);
  }
});

test("in-place operation (src == dst) for ECB and CBC in both directions", () => {
  const c = getCore();
  const r = new Prng(0xdec0de05);
  const k = c.io;
  const v = c.io + 32;
  const buf = c.io + 64;
  for (let n = 0; n < 300; n++) {
    const key = r.bytes(24);
    const iv = r.bytes(8);
    const data = r.bytes(8 * (1 + r.int(40)));
    for (const mode of [0, 1] as const) {
      for (const decrypt of [0, 1] as const) {
        const mem = c.bytes();
        mem.set(key, k);
        mem.set(iv, v);
        mem.set(data, buf);
        assert.is(c.exports.primCipher(2, mode, decrypt, k, 24, v, buf, buf, data.length), 0);
        const got = c.bytes().slice(buf, buf + data.length);
        const want = nodeDes3(mode === 0 ? "ecb" : "cbc", decrypt ? "decrypt" : "encrypt", key, data, iv);
        assert.equal(got, want);
        if (mode === 1) {
          const last = (decrypt ? data : want).subarray(data.length - 8);
          assert.equal(c.bytes().slice(v, v + 8), last);
        }
      }
    }
  }
});

test("bad key and data lengths are rejected by the primitive layer", () => {
  assert.throws(() => blockCipher("des3", "ecb", "encrypt", new Uint8Array(16), new Uint8Array(8)), /key of 16 bytes/);
  assert.throws(() => blockCipher("des3", "cbc", "encrypt", new Uint8Array(24), new Uint8Array(12)), /cannot process 12 bytes/);
  assert.throws(() => blockCipher("des3", "cts", "encrypt", new Uint8Array(24), new Uint8Array(16)), /no cts mode/);
});

test.run();
