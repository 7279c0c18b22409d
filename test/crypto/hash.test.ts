// Hash family of the WASM core (assembly/hash/): SHA-1, SHA-256/384/512, MD5, MD4, HMAC, PBKDF2.
// Known answers from the specifications, then differential runs against two independent
// oracles (node:crypto and @noble/hashes) over deterministic pseudo-random inputs.
// node's OpenSSL 3 has no MD4 and noble has none either, so MD4 is checked against the
// RFC 1320 suite plus a small reference implementation written from RFC 1320 below.
//
// Run once with KINKD_WASM=debug as well: the debug build keeps bounds assertions.

import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { md5 as nobleMd5, sha1 as nobleSha1 } from "@noble/hashes/legacy.js";
import { pbkdf2 as noblePbkdf2 } from "@noble/hashes/pbkdf2.js";
import { sha256 as nobleSha256, sha384 as nobleSha384, sha512 as nobleSha512 } from "@noble/hashes/sha2.js";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type HashName, hash, hmac, pbkdf2 } from "../../src/crypto/primitives.ts";
import { Prng } from "../helpers/bytes.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "latin1"));

// ---- MD4 reference (RFC 1320 §3), deliberately plain: a second opinion for the unrolled WASM code.

function md4Ref(msg: Uint8Array): Uint8Array {
  const bitLen = msg.length * 8;
  const padded = new Uint8Array((((msg.length + 8) >> 6) + 1) * 64);
  padded.set(msg);
  padded[msg.length] = 0x80;
  const dv = new DataView(padded.buffer);
  dv.setUint32(padded.length - 8, bitLen >>> 0, true);
  dv.setUint32(padded.length - 4, Math.floor(bitLen / 2 ** 32), true);
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  const rotl = (x: number, s: number) => (x << s) | (x >>> (32 - s));
  const f = (x: number, y: number, z: number) => (x & y) | (~x & z);
  const g = (x: number, y: number, z: number) => (x & y) | (x & z) | (y & z);
  const hh = (x: number, y: number, z: number) => x ^ y ^ z;
  const rounds: [(x: number, y: number, z: number) => number, number, number[], number[]][] = [
    [f, 0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [3, 7, 11, 19]],
    [g, 0x5a827999, [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15], [3, 5, 9, 13]],
    [hh, 0x6ed9eba1, [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15], [3, 9, 11, 15]],
  ];
  for (let off = 0; off < padded.length; off += 64) {
    const x = Array.from({ length: 16 }, (_, i) => dv.getUint32(off + 4 * i, true));
    const v = [...h];
    for (const [fn, k, order, shifts] of rounds) {
      for (let i = 0; i < 16; i++) {
        // [a b c d] rotates right one place per step (RFC 1320 §3.4 round listings).
        const a = (4 - (i & 3)) & 3;
        const b = (a + 1) & 3;
        const c = (a + 2) & 3;
        const d = (a + 3) & 3;
        v[a] = rotl((v[a]! + fn(v[b]!, v[c]!, v[d]!) + x[order[i]!]! + k) | 0, shifts[i & 3]!);
      }
    }
    for (let i = 0; i < 4; i++) h[i] = (h[i]! + v[i]!) | 0;
  }
  const out = new Uint8Array(16);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) ov.setUint32(4 * i, h[i]! >>> 0, true);
  return out;
}

function hmacMd4Ref(key: Uint8Array, msg: Uint8Array): Uint8Array {
  const k = key.length > 64 ? md4Ref(key) : key;
  const ipad = new Uint8Array(64 + msg.length);
  const opad = new Uint8Array(64 + 16);
  for (let i = 0; i < 64; i++) {
    const b = k[i] ?? 0;
    ipad[i] = b ^ 0x36;
    opad[i] = b ^ 0x5c;
  }
  ipad.set(msg, 64);
  opad.set(md4Ref(ipad), 64);
  return md4Ref(opad);
}

// ---- Oracles

const ALL: HashName[] = ["sha1", "sha256", "sha384", "sha512", "md5", "md4"];
const BLOCK: Record<HashName, number> = { sha1: 64, sha256: 64, sha384: 128, sha512: 128, md5: 64, md4: 64 };
const NOBLE = { sha1: nobleSha1, sha256: nobleSha256, sha384: nobleSha384, sha512: nobleSha512, md5: nobleMd5 } as const;

/** Expected digests from both oracles (they must agree with each other too). */
function oracleHash(name: HashName, data: Uint8Array): string[] {
  if (name === "md4") return [hex(md4Ref(data))];
  return [createHash(name).update(data).digest("hex"), hex(NOBLE[name](data))];
}

function oracleHmac(name: HashName, key: Uint8Array, data: Uint8Array): string[] {
  if (name === "md4") return [hex(hmacMd4Ref(key, data))];
  return [createHmac(name, key).update(data).digest("hex"), hex(nobleHmac(NOBLE[name], key, data))];
}

