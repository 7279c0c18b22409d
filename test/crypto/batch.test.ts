// The batch entry point gives byte-identical results to single calls, reports failures per
// operation, and guards its arena (capacity, one batch at a time).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CryptoBatch } from "../../src/crypto/batch.ts";
import { ENCTYPES } from "../../src/crypto/enctypes.ts";
import { CryptoError, IntegrityError } from "../../src/crypto/errors.ts";
import { decrypt, encrypt, makeChecksum, prf, verifyChecksum } from "../../src/crypto/kerberos.ts";
import { SlotCache } from "../../src/crypto/key-slots.ts";
import { Prng } from "../helpers/bytes.ts";

const rng = new Prng(64);
const buf = (b: Uint8Array) => Buffer.from(b);

test("a mixed batch of every operation and enctype equals the single calls", () => {
  const b = new CryptoBatch();
  const expect: Array<(i: number) => void> = [];
  for (const e of ENCTYPES) {
    for (let n = 0; n < 6; n++) {
      const key = rng.bytes(e.keyLength);
      const usage = rng.int(64);
      const pt = rng.bytes(rng.int(700));
      const conf = rng.bytes(e.confounderLength);
      const ct = encrypt(e.etype, key, usage, pt, { confounder: conf });
      const mac = makeChecksum(e.cksumType, key, usage, pt);
      const i1 = b.encrypt(e.etype, key, usage, pt, conf);
      const i2 = b.decrypt(e.etype, key, usage, ct);
      const i3 = b.checksum(e.cksumType, key, usage, pt);
      const i4 = b.verify(e.cksumType, key, usage, pt, mac);
      const bad = mac.slice();
      bad[0] = (bad[0] as number) ^ 1;
      const i5 = b.verify(e.cksumType, key, usage, pt, bad);
      const i6 = b.prf(e.etype, key, pt.subarray(0, 40));
      const i7 = b.prf(e.etype, key, pt.subarray(0, 40), "racoon2");
      expect.push(() => {
        assert.equal(buf(b.output(i1)), buf(ct));
        assert.equal(buf(b.output(i2)), buf(decrypt(e.etype, key, usage, ct)));
        assert.equal(buf(b.output(i3)), buf(mac));
        assert.ok(b.verified(i4));
        assert.not.ok(b.verified(i5));
        assert.equal(buf(b.output(i6)), buf(prf(e.etype, key, pt.subarray(0, 40))));
        assert.equal(buf(b.output(i7)), buf(prf(e.etype, key, pt.subarray(0, 40), { aesSha1Prf: "racoon2" })));
      });
    }
  }
  // Single calls above ran before the batch; the batch must not depend on their state.
  assert.is(b.run(), ENCTYPES.length * 6); // exactly the deliberately bad verifies fail
  for (const f of expect) f(0);
});

test("random confounders in a batch decrypt correctly; a tampered item fails alone", () => {
  const e = ENCTYPES.find((x) => x.etype === 17);
  if (!e) throw new Error("table");
  const key = rng.bytes(16);
  const pts = Array.from({ length: 50 }, () => rng.bytes(rng.int(500)));
  const enc = new CryptoBatch();
  const idx = pts.map((p) => enc.encrypt(17, key, 39, p));
  assert.is(enc.run(), 0);
  const cts = idx.map((i) => enc.output(i));
  (cts[7] as Uint8Array)[20] = ((cts[7] as Uint8Array)[20] as number) ^ 0x40;
  const dec = new CryptoBatch();
  const di = cts.map((c) => dec.decrypt(17, key, 39, c));
  assert.is(dec.run(), 1);
  for (let i = 0; i < pts.length; i++) {
    if (i === 7) {
      assert.throws(
        () => dec.output(di[i] as number),
        (err: unknown) => err instanceof IntegrityError,
      );
    } else {
      assert.equal(buf(dec.output(di[i] as number)), buf(pts[i] as Uint8Array));
    }
  }
});

test("a batch runs once, a newer batch supersedes an older one, and a full batch says so", () => {
  const key = rng.bytes(16);
  const a = new CryptoBatch();
  a.encrypt(17, key, 1, rng.bytes(10));
  const b = new CryptoBatch();
  assert.throws(
    () => a.run(),
    (e: unknown) => e instanceof CryptoError && /superseded/.test(e.message),
  );
  b.encrypt(17, key, 1, rng.bytes(10));
  assert.is(b.run(), 0);
  assert.throws(
    () => b.run(),
    (e: unknown) => e instanceof CryptoError && /already run/.test(e.message),
  );
  assert.throws(
    () => b.output(5),
    (e: unknown) => e instanceof CryptoError,
  );
  const c = new CryptoBatch();
  let n = 0;
  try {
    for (;;) {
      c.decrypt(17, key, 1, new Uint8Array(60000));
      n++;
    }
  } catch (e) {
    assert.instance(e, CryptoError);
    assert.is((e as CryptoError).code, "CRYPTO_CAPACITY");
  }
  assert.ok(n > 4 && n < 20);
  assert.is(c.run(), n); // all-zero ciphertexts fail integrity, each one
});

