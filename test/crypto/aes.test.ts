// AES (assembly/cipher/aes*.ts): FIPS 197 known answers, RFC 3962 CTS vectors, and
// differential tests against node:crypto and @noble/ciphers, for both implementations
// (T-table and constant-time) and for the default behind blockCipher("aes", ...).
import { createCipheriv, createDecipheriv } from "node:crypto";
import { readFileSync } from "node:fs";
import { cbc as nobleCbc, ecb as nobleEcb } from "@noble/ciphers/aes.js";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type AesImpl, aesDefaultImpl, aesWithImpl, blockCipher, type CipherMode } from "../../src/crypto/primitives.ts";
import { getCore } from "../../src/crypto/wasm.ts";

const hex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const IMPLS: AesImpl[] = ["table", "ct"];
const KEY_LENGTHS = [16, 24, 32];

/** Deterministic PRNG (mulberry32) so that every failure reproduces. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    bytes(n: number): Uint8Array {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i += 4) {
        const v = next();
        for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (v >>> (8 * j)) & 0xff;
      }
      return out;
    },
    int(n: number): number {
      return next() % n;
    },
  };
}

function nodeCipher(mode: "ecb" | "cbc", dir: "encrypt" | "decrypt", key: Uint8Array, data: Uint8Array, iv: Uint8Array): Uint8Array {
  const name = `aes-${key.length * 8}-${mode}`;
  const c = dir === "encrypt" ? createCipheriv(name, key, mode === "ecb" ? null : iv) : createDecipheriv(name, key, mode === "ecb" ? null : iv);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

function nobleCipher(mode: "ecb" | "cbc", dir: "encrypt" | "decrypt", key: Uint8Array, data: Uint8Array, iv: Uint8Array): Uint8Array {
  const c = mode === "ecb" ? nobleEcb(key, { disablePadding: true }) : nobleCbc(key, iv, { disablePadding: true });
  return dir === "encrypt" ? c.encrypt(data) : c.decrypt(data);
}

/** RFC 3962 §5 CTS built from node:crypto CBC: CBC over the zero-padded input, swap the last two blocks, truncate. */
function nodeCtsEncrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array): { output: Uint8Array; nextIv: Uint8Array } {
  if (data.length === 16) {
    const out = nodeCipher("cbc", "encrypt", key, data, iv);
    return { output: out, nextIv: out };
  }
  const padded = new Uint8Array(Math.ceil(data.length / 16) * 16);
  padded.set(data);
  const c = nodeCipher("cbc", "encrypt", key, padded, iv);
  const n = c.length;
  const out = new Uint8Array(n);
  out.set(c.subarray(0, n - 32));
  out.set(c.subarray(n - 16), n - 32);
  out.set(c.subarray(n - 32, n - 16), n - 16);
  return { output: out.subarray(0, data.length), nextIv: c.slice(n - 16) };
}

const implName = (impl: AesImpl | "default") => (impl === "default" ? `default(${aesDefaultImpl()})` : impl);

function run(impl: AesImpl | "default", mode: CipherMode, dir: "encrypt" | "decrypt", key: Uint8Array, data: Uint8Array, iv?: Uint8Array) {
  return impl === "default" ? blockCipher("aes", mode, dir, key, data, iv) : aesWithImpl(impl, mode, dir, key, data, iv);
}

test("default implementation is reported", () => {
  assert.ok(["table", "ct"].includes(aesDefaultImpl()));
});

// FIPS 197 Appendix B (cipher example) and Appendix C.1–C.3 (example vectors, all key sizes).
const FIPS197 = [
  { key: "2b7e151628aed2a6abf7158809cf4f3c", pt: "3243f6a8885a308d313198a2e0370734", ct: "3925841d02dc09fbdc118597196a0b32" },
  { key: "000102030405060708090a0b0c0d0e0f", pt: "00112233445566778899aabbccddeeff", ct: "69c4e0d86a7b0430d8cdb78070b4c55a" },
  { key: "000102030405060708090a0b0c0d0e0f1011121314151617", pt: "00112233445566778899aabbccddeeff", ct: "dda97ca4864cdfe06eaf70a0ec0d7191" },
  {
    key: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    pt: "00112233445566778899aabbccddeeff",
    ct: "8ea2b7ca516745bfeafc49904b496089",
  },
];

