// The RFC 3961 library API: round trips for every enctype over many usages and lengths,
// tamper detection on every bit, typed errors for bad arguments, and the two AES-SHA1
// PRF readings against an independent construction on node:crypto.
import { createCipheriv, createHash } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { nfold } from "../../bench/node-profile.ts";
import { CKSUMTYPES, ENCTYPES, enctype, enctypeByName } from "../../src/crypto/enctypes.ts";
import { CryptoError, IntegrityError } from "../../src/crypto/errors.ts";
import { decrypt, encrypt, makeChecksum, prf, randomToKey, stringToKey, verifyChecksum } from "../../src/crypto/kerberos.ts";
import { Prng } from "../helpers/bytes.ts";

const rng = new Prng(3961);
const LENGTHS = [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 100, 300, 1000, 2000];

function throwsCode(fn: () => unknown, code: string) {
  try {
    fn();
  } catch (e) {
    assert.instance(e, CryptoError);
    assert.is((e as CryptoError).code, code);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test("enctype table is consistent with the checksum table", () => {
  assert.is(ENCTYPES.length, 8);
  for (const e of ENCTYPES) {
    const c = CKSUMTYPES.find((x) => x.cksumType === e.cksumType);
    assert.ok(c, `${e.name} has its checksum type`);
    assert.is(c?.etype, e.etype);
    assert.is(c?.length, e.macLength);
    assert.is(enctypeByName(e.name.toUpperCase()), e);
    for (const a of e.aliases) assert.is(enctypeByName(a), e);
  }
  assert.ok(Object.isFrozen(ENCTYPES) && Object.isFrozen(ENCTYPES[0]));
  assert.ok(enctype(16)?.deprecated && enctype(23)?.deprecated && !enctype(18)?.deprecated);
});

test("round trip for every enctype, many usages and lengths; sizes as the profile says", () => {
  for (const e of ENCTYPES) {
    const key = rng.bytes(e.keyLength);
    for (const usage of [0, 1, 2, 3, 11, 12, 23, 39, 40, 1024, 0xffffffff]) {
      for (const len of LENGTHS) {
        const pt = rng.bytes(len);
        const ct = encrypt(e.etype, key, usage, pt);
        const expectLen = e.etype === 16 ? ((8 + len + 7) & ~7) + 20 : e.confounderLength + len + e.macLength;
        assert.is(ct.length, expectLen, `${e.name} ct length for ${len}`);
        const back = decrypt(e.etype, key, usage, ct);
        // DES3 returns the zero block padding (RFC 3961 leaves its removal to the caller).
        assert.equal(Buffer.from(back.subarray(0, len)), Buffer.from(pt));
        if (e.etype !== 16) assert.is(back.length, len);
      }
    }
  }
});

test("results are plain Uint8Arrays whose slice() copies (no aliasing between results)", () => {
  const key = rng.bytes(16);
  const a = makeChecksum(15, key, 1, rng.bytes(10));
  const b = encrypt(17, key, 1, rng.bytes(10));
  assert.is(Object.getPrototypeOf(a), Uint8Array.prototype);
  assert.is(Object.getPrototypeOf(b), Uint8Array.prototype);
  const copy = a.slice();
  copy[0] = (copy[0] as number) ^ 0xff;
  assert.is.not(copy[0], a[0]);
  const before = Buffer.from(a).toString("hex");
  b.fill(0);
  assert.is(Buffer.from(a).toString("hex"), before);
});

test("a fresh confounder each time; a fixed confounder is deterministic", () => {
  for (const e of ENCTYPES) {
    const key = rng.bytes(e.keyLength);
    const pt = rng.bytes(40);
    assert.not.equal(Buffer.from(encrypt(e.etype, key, 5, pt)), Buffer.from(encrypt(e.etype, key, 5, pt)));
    const conf = rng.bytes(e.confounderLength);
    assert.equal(Buffer.from(encrypt(e.etype, key, 5, pt, { confounder: conf })), Buffer.from(encrypt(e.etype, key, 5, pt, { confounder: conf })));
  }
});

test("every single-bit flip of a ciphertext fails integrity; wrong key or usage fails", () => {
  for (const e of ENCTYPES) {
    const key = rng.bytes(e.keyLength);
    const pt = rng.bytes(37);
    const ct = encrypt(e.etype, key, 39, pt);
    for (let bit = 0; bit < ct.length * 8; bit++) {
      const bad = ct.slice();
      bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
      try {
        decrypt(e.etype, key, 39, bad);
        assert.unreachable(`${e.name}: flipped bit ${bit} accepted`);
      } catch (err) {
        assert.instance(err, IntegrityError);
        assert.is((err as IntegrityError).krbCode, 31);
      }
    }
    throwsCode(() => decrypt(e.etype, key, 40, ct), "CRYPTO_INTEGRITY");
    const other = key.slice();
    other[0] = (other[0] as number) ^ 0x80;
    throwsCode(() => decrypt(e.etype, other, 39, ct), "CRYPTO_INTEGRITY");
  }
});

test("checksums: deterministic, verified, and every bit flip of data or MAC rejected", () => {
  for (const c of CKSUMTYPES) {
    const e = enctype(c.etype);
    if (e === undefined) throw new Error("table");
    const key = rng.bytes(e.keyLength);
    for (const len of [0, 1, 63, 64, 65, 300, 1000]) {
      const data = rng.bytes(len);
      const mac = makeChecksum(c.cksumType, key, 40, data);
      assert.is(mac.length, c.length);
      assert.equal(Buffer.from(makeChecksum(c.cksumType, key, 40, data)), Buffer.from(mac));
      assert.ok(verifyChecksum(c.cksumType, key, 40, data, mac));
      assert.not.ok(verifyChecksum(c.cksumType, key, 41, data, mac), `${c.name}: other usage`);
      assert.not.ok(verifyChecksum(c.cksumType, key, 40, data, mac.subarray(0, mac.length - 1)), `${c.name}: short MAC`);
      for (let bit = 0; bit < mac.length * 8; bit++) {
        const bad = mac.slice();
        bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
        assert.not.ok(verifyChecksum(c.cksumType, key, 40, data, bad));
      }
      if (len > 0 && len <= 64) {
        for (let bit = 0; bit < len * 8; bit++) {
          const bad = data.slice();
          bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
          assert.not.ok(verifyChecksum(c.cksumType, key, 40, bad, mac));
        }
      }
    }
  }
});

// Independent AES-SHA1 PRF on node:crypto (RFC 3961 §5.3 with RFC 3962's DK): DK(key,"prf") via
// n-fold("prf") = the 16-octet block below encrypted under the base key (iterated for AES-256).
function oraclePrfAesSha1(key: Uint8Array, input: Uint8Array, variant: "rfc3961" | "racoon2"): Buffer {
  const alg = key.length === 16 ? "aes-128-ecb" : "aes-256-ecb";
  const ecb = (k: Uint8Array, block: Uint8Array) => {
    const c = createCipheriv(alg, k, null).setAutoPadding(false);
    return Buffer.concat([c.update(block), c.final()]);
  };
  const folded = nfold(Buffer.from("prf"), 16); // the independent oracle n-fold of bench/node-profile.ts
  const k1 = ecb(key, folded);
  const dk = key.length === 16 ? k1 : Buffer.concat([k1, ecb(key, k1)]);
  const h = createHash("sha1").update(input).digest();
  if (variant === "rfc3961") return ecb(dk, h.subarray(0, 16));
  // CTS on 20 octets (RFC 3962): C1 = E(H[0..16]); C2 = E(C1 xor (H[16..20] | 0^12)); output C2 | C1[0..4].
  const c1 = ecb(dk, h.subarray(0, 16));
  const x = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) x[i] = (c1[i] as number) ^ (i < 4 ? (h[16 + i] as number) : 0);
  return Buffer.concat([ecb(dk, x), c1.subarray(0, 4)]);
}

test("AES-SHA1 PRF: RFC 3961 (16 octets, default) and racoon2 (20 octets) readings against node:crypto", () => {
  for (const etype of [17, 18]) {
    for (let i = 0; i < 50; i++) {
      const key = rng.bytes(etype === 17 ? 16 : 32);
      const input = rng.bytes(rng.int(100));
      const def = prf(etype, key, input);
      assert.is(def.length, 16);
      assert.equal(Buffer.from(def), oraclePrfAesSha1(key, input, "rfc3961"));
      assert.equal(Buffer.from(prf(etype, key, input, { aesSha1Prf: "rfc3961" })), Buffer.from(def));
      const r2 = prf(etype, key, input, { aesSha1Prf: "racoon2" });
      assert.is(r2.length, 20);
      assert.equal(Buffer.from(r2), oraclePrfAesSha1(key, input, "racoon2"));
      // racoon2's output ends with the first 4 octets of the RFC 3961 output (kink.md §5.4).
      assert.equal(Buffer.from(r2.subarray(16)), Buffer.from(def.subarray(0, 4)));
    }
  }
});

test("PRF lengths and determinism for every enctype", () => {
  for (const e of ENCTYPES) {
    const key = rng.bytes(e.keyLength);
    const a = prf(e.etype, key, new Uint8Array([1, 2, 3]));
    assert.is(a.length, e.prfLength);
    assert.equal(Buffer.from(prf(e.etype, key, new Uint8Array([1, 2, 3]))), Buffer.from(a));
    assert.not.equal(Buffer.from(prf(e.etype, key, new Uint8Array([1, 2, 4]))), Buffer.from(a));
  }
});

test("rc4-hmac string-to-key is MD4 of the UTF-16LE password (the NT hash)", () => {
  // The NT hash of "password" is a widely published value.
  assert.is(Buffer.from(stringToKey(23, "password", "ignored")).toString("hex"), "8846f7eaee8fb117ad06bdd830b7586c");
});

test("random-to-key: DES3 sets odd parity in every octet; others are the identity", () => {
  for (let i = 0; i < 200; i++) {
    const k = randomToKey(16, rng.bytes(21));
    for (const b of k) assert.is((b.toString(2).split("1").length - 1) % 2, 1);
  }
  const r = rng.bytes(32);
  assert.equal(Buffer.from(randomToKey(18, r)), Buffer.from(r));
});

test("bad arguments throw typed errors, never a WASM trap", () => {
  const k16 = rng.bytes(16);
  throwsCode(() => encrypt(99, k16, 1, new Uint8Array(4)), "CRYPTO_UNKNOWN_ENCTYPE");
  throwsCode(() => encrypt(17, rng.bytes(15), 1, new Uint8Array(4)), "CRYPTO_BAD_KEY_LENGTH");
  throwsCode(() => encrypt(18, k16, 1, new Uint8Array(4)), "CRYPTO_BAD_KEY_LENGTH");
  throwsCode(() => encrypt(17, k16, -1, new Uint8Array(4)), "CRYPTO_BAD_ARGUMENT");
  throwsCode(() => encrypt(17, k16, 1.5, new Uint8Array(4)), "CRYPTO_BAD_ARGUMENT");
  throwsCode(() => encrypt(17, k16, 1, new Uint8Array(4), { confounder: new Uint8Array(3) }), "CRYPTO_BAD_ARGUMENT");
  throwsCode(() => encrypt(17, k16, 1, new Uint8Array(1 << 20)), "CRYPTO_BAD_LENGTH");
  for (const e of ENCTYPES) {
    const key = rng.bytes(e.keyLength);
    for (let n = 0; n < e.confounderLength + e.macLength; n++) throwsCode(() => decrypt(e.etype, key, 1, rng.bytes(n)), "CRYPTO_BAD_LENGTH");
  }
  throwsCode(() => decrypt(16, rng.bytes(24), 1, rng.bytes(8 + 20 + 3)), "CRYPTO_BAD_LENGTH");
  throwsCode(() => makeChecksum(7, k16, 1, new Uint8Array(1)), "CRYPTO_UNKNOWN_CKSUMTYPE");
  throwsCode(() => makeChecksum(16, k16, 1, new Uint8Array(1)), "CRYPTO_BAD_KEY_LENGTH");
  throwsCode(() => prf(17, k16, new Uint8Array(1), { aesSha1Prf: "other" as "rfc3961" }), "CRYPTO_BAD_ARGUMENT");
  throwsCode(() => stringToKey(17, "pw", "salt", new Uint8Array([0, 0, 0, 0])), "CRYPTO_BAD_ARGUMENT");
  throwsCode(() => stringToKey(17, "pw", "salt", new Uint8Array([0, 0, 1])), "CRYPTO_BAD_ARGUMENT");
  throwsCode(() => stringToKey(16, "pw", "salt", new Uint8Array([0, 0, 0, 1])), "CRYPTO_BAD_ARGUMENT");
  throwsCode(() => randomToKey(16, rng.bytes(24)), "CRYPTO_BAD_LENGTH");
  throwsCode(() => encrypt(17, k16, 1, "text" as unknown as Uint8Array), "CRYPTO_BAD_ARGUMENT");
  throwsCode(() => decrypt(17, k16, 1, [1, 2, 3] as unknown as Uint8Array), "CRYPTO_BAD_ARGUMENT");
  throwsCode(() => verifyChecksum(15, k16, 1, new Uint8Array(1), null as unknown as Uint8Array), "CRYPTO_BAD_ARGUMENT");
});

test.run();