test("a workspace sealed in place (two encryptions, then a checksum over both) equals the single calls, every enctype", () => {
  for (const e of ENCTYPES) {
    for (let n = 0; n < 4; n++) {
      const key = rng.bytes(e.keyLength);
      const p1 = rng.bytes(rng.int(60));
      const p2 = rng.bytes(rng.int(400));
      const c1 = encrypt(e.etype, key, 12, p1, { confounder: rng.bytes(e.confounderLength) });
      const c2 = encrypt(e.etype, key, 39, p2, { confounder: rng.bytes(e.confounderLength) });
      const conf1 = rng.bytes(e.confounderLength);
      const conf2 = rng.bytes(e.confounderLength);
      const ct1 = encrypt(e.etype, key, 12, p1, { confounder: conf1 });
      const ct2 = encrypt(e.etype, key, 39, p2, { confounder: conf2 });
      // head | room for ct1 | middle | room for ct2 | room for the MAC over everything before it
      const head = 1 + rng.int(40);
      const mid = rng.int(9);
      const macAt = head + c1.length + mid + c2.length;
      const macLen = makeChecksum(e.cksumType, key, 40, p1).length;
      const template = rng.bytes(macAt + macLen);
      template.fill(0, head, head + c1.length);
      template.fill(0, head + c1.length + mid, macAt);
      const expect = template.slice();
      expect.set(ct1, head);
      expect.set(ct2, head + c1.length + mid);
      expect.set(makeChecksum(e.cksumType, key, 40, expect.subarray(0, macAt)), macAt);

      const b = new CryptoBatch();
      const at = b.workspace(template);
      const i1 = b.encryptInto(e.etype, key, 12, p1, at + head, conf1);
      const i2 = b.encryptInto(e.etype, key, 39, p2, at + head + c1.length + mid, conf2);
      const i3 = b.checksumInto(e.cksumType, key, 40, at, macAt, at + macAt);
      assert.is(b.run(), 0);
      assert.equal(buf(b.view(at, template.length)), buf(expect), e.name);
      assert.equal(buf(b.output(i1)), buf(ct1));
      assert.equal(buf(b.output(i2)), buf(ct2));
      assert.is(b.status(i3), macLen);
    }
  }
});

test("operations in place stay inside their batch's workspaces", () => {
  const key = rng.bytes(16);
  const b = new CryptoBatch();
  const at = b.workspace(new Uint8Array(100));
  const refused = (f: () => unknown) =>
    assert.throws(f, (e: unknown) => e instanceof CryptoError && e.code === "CRYPTO_BAD_ARGUMENT" && /workspace/.test(e.message));
  // 10 octets encrypt to 16 + 10 + 12 with aes128-cts-hmac-sha1-96.
  b.encryptInto(17, key, 39, rng.bytes(10), at + 62);
  refused(() => b.encryptInto(17, key, 39, rng.bytes(10), at + 63));
  refused(() => b.encryptInto(17, key, 39, rng.bytes(10), at - 1));
  refused(() => b.checksumInto(15, key, 40, at, 88, at + 89));
  refused(() => b.checksumInto(15, key, 40, at, 101, at + 88));
  refused(() => b.checksumInto(15, key, 40, at + 50, -1, at));
  b.checksumInto(15, key, 40, at, 88, at + 88);
  refused(() => b.view(at, 101));
  assert.is(b.run(), 0);
  assert.is(b.view(at, 100).length, 100);
  new CryptoBatch();
  assert.throws(
    () => b.view(at, 100),
    (e: unknown) => e instanceof CryptoError && /overwritten/.test(e.message),
  );
});

test("slot cache: evicts under pressure, never a pinned slot, and release zeroes a key's slots", () => {
  const cache = new SlotCache({ capacity: 16 });
  const keys = Array.from({ length: 40 }, () => rng.bytes(16));
  const pinnedKey = keys[0] as Uint8Array;
  const pinned = cache.slot(17, pinnedKey, 5);
  cache.pin(pinned);
  for (const k of keys.slice(1)) cache.slot(17, k, 5);
  assert.ok(cache.evictions > 0);
  assert.is(cache.slot(17, pinnedKey, 5), pinned, "pinned slot kept");
  assert.ok(cache.size <= 16);
  cache.unpin(pinned);
  const before = cache.misses;
  cache.slot(17, keys[39] as Uint8Array, 5);
  assert.is(cache.misses, before, "recent key still cached");
  cache.release(keys[39] as Uint8Array);
  cache.slot(17, keys[39] as Uint8Array, 5);
  assert.is(cache.misses, before + 1, "released key derived again");
  assert.throws(
    () => new SlotCache({ capacity: 3 }),
    (e: unknown) => e instanceof CryptoError,
  );
});