for (const impl of [...IMPLS, "default"] as const) {
  test(`${implName(impl)}: FIPS 197 appendix B and C known answers`, () => {
    for (const v of FIPS197) {
      assert.is(toHex(run(impl, "ecb", "encrypt", hex(v.key), hex(v.pt)).output), v.ct, `encrypt key ${v.key}`);
      assert.is(toHex(run(impl, "ecb", "decrypt", hex(v.key), hex(v.ct)).output), v.pt, `decrypt key ${v.key}`);
    }
  });

  test(`${implName(impl)}: ECB and CBC match node:crypto and noble, 1..20 blocks, all key sizes`, () => {
    const r = rng(impl === "table" ? 1 : impl === "ct" ? 2 : 3);
    for (const kl of KEY_LENGTHS) {
      for (let blocks = 1; blocks <= 20; blocks++) {
        for (let trial = 0; trial < 12; trial++) {
          const key = r.bytes(kl);
          const iv = r.bytes(16);
          const data = r.bytes(blocks * 16);
          for (const mode of ["ecb", "cbc"] as const) {
            const ctx = `${mode} k${kl} ${blocks} blocks trial ${trial}`;
            const enc = run(impl, mode, "encrypt", key, data, iv);
            const expect = nodeCipher(mode, "encrypt", key, data, iv);
            assert.is(toHex(enc.output), toHex(expect), `encrypt ${ctx}`);
            assert.is(toHex(nobleCipher(mode, "encrypt", key, data, iv)), toHex(expect), `noble encrypt ${ctx}`);
            // decrypt unrelated random data too, so decryption is not only checked on its own output
            const junk = r.bytes(blocks * 16);
            const dec = run(impl, mode, "decrypt", key, junk, iv);
            assert.is(toHex(dec.output), toHex(nodeCipher(mode, "decrypt", key, junk, iv)), `decrypt ${ctx}`);
            assert.is(toHex(dec.output), toHex(nobleCipher(mode, "decrypt", key, junk, iv)), `noble decrypt ${ctx}`);
            assert.is(toHex(run(impl, mode, "decrypt", key, enc.output, iv).output), toHex(data), `round trip ${ctx}`);
            if (mode === "cbc") {
              assert.is(toHex(enc.nextIv), toHex(enc.output.subarray(-16)), `encrypt next IV ${ctx}`);
              assert.is(toHex(dec.nextIv), toHex(junk.subarray(-16)), `decrypt next IV ${ctx}`);
            }
          }
        }
      }
    }
  });

  test(`${implName(impl)}: 64 KiB CBC and ECB match node:crypto`, () => {
    const r = rng(99);
    for (const kl of KEY_LENGTHS) {
      const key = r.bytes(kl);
      const iv = r.bytes(16);
      const data = r.bytes(65536);
      for (const mode of ["ecb", "cbc"] as const) {
        for (const dir of ["encrypt", "decrypt"] as const) {
          assert.is(toHex(run(impl, mode, dir, key, data, iv).output), toHex(nodeCipher(mode, dir, key, data, iv)), `${mode} ${dir} k${kl}`);
        }
      }
    }
  });

  test(`${implName(impl)}: RFC 3962 appendix B CTS vectors, output and next cipher state`, () => {
    const vectors = JSON.parse(readFileSync(new URL("../vectors/aes-cts.json", import.meta.url), "utf8")) as {
      key: string;
      iv: string;
      input: string;
      output: string;
      next_iv: string;
    }[];
    assert.ok(vectors.length >= 6);
    for (const v of vectors) {
      const enc = run(impl, "cts", "encrypt", hex(v.key), hex(v.input), hex(v.iv));
      assert.is(toHex(enc.output), v.output, `encrypt ${v.input.length / 2} bytes`);
      assert.is(toHex(enc.nextIv), v.next_iv, `encrypt next IV ${v.input.length / 2} bytes`);
      const dec = run(impl, "cts", "decrypt", hex(v.key), hex(v.output), hex(v.iv));
      assert.is(toHex(dec.output), v.input, `decrypt ${v.input.length / 2} bytes`);
      assert.is(toHex(dec.nextIv), v.next_iv, `decrypt next IV ${v.input.length / 2} bytes`);
    }
  });

  test(`${implName(impl)}: CTS matches CBC-based reference for lengths 16..80 and edges, with round trips`, () => {
    const r = rng(impl === "table" ? 11 : impl === "ct" ? 12 : 13);
    const lengths = [16, 17, 31, 32, 33, 48, 49, 300, 316, 1000, 4097];
    for (let len = 16; len <= 80; len++) lengths.push(len);
    for (const kl of KEY_LENGTHS) {
      for (const len of lengths) {
        for (let trial = 0; trial < 4; trial++) {
          const key = r.bytes(kl);
          const iv = r.bytes(16);
          const data = r.bytes(len);
          const ctx = `k${kl} len ${len} trial ${trial}`;
          const expect = nodeCtsEncrypt(key, data, iv);
          const enc = run(impl, "cts", "encrypt", key, data, iv);
          assert.is(toHex(enc.output), toHex(expect.output), `encrypt ${ctx}`);
          assert.is(toHex(enc.nextIv), toHex(expect.nextIv), `encrypt next IV ${ctx}`);
          const dec = run(impl, "cts", "decrypt", key, enc.output, iv);
          assert.is(toHex(dec.output), toHex(data), `decrypt ${ctx}`);
          assert.is(toHex(dec.nextIv), toHex(expect.nextIv), `decrypt next IV ${ctx}`);
          // random ciphertext decrypts to what the reference encrypts back to it
          const junk = r.bytes(len);
          const back = nodeCtsEncrypt(key, run(impl, "cts", "decrypt", key, junk, iv).output, iv);
          assert.is(toHex(back.output), toHex(junk), `decrypt random ${ctx}`);
        }
      }
    }
  });

  test(`${implName(impl)}: rejects bad key and data lengths`, () => {
    const k = new Uint8Array(16);
    for (const kl of [0, 8, 15, 17, 20, 31, 33, 64]) {
      assert.throws(() => run(impl, "ecb", "encrypt", new Uint8Array(kl), new Uint8Array(16)), /key/);
    }
    for (const len of [1, 15, 17, 31]) {
      assert.throws(() => run(impl, "ecb", "encrypt", k, new Uint8Array(len)), /cannot process/);
      assert.throws(() => run(impl, "cbc", "decrypt", k, new Uint8Array(len)), /cannot process/);
    }
    for (const len of [0, 1, 15]) assert.throws(() => run(impl, "cts", "encrypt", k, new Uint8Array(len)), /cannot process/);
  });
}

