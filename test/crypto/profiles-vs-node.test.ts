// Differential test of whole profiles: the WASM encrypt/decrypt/checksum/PRF against the same
// profiles rebuilt independently on node:crypto (bench/node-profile.ts, OpenSSL primitives),
// on seeded random keys, usages, confounders and every plaintext length 0..80 plus larger ones.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { NODE_ETYPES, nodeChecksum, nodeDeriveKeys, nodeEncrypt, nodePrf, nodePrfKey } from "../../bench/node-profile.ts";
import { enctype } from "../../src/crypto/enctypes.ts";
import { decrypt, encrypt, makeChecksum, prf } from "../../src/crypto/kerberos.ts";
import { Prng } from "../helpers/bytes.ts";

const rng = new Prng(8009);
const lengths = [...Array.from({ length: 81 }, (_, i) => i), 127, 128, 129, 255, 256, 257, 1000, 1500];

for (const etype of NODE_ETYPES) {
  const e = enctype(etype);
  if (e === undefined) throw new Error("table");
  test(`${e.name}: encrypt, decrypt and checksum match node:crypto for lengths 0..80 and more`, () => {
    for (const len of lengths) {
      const key = rng.bytes(e.keyLength);
      const usage = rng.u32();
      const keys = nodeDeriveKeys(etype, key, usage);
      const pt = rng.bytes(len);
      const conf = rng.bytes(e.confounderLength);
      const ours = encrypt(etype, key, usage, pt, { confounder: conf });
      const ref = nodeEncrypt(etype, keys, conf, pt);
      assert.equal(Buffer.from(ours), ref, `${e.name} encrypt len ${len}`);
      const theirs = nodeEncrypt(etype, keys, rng.bytes(e.confounderLength), pt);
      assert.equal(Buffer.from(decrypt(etype, key, usage, theirs)).subarray(0, len), Buffer.from(pt));
      assert.equal(Buffer.from(makeChecksum(e.cksumType, key, usage, pt)), nodeChecksum(etype, keys.kc, pt));
    }
  });
  if (etype === 17 || etype === 18 || etype === 19 || etype === 20) {
    test(`${e.name}: PRF matches node:crypto`, () => {
      for (let i = 0; i < 100; i++) {
        const key = rng.bytes(e.keyLength);
        const input = rng.bytes(rng.int(200));
        assert.equal(Buffer.from(prf(etype, key, input)), nodePrf(etype, nodePrfKey(etype, key), input));
      }
    });
  }
}

test.run();
