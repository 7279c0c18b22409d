// The streaming path of the WASM hashes: a message fed in arbitrary pieces (partial blocks
// carried between updates) hashes like the one-shot call and like node:crypto.
import { createHash } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type HashName, hash, hashChunks } from "../../src/crypto/primitives.ts";
import { Prng } from "../helpers/bytes.ts";

const rng = new Prng(180);
const NODE: Partial<Record<HashName, string>> = { sha1: "sha1", sha256: "sha256", sha384: "sha384", sha512: "sha512", md5: "md5" };

test("random splits give the one-shot digest for every algorithm", () => {
  for (const name of ["sha1", "sha256", "sha384", "sha512", "md5", "md4"] as HashName[]) {
    for (let trial = 0; trial < 60; trial++) {
      const data = rng.bytes(rng.int(1200));
      const parts: Uint8Array[] = [];
      for (let off = 0; off < data.length; ) {
        const n = Math.min(data.length - off, rng.int(trial % 3 === 0 ? 8 : 200));
        parts.push(data.subarray(off, off + n));
        off += n;
      }
      const whole = Buffer.from(hash(name, data));
      assert.equal(Buffer.from(hashChunks(name, parts)), whole, `${name} split into ${parts.length}`);
      const ref = NODE[name];
      if (ref) assert.equal(whole, createHash(ref).update(data).digest());
    }
  }
});

test("inputs larger than the I/O area stream through", () => {
  const big = rng.bytes(3 * 1024 * 1024 + 17);
  assert.equal(Buffer.from(hash("sha256", big)), createHash("sha256").update(big).digest());
  assert.equal(Buffer.from(hash("sha1", big)), createHash("sha1").update(big).digest());
});

test.run();