/** Calls the WASM export directly with src == dst, which the facade never does. */
function inPlace(impl: AesImpl | "default", mode: CipherMode, dir: "encrypt" | "decrypt", key: Uint8Array, data: Uint8Array, iv: Uint8Array) {
  const c = getCore();
  const mem = c.bytes();
  const k = c.io;
  const v = c.io + 64;
  const buf = c.io + 128;
  mem.set(key, k);
  mem.set(iv, v);
  mem.set(data, buf);
  const modeId = { ecb: 0, cbc: 1, cts: 2 }[mode];
  const d = dir === "decrypt" ? 1 : 0;
  const st =
    impl === "default"
      ? c.exports.primCipher(1, modeId, d, k, key.length, v, buf, buf, data.length)
      : c.exports.primAesImpl(impl === "ct" ? 1 : 0, modeId, d, k, key.length, v, buf, buf, data.length);
  assert.is(st, 0);
  return { output: mem.slice(buf, buf + data.length), nextIv: mem.slice(v, v + 16) };
}

for (const impl of [...IMPLS, "default"] as const) {
  test(`${implName(impl)}: in-place operation (src == dst) for ECB, CBC and CTS`, () => {
    const r = rng(77);
    for (const kl of KEY_LENGTHS) {
      for (const len of [16, 17, 31, 32, 33, 47, 48, 49, 64, 80, 316, 320, 1024]) {
        const key = r.bytes(kl);
        const iv = r.bytes(16);
        const data = r.bytes(len);
        const modes: CipherMode[] = len % 16 === 0 ? ["ecb", "cbc", "cts"] : ["cts"];
        for (const mode of modes) {
          for (const dir of ["encrypt", "decrypt"] as const) {
            const ref = run(impl, mode, dir, key, data, iv);
            const got = inPlace(impl, mode, dir, key, data, iv);
            assert.is(toHex(got.output), toHex(ref.output), `${mode} ${dir} k${kl} len ${len}`);
            assert.is(toHex(got.nextIv), toHex(ref.nextIv), `${mode} ${dir} next IV k${kl} len ${len}`);
          }
        }
      }
    }
  });
}

test("table and constant-time implementations agree on thousands of random inputs", () => {
  const r = rng(2024);
  for (let i = 0; i < 3000; i++) {
    const key = r.bytes(KEY_LENGTHS[r.int(3)] as number);
    const iv = r.bytes(16);
    const mode = (["ecb", "cbc", "cts"] as const)[r.int(3)] as CipherMode;
    const len = mode === "cts" ? 16 + r.int(100) : 16 * (1 + r.int(8));
    const data = r.bytes(len);
    const dir = r.int(2) ? "decrypt" : "encrypt";
    const a = aesWithImpl("table", mode, dir, key, data, iv);
    const b = aesWithImpl("ct", mode, dir, key, data, iv);
    assert.is(toHex(b.output), toHex(a.output), `${mode} ${dir} len ${len} #${i}`);
    assert.is(toHex(b.nextIv), toHex(a.nextIv), `${mode} ${dir} next IV len ${len} #${i}`);
  }
});

test.run();
