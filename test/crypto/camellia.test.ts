// Camellia (RFC 3713), CBC, Kerberos CTS (RFC 3962 §5 as adopted by RFC 6803) and CMAC
// (NIST SP 800-38B) in the WASM core, checked against RFC known answers and against
// node:crypto's OpenSSL Camellia, with CTS and CMAC rebuilt here from OpenSSL's ECB/CBC.
import { createCipheriv, createDecipheriv } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { blockCipher, camelliaCmac } from "../../src/crypto/primitives.ts";
import { getCore } from "../../src/crypto/wasm.ts";
import { hex, Prng, toHex } from "../helpers/bytes.ts";

const KEY_SIZES = [16, 24, 32] as const;

function nodeCipher(mode: "ecb" | "cbc", dir: "encrypt" | "decrypt", key: Uint8Array, data: Uint8Array, iv?: Uint8Array): Uint8Array {
  const name = `camellia-${key.length * 8}-${mode}`;
  const c =
    dir === "encrypt" ? createCipheriv(name, key, mode === "ecb" ? null : (iv ?? null)) : createDecipheriv(name, key, mode === "ecb" ? null : (iv ?? null));
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

/** RFC 3962 §5 CTS from OpenSSL CBC: CBC the zero-padded input, swap the last two blocks, truncate. */
function refCtsEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): { output: Uint8Array; nextIv: Uint8Array } {
  const padded = new Uint8Array((data.length + 15) & ~15);
  padded.set(data);
  const cbc = nodeCipher("cbc", "encrypt", key, padded, iv);
  if (data.length === 16) return { output: cbc, nextIv: cbc.slice(0, 16) };
  const n = cbc.length / 16;
  const out = new Uint8Array(cbc.length);
  out.set(cbc.subarray(0, (n - 2) * 16));
  out.set(cbc.subarray((n - 1) * 16), (n - 2) * 16);
  out.set(cbc.subarray((n - 2) * 16, (n - 1) * 16), (n - 1) * 16);
  // RFC 3962 §5: the next cipher state is the last full ciphertext block, i.e. CBC's final block.
  return { output: out.slice(0, data.length), nextIv: cbc.slice((n - 1) * 16) };
}

/** SP 800-38B CMAC built independently from OpenSSL's Camellia ECB. */
function refCmac(key: Uint8Array, msg: Uint8Array): Uint8Array {
  const enc = (b: Uint8Array) => nodeCipher("ecb", "encrypt", key, b);
  const dbl = (b: Uint8Array): Uint8Array => {
    const o = new Uint8Array(16);
    for (let i = 0; i < 16; i++) o[i] = ((b[i]! << 1) | (i < 15 ? b[i + 1]! >> 7 : 0)) & 0xff;
    if (b[0]! & 0x80) o[15]! ^= 0x87;
    return o;
  };
  const k1 = dbl(enc(new Uint8Array(16)));
  const k2 = dbl(k1);
  const n = Math.max(1, Math.ceil(msg.length / 16));
  const complete = msg.length > 0 && msg.length % 16 === 0;
  const last = new Uint8Array(16);
  const tail = msg.subarray((n - 1) * 16);
  last.set(tail);
  if (!complete) last[tail.length] = 0x80;
  const sub = complete ? k1 : k2;
  for (let i = 0; i < 16; i++) last[i]! ^= sub[i]!;
  let x: Uint8Array = new Uint8Array(16);
  for (let b = 0; b < n; b++) {
    const m = b === n - 1 ? last : msg.subarray(b * 16, b * 16 + 16);
    const y = new Uint8Array(16);
    for (let i = 0; i < 16; i++) y[i] = x[i]! ^ m[i]!;
    x = enc(y);
  }
  return x;
}

test("RFC 3713 Appendix A known answers (128/192/256)", () => {
  const pt = hex("0123456789abcdeffedcba9876543210");
  const cases = [
    ["0123456789abcdeffedcba9876543210", "67673138549669730857065648eabe43"],
    ["0123456789abcdeffedcba98765432100011223344556677", "b4993401b3e996f84ee5cee7d79b09b9"],
    ["0123456789abcdeffedcba987654321000112233445566778899aabbccddeeff", "9acc237dff16d76c20ef7c919e3a7509"],
  ] as const;
  for (const [k, c] of cases) {
    assert.is(toHex(blockCipher("camellia", "ecb", "encrypt", hex(k), pt).output), c);
    assert.is(toHex(blockCipher("camellia", "ecb", "decrypt", hex(k), hex(c)).output), toHex(pt));
  }
});