function checkHash(name: HashName, data: Uint8Array): void {
  const got = hex(hash(name, data));
  for (const want of oracleHash(name, data)) {
    if (got !== want) assert.unreachable(`${name} of ${data.length} bytes: got ${got}, want ${want}`);
  }
}

function checkHmac(name: HashName, key: Uint8Array, data: Uint8Array): void {
  const got = hex(hmac(name, key, data));
  for (const want of oracleHmac(name, key, data)) {
    if (got !== want) assert.unreachable(`HMAC-${name}, key ${key.length} B, data ${data.length} B: got ${got}, want ${want}`);
  }
}

// ---- Known answers

const ABC448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
const ABC896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

test("SHA-1/SHA-2 known answers (FIPS 180-4 examples)", () => {
  const kat: [HashName, string, string][] = [
    ["sha1", "", "da39a3ee5e6b4b0d3255bfef95601890afd80709"],
    ["sha1", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"],
    ["sha1", ABC448, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"],
    ["sha256", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["sha256", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    ["sha256", ABC448, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"],
    ["sha384", "", "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b"],
    ["sha384", "abc", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"],
    ["sha384", ABC896, "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039"],
    ["sha512", "", "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"],
    ["sha512", "abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"],
    ["sha512", ABC896, "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"],
  ];
  for (const [name, msg, want] of kat) assert.is(hex(hash(name, ascii(msg))), want, `${name}("${msg.slice(0, 8)}...")`);
});

test("one million 'a' (FIPS 180 long message)", () => {
  const a = new Uint8Array(1_000_000).fill(0x61);
  assert.is(hex(hash("sha1", a)), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  assert.is(hex(hash("sha256", a)), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  for (const name of ALL) checkHash(name, a);
});

const RFC_SUITE = [
  "",
  "a",
  "abc",
  "message digest",
  "abcdefghijklmnopqrstuvwxyz",
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
  "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
];

test("MD5 test suite (RFC 1321 appendix A.5)", () => {
  const want = [
    "d41d8cd98f00b204e9800998ecf8427e",
    "0cc175b9c0f1b6a831c399e269772661",
    "900150983cd24fb0d6963f7d28e17f72",
    "f96b697d7cb7938d525a2f31aaf161d0",
    "c3fcd3d76192e4007dfb496cca67e13b",
    "d174ab98d277d9f5a5611c2c9f419d9f",
    "57edf4a22be3c955ac49da2e2107b67a",
  ];
  RFC_SUITE.forEach((m, i) => {
    assert.is(hex(hash("md5", ascii(m))), want[i], `MD5("${m}")`);
  });
});

test("MD4 test suite (RFC 1320 appendix A.5), also for the reference oracle", () => {
  const want = [
    "31d6cfe0d16ae931b73c59d7e0c089c0",
    "bde52cb31de33e46245e05fbdbd6fb24",
    "a448017aaf21d8525fc10ae87aa6729d",
    "d9130a8164549fe818874806e1c7014b",
    "d79e1c308aa5bbcdeea8ed63df412da9",
    "043f8582f241db351ce627e153e7f0e4",
    "e33b4ddc9c38f2199c3e7b164fcc0536",
  ];
  RFC_SUITE.forEach((m, i) => {
    assert.is(hex(md4Ref(ascii(m))), want[i], `reference MD4("${m}")`);
    assert.is(hex(hash("md4", ascii(m))), want[i], `MD4("${m}")`);
  });
});

test("HMAC known answers (RFC 2202, RFC 4231)", () => {
  const jefe = ascii("Jefe");
  const what = ascii("what do ya want for nothing?");
  const hiThere = ascii("Hi There");
  assert.is(hex(hmac("sha1", new Uint8Array(20).fill(0x0b), hiThere)), "b617318655057264e28bc0b6fb378c8ef146be00");
  assert.is(hex(hmac("sha1", jefe, what)), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  assert.is(
    hex(hmac("sha1", new Uint8Array(80).fill(0xaa), ascii("Test Using Larger Than Block-Size Key - Hash Key First"))),
    "aa4ae5e15272d00e95705637ce8a3b55ed402112",
  );
  assert.is(hex(hmac("md5", new Uint8Array(16).fill(0x0b), hiThere)), "9294727a3638bb1c13f48ef8158bfc9d");
  assert.is(hex(hmac("md5", jefe, what)), "750c783e6ab0b503eaa86e310a5db738");
  assert.is(hex(hmac("sha256", jefe, what)), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  assert.is(hex(hmac("sha384", jefe, what)), "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649");
  assert.is(
    hex(hmac("sha512", jefe, what)),
    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
  );
});

test("PBKDF2 known answers (RFC 6070 for HMAC-SHA1; HMAC-SHA256 equivalents)", () => {
  const pw = ascii("password");
  const salt = ascii("salt");
  assert.is(hex(pbkdf2("sha1", pw, salt, 1, 20)), "0c60c80f961f0e71f3a9b524af6012062fe037a6");
  assert.is(hex(pbkdf2("sha1", pw, salt, 2, 20)), "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
  assert.is(hex(pbkdf2("sha1", pw, salt, 4096, 20)), "4b007901b765489abead49d926f721d065a429c1");
  assert.is(
    hex(pbkdf2("sha1", ascii("passwordPASSWORDpassword"), ascii("saltSALTsaltSALTsaltSALTsaltSALTsalt"), 4096, 25)),
    "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038",
  );
  assert.is(hex(pbkdf2("sha1", ascii("pass\0word"), ascii("sa\0lt"), 4096, 16)), "56fa6aa75548099dcc37d7f03425e0c3");
  assert.is(hex(pbkdf2("sha256", pw, salt, 1, 32)), "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
  assert.is(hex(pbkdf2("sha256", pw, salt, 4096, 32)), "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
});

// ---- Differential

const BOUNDARIES = [55, 56, 57, 63, 64, 65, 111, 112, 113, 119, 120, 127, 128, 129, 191, 192, 255, 256, 257];

test("hash: every length 0..300 and block boundaries, against node:crypto and noble", () => {
  const rnd = new Prng(0x5eed0001);
  for (const name of ALL) {
    for (let len = 0; len <= 300; len++) checkHash(name, rnd.bytes(len));
    for (const len of BOUNDARIES) {
      checkHash(name, rnd.bytes(len));
      checkHash(name, new Uint8Array(len).fill(0xff));
    }
  }
});

test("hash: random lengths up to 4 KiB and large inputs (10 kB, 100 kB)", () => {
  const rnd = new Prng(0x5eed0002);
  for (let i = 0; i < 600; i++) {
    const name = ALL[i % ALL.length]!;
    checkHash(name, rnd.bytes(rnd.int(4097)));
  }
  for (const len of [10_000, 10_240, 100_000, 102_400 + 17]) {
    const data = rnd.bytes(len);
    for (const name of ALL) checkHash(name, data);
  }
});

test("HMAC: key lengths 0..200 (long keys hashed first), against node:crypto and noble", () => {
  const rnd = new Prng(0x5eed0003);
  for (const name of ALL) {
    for (let kl = 0; kl <= 200; kl++) {
      const dl = kl % 3 === 0 ? rnd.int(301) : BOUNDARIES[kl % BOUNDARIES.length]!;
      checkHmac(name, rnd.bytes(kl), rnd.bytes(dl));
    }
    // Keys exactly at, just under and just over the block size, with every length class of data.
    const bl = BLOCK[name];
    for (const kl of [bl - 1, bl, bl + 1]) {
      for (const dl of [0, 1, 20, 55, 56, 64, 111, 112, 128, 316, 1000]) checkHmac(name, rnd.bytes(kl), rnd.bytes(dl));
    }
  }
});

test("HMAC: random keys and messages", () => {
  const rnd = new Prng(0x5eed0004);
  for (let i = 0; i < 1200; i++) {
    const name = ALL[i % ALL.length]!;
    checkHmac(name, rnd.bytes(rnd.int(301)), rnd.bytes(rnd.int(2001)));
  }
});

const KDF_NOBLE = { sha1: nobleSha1, sha256: nobleSha256, sha384: nobleSha384 } as const;

test("PBKDF2: random passwords, salts, iterations 1..3000 and dkLen 1..100", () => {
  const rnd = new Prng(0x5eed0005);
  for (const name of ["sha1", "sha256", "sha384"] as const) {
    for (let i = 0; i < 40; i++) {
      const pw = rnd.bytes(rnd.int(201));
      // Salt lengths near a block boundary make S || INT(i) straddle two blocks.
      const saltLen = i < 8 ? BLOCK[name] - 8 + i : rnd.int(81);
      const salt = rnd.bytes(saltLen);
      const iter = i < 10 ? i + 1 : 1 + rnd.int(3000);
      const dkLen = 1 + rnd.int(100);
      const got = hex(pbkdf2(name, pw, salt, iter, dkLen));
      assert.is(got, pbkdf2Sync(pw, salt, iter, dkLen, name).toString("hex"), `node: ${name} pw ${pw.length} salt ${saltLen} c ${iter} dkLen ${dkLen}`);
      if (i % 4 === 0) {
        assert.is(got, hex(noblePbkdf2(KDF_NOBLE[name], pw, salt, { c: iter, dkLen })), `noble: ${name} c ${iter} dkLen ${dkLen}`);
      }
    }
  }
});

test("PBKDF2: Kerberos-sized runs (RFC 3962 default 4096, RFC 8009 default 32768)", () => {
  const pw = ascii("password");
  const salt = ascii("ATHENA.MIT.EDUraeburn");
  assert.is(hex(pbkdf2("sha1", pw, salt, 4096, 32)), pbkdf2Sync(pw, salt, 4096, 32, "sha1").toString("hex"));
  assert.is(hex(pbkdf2("sha256", pw, salt, 32768, 32)), pbkdf2Sync(pw, salt, 32768, 32, "sha256").toString("hex"));
  assert.is(hex(pbkdf2("sha384", pw, salt, 32768, 48)), pbkdf2Sync(pw, salt, 32768, 48, "sha384").toString("hex"));
});

test.run();
