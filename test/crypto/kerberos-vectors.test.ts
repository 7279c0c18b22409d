// Every published vector in test/vectors (copied unchanged from ../shared/vectors):
// RFC 3961 Appendix A (n-fold, DES3 DK and string-to-key), RFC 3962 Appendix B (AES CTS and
// string-to-key), RFC 8009 Appendix A and RFC 6803 §10.
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { enctypeByName } from "../../src/crypto/enctypes.ts";
import { decrypt, deriveKey, encrypt, makeChecksum, prf, randomToKey, stringToKey, verifyChecksum } from "../../src/crypto/kerberos.ts";
import { blockCipher, nfold } from "../../src/crypto/primitives.ts";
import { hex, toHex } from "../helpers/bytes.ts";

type Vec = Record<string, string | number>;
const load = (name: string): Vec[] => JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), "utf8"));
const str = (v: Vec, k: string): string => {
  const x = v[k];
  if (typeof x !== "string") throw new Error(`vector field ${k} missing`);
  return x;
};
const etypeOf = (v: Vec) => {
  const e = enctypeByName(str(v, "enctype"));
  if (e === undefined) throw new Error(`unknown enctype ${v.enctype}`);
  return e;
};
const usageConst = (usage: number, tail: number) => {
  const c = new Uint8Array(5);
  new DataView(c.buffer).setUint32(0, usage);
  c[4] = tail;
  return c;
};

test("RFC 3961 A.1 n-fold", () => {
  const vs = load("nfold.json");
  assert.ok(vs.length >= 10);
  for (const v of vs) assert.is(toHex(nfold(hex(str(v, "input")), Number(v.n_bits) / 8)), str(v, "output"), str(v, "input_text"));
});

test("RFC 3962 B AES-CTS with next cipher state", () => {
  for (const v of load("aes-cts.json")) {
    const r = blockCipher("aes", "cts", "encrypt", hex(str(v, "key")), hex(str(v, "input")), hex(str(v, "iv")));
    assert.is(toHex(r.output), str(v, "output"));
    assert.is(toHex(r.nextIv), str(v, "next_iv"));
    const back = blockCipher("aes", "cts", "decrypt", hex(str(v, "key")), r.output, hex(str(v, "iv")));
    assert.is(toHex(back.output), str(v, "input"));
  }
});

test("RFC 3962 B AES string-to-key", () => {
  const vs = load("aes-string-to-key.json");
  assert.ok(vs.length >= 10);
  for (const v of vs) {
    const key = stringToKey(etypeOf(v).etype, hex(str(v, "password_hex")), hex(str(v, "salt_hex")), hex(str(v, "params")));
    assert.is(toHex(key), str(v, "key"), `${v.enctype} iter ${v.iterations} pw ${v.password}`);
  }
});

test("RFC 3961 A.3 DES3 DR and DK", () => {
  for (const v of load("des3-dk.json")) {
    assert.is(toHex(deriveKey(16, hex(str(v, "key")), hex(str(v, "constant")))), str(v, "dk"));
    assert.is(toHex(randomToKey(16, hex(str(v, "dr")))), str(v, "dk"));
  }
});

test("RFC 3961 A.4 DES3 string-to-key", () => {
  for (const v of load("des3-string-to-key.json")) {
    assert.is(toHex(stringToKey(16, hex(str(v, "password_hex")), hex(str(v, "salt_hex")))), str(v, "key"), str(v, "password"));
  }
});

function kerberosVectors(file: string) {
  const vs = load(file);
  const kinds = new Set<string>();
  for (const v of vs) {
    const e = etypeOf(v);
    const kind = str(v, "kind");
    kinds.add(kind);
    const usage = Number(v.usage);
    if (kind === "string-to-key") {
      assert.is(toHex(stringToKey(e.etype, hex(str(v, "password_hex")), hex(str(v, "salt_hex")), hex(str(v, "params")))), str(v, "key"));
    } else if (kind === "key-derivation") {
      const base = hex(str(v, "base_key"));
      const integrity = e.family === "etm-sha2" ? e.macLength : e.keyLength;
      assert.is(toHex(deriveKey(e.etype, base, usageConst(usage, 0x99), integrity)), str(v, "Kc"), `${e.name} Kc`);
      assert.is(toHex(deriveKey(e.etype, base, usageConst(usage, 0xaa), e.keyLength)), str(v, "Ke"), `${e.name} Ke`);
      assert.is(toHex(deriveKey(e.etype, base, usageConst(usage, 0x55), integrity)), str(v, "Ki"), `${e.name} Ki`);
    } else if (kind === "encryption") {
      const key = hex(str(v, "base_key"));
      const ct = encrypt(e.etype, key, usage, hex(str(v, "plaintext")), { confounder: hex(str(v, "confounder")) });
      assert.is(toHex(ct), str(v, "ciphertext"), `${e.name} encrypt ${v.plaintext}`);
      assert.is(toHex(decrypt(e.etype, key, usage, ct)), str(v, "plaintext"));
    } else if (kind === "checksum") {
      const key = hex(str(v, "base_key"));
      const mac = makeChecksum(e.cksumType, key, usage, hex(str(v, "data")));
      assert.is(toHex(mac), str(v, "checksum"), `${e.name} checksum`);
      assert.ok(verifyChecksum(e.cksumType, key, usage, hex(str(v, "data")), mac));
    } else if (kind === "prf") {
      assert.is(toHex(prf(e.etype, hex(str(v, "key")), hex(str(v, "input")))), str(v, "output"), `${e.name} prf`);
    } else {
      throw new Error(`vector kind ${kind} not handled`);
    }
  }
  return kinds;
}

test("RFC 8009 Appendix A (aes-sha2): string-to-key, derivation, encryption, checksum, PRF", () => {
  const kinds = kerberosVectors("rfc8009.json");
  assert.equal([...kinds].sort(), ["checksum", "encryption", "key-derivation", "prf", "string-to-key"]);
});

test("RFC 6803 §10 (camellia): derivation, encryption, checksum", () => {
  const kinds = kerberosVectors("camellia.json");
  assert.equal([...kinds].sort(), ["checksum", "encryption", "key-derivation"]);
});

test.run();