test("node:crypto has the Camellia ciphers this suite compares against", () => {
  const key = hex("0123456789abcdeffedcba9876543210");
  assert.is(toHex(nodeCipher("ecb", "encrypt", key, key)), "67673138549669730857065648eabe43");
});

test("ECB matches OpenSSL for random keys, every block count 1..20, all key sizes", () => {
  const rnd = new Prng(1);
  for (let iter = 0; iter < 600; iter++) {
    const key = rnd.bytes(KEY_SIZES[iter % 3]!);
    const data = rnd.bytes(16 * (1 + (iter % 20)));
    const ct = blockCipher("camellia", "ecb", "encrypt", key, data).output;
    assert.is(toHex(ct), toHex(nodeCipher("ecb", "encrypt", key, data)));
    assert.is(toHex(blockCipher("camellia", "ecb", "decrypt", key, ct).output), toHex(data));
  }
});

test("CBC matches OpenSSL (output and next IV) for random keys/IVs, every block count 1..20", () => {
  const rnd = new Prng(2);
  for (let iter = 0; iter < 1200; iter++) {
    const key = rnd.bytes(KEY_SIZES[iter % 3]!);
    const iv = rnd.bytes(16);
    const data = rnd.bytes(16 * (1 + (iter % 20)));
    const enc = blockCipher("camellia", "cbc", "encrypt", key, data, iv);
    const want = nodeCipher("cbc", "encrypt", key, data, iv);
    assert.is(toHex(enc.output), toHex(want));
    assert.is(toHex(enc.nextIv), toHex(want.slice(-16)));
    const dec = blockCipher("camellia", "cbc", "decrypt", key, want, iv);
    assert.is(toHex(dec.output), toHex(nodeCipher("cbc", "decrypt", key, want, iv)));
    assert.is(toHex(dec.output), toHex(data));
    assert.is(toHex(dec.nextIv), toHex(want.slice(-16)));
  }
});

test("CTS matches CBC-with-swap reference for every length 16..80, and round-trips", () => {
  const rnd = new Prng(3);
  for (let len = 16; len <= 80; len++) {
    for (let rep = 0; rep < 12; rep++) {
      const key = rnd.bytes(KEY_SIZES[rep % 3]!);
      const iv = rep < 3 ? new Uint8Array(16) : rnd.bytes(16);
      const data = rnd.bytes(len);
      const want = refCtsEncrypt(key, iv, data);
      const enc = blockCipher("camellia", "cts", "encrypt", key, data, iv);
      assert.is(toHex(enc.output), toHex(want.output), `len ${len}`);
      assert.is(toHex(enc.nextIv), toHex(want.nextIv), `next iv, len ${len}`);
      const dec = blockCipher("camellia", "cts", "decrypt", key, enc.output, iv);
      assert.is(toHex(dec.output), toHex(data), `round trip, len ${len}`);
      assert.is(toHex(dec.nextIv), toHex(want.nextIv), `decrypt next iv, len ${len}`);
    }
  }
});

test("CTS chains: two calls with the carried cipher state equal the reference run block by block", () => {
  // RFC 3962 §5 cipher state: encrypting A then B with the returned IV must decrypt the same way.
  const rnd = new Prng(4);
  for (let iter = 0; iter < 60; iter++) {
    const key = rnd.bytes(KEY_SIZES[iter % 3]!);
    const a = rnd.bytes(16 + (iter % 40));
    const b = rnd.bytes(16 + ((iter * 7) % 40));
    const e1 = blockCipher("camellia", "cts", "encrypt", key, a);
    const e2 = blockCipher("camellia", "cts", "encrypt", key, b, e1.nextIv);
    assert.is(toHex(e2.output), toHex(refCtsEncrypt(key, e1.nextIv, b).output));
    const d1 = blockCipher("camellia", "cts", "decrypt", key, e1.output);
    const d2 = blockCipher("camellia", "cts", "decrypt", key, e2.output, d1.nextIv);
    assert.is(toHex(d1.output), toHex(a));
    assert.is(toHex(d2.output), toHex(b));
  }
});