test("slot cache: under churn (evictions, releases, shared probe runs) every slot serves its own key", () => {
  const cache = new SlotCache({ capacity: 16 });
  const keys = Array.from({ length: 40 }, () => rng.bytes(16));
  const plaintext = rng.bytes(20);
  for (let step = 0; step < 300; step++) {
    const key = keys[rng.int(keys.length)] as Uint8Array;
    const usage = 1 + rng.int(3);
    if (rng.int(10) === 0) {
      cache.release(key);
      continue;
    }
    const slot = cache.slot(17, key, usage);
    const hits = cache.hits;
    assert.is(cache.slot(17, key, usage), slot, "an immediate repeat finds the same slot");
    assert.is(cache.hits, hits + 1);
    assert.ok(cache.size <= 16);
    // What the slot encrypts, the key (derived afresh by the default cache) decrypts.
    const b = new CryptoBatch(cache);
    const op = b.encrypt(17, key, usage, plaintext);
    b.run();
    assert.equal(buf(decrypt(17, key.slice(), usage, b.output(op))), buf(plaintext));
  }
  assert.ok(cache.evictions > 0);
});

test("slot caches on one core own disjoint slots: one's derivations never overwrite another's", () => {
  const a = new SlotCache({ capacity: 16 });
  const b = new SlotCache({ capacity: 16 });
  const key = rng.bytes(32);
  const slot = a.slot(18, key, 40);
  for (let i = 0; i < 40; i++) assert.is.not(b.slot(18, rng.bytes(32), 40), slot);
  // a still trusts its slot (a hit), and the slot still holds a's derivation.
  const plaintext = rng.bytes(30);
  const batch = new CryptoBatch(a);
  const op = batch.encrypt(18, key, 40, plaintext);
  batch.run();
  assert.equal(buf(decrypt(18, key.slice(), 40, batch.output(op))), buf(plaintext));
});

test("verifyChecksum equals the batch verify on random data (constant-time path is the same)", () => {
  const key = rng.bytes(32);
  for (let i = 0; i < 20; i++) {
    const d = rng.bytes(rng.int(300));
    const m = makeChecksum(16, key, 40, d);
    const b = new CryptoBatch();
    const j = b.verify(16, key, 40, d, m);
    b.run();
    assert.is(b.verified(j), verifyChecksum(16, key, 40, d, m));
  }
});

/** prf+ spelled out with single prf calls: K1 = prf(seed), Kn = prf(K(n-1) | seed) [RFC 4430 §7]. */
function prfPlusBySteps(etype: number, key: Uint8Array, seed: Uint8Array, octets: number, variant: "rfc3961" | "racoon2"): Uint8Array {
  const out: number[] = [];
  let block = prf(etype, key, seed, { aesSha1Prf: variant });
  for (;;) {
    out.push(...block);
    if (out.length >= octets) return Uint8Array.from(out.slice(0, octets));
    block = prf(etype, key, Uint8Array.from([...block, ...seed]), { aesSha1Prf: variant });
  }
}

test("prf+ in one operation equals the chained single prf calls, every enctype, both AES-SHA1 readings", () => {
  const b = new CryptoBatch();
  const checks: (() => void)[] = [];
  for (const e of ENCTYPES) {
    for (const variant of ["rfc3961", "racoon2"] as const) {
      for (const octets of [1, 16, 20, 36, 52, 100]) {
        const key = rng.bytes(e.keyLength);
        const seed = rng.bytes(5 + rng.int(300));
        const i = b.prfPlus(e.etype, key, seed, octets, variant);
        checks.push(() => assert.equal(buf(b.output(i)), buf(prfPlusBySteps(e.etype, key, seed, octets, variant)), `${e.name} ${variant} ${octets}`));
      }
    }
  }
  assert.is(b.run(), 0);
  for (const c of checks) c();
  for (const bad of [0, -1, 1025, 2.5]) {
    assert.throws(
      () => new CryptoBatch().prfPlus(17, rng.bytes(16), rng.bytes(20), bad),
      (e: unknown) => e instanceof CryptoError,
      `octets ${bad}`,
    );
  }
});

test.run();