test("CBC and CTS work in place (src == dst)", () => {
  const core = getCore();
  const rnd = new Prng(5);
  for (const mode of [1, 2]) {
    for (let len = 16; len <= 96; len += mode === 1 ? 16 : 1) {
      const key = rnd.bytes(KEY_SIZES[len % 3]!);
      const iv = rnd.bytes(16);
      const data = rnd.bytes(len);
      const ref = mode === 1 ? nodeCipher("cbc", "encrypt", key, data, iv) : refCtsEncrypt(key, iv, data).output;
      const mem = core.bytes();
      const k = core.io;
      const v = k + 32;
      const buf = v + 16;
      mem.set(key, k);
      mem.set(iv, v);
      mem.set(data, buf);
      assert.is(core.exports.primCipher(3, mode, 0, k, key.length, v, buf, buf, len), 0);
      assert.is(toHex(core.bytes().slice(buf, buf + len)), toHex(ref));
      core.bytes().set(iv, v);
      assert.is(core.exports.primCipher(3, mode, 1, k, key.length, v, buf, buf, len), 0);
      assert.is(toHex(core.bytes().slice(buf, buf + len)), toHex(data));
    }
  }
});

test("CMAC matches an SP 800-38B CMAC built on OpenSSL Camellia-ECB, lengths 0..200, all key sizes", () => {
  const rnd = new Prng(6);
  for (const ks of KEY_SIZES) {
    for (let len = 0; len <= 200; len++) {
      const key = rnd.bytes(ks);
      const msg = rnd.bytes(len);
      assert.is(toHex(camelliaCmac(key, msg)), toHex(refCmac(key, msg)), `key ${ks}, len ${len}`);
    }
  }
  for (let iter = 0; iter < 300; iter++) {
    const key = rnd.bytes(KEY_SIZES[iter % 3]!);
    const msg = rnd.bytes(rnd.bytes(1)[0]! + (iter % 7) * 16);
    assert.is(toHex(camelliaCmac(key, msg)), toHex(refCmac(key, msg)));
  }
});

// RFC 6803 KDF-FEEDBACK-CMAC (K(0) = zeros, K(i) = CMAC(key, K(i-1) | i | label | 0x00 | k)),
// here only so that the RFC 6803 §10 vectors can check CMAC and CTS end to end at the
// primitive level (the Kerberos layer proper lives elsewhere).
function be32(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}
function derive(key: Uint8Array, usage: number, tag: number): Uint8Array {
  const label = Uint8Array.of(...be32(usage), tag);
  const k = key.length * 8;
  const out: number[] = [];
  let prev: Uint8Array = new Uint8Array(16);
  for (let i = 1; out.length < key.length; i++) {
    prev = camelliaCmac(key, Uint8Array.of(...prev, ...be32(i), ...label, 0, ...be32(k)));
    out.push(...prev);
  }
  return Uint8Array.from(out.slice(0, key.length));
}

test("RFC 6803 §10 vectors via CMAC-based KDF, CTS and CMAC", () => {
  const vectors = JSON.parse(readFileSync(new URL("../vectors/camellia.json", import.meta.url), "utf8")) as Record<string, string | number>[];
  let checked = 0;
  for (const v of vectors) {
    const base = hex(v.base_key as string);
    const usage = v.usage as number;
    if (v.kind === "key-derivation") {
      assert.is(toHex(derive(base, usage, 0x99)), v.Kc);
      assert.is(toHex(derive(base, usage, 0xaa)), v.Ke);
      assert.is(toHex(derive(base, usage, 0x55)), v.Ki);
    } else if (v.kind === "checksum") {
      assert.is(toHex(camelliaCmac(derive(base, usage, 0x99), hex(v.data as string))), v.checksum);
    } else if (v.kind === "encryption") {
      const msg = Uint8Array.of(...hex(v.confounder as string), ...hex(v.plaintext as string));
      const ct = blockCipher("camellia", "cts", "encrypt", derive(base, usage, 0xaa), msg).output;
      const mac = camelliaCmac(derive(base, usage, 0x55), msg);
      assert.is(toHex(ct) + toHex(mac), v.ciphertext);
    } else continue;
    checked++;
  }
  assert.is(checked, vectors.length);
});

test.run();
