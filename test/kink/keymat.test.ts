// KEYMAT [RFC 4430 §7]: racoon2's installed ESP keys (20-octet AES-SHA1 PRF), and fixed
// inputs recomputed independently with node:crypto (bench/node-profile.ts) for the library
// PRF readings, including the expansion K2 = prf(K1 | seed), PFS and Nr.
import { createHash } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { nodePrf, nodePrfKey } from "../../bench/node-profile.ts";
import { authAlgorithmByName, encAlgorithmByName } from "../../src/ipsec/algorithms.ts";
import { deriveKeymat, keymatOctets, keymatSeed, splitKeymat } from "../../src/kink/keymat.ts";
import { hex, toHex } from "../helpers/bytes.ts";
import { racoonSession } from "../helpers/kink.ts";
import { knownAnswers } from "../helpers/krb.ts";

const aesCbc = encAlgorithmByName("aes-cbc")!;
const sha1 = authAlgorithmByName("hmac-sha1-96")!;

interface CapturedSa {
  spi: string;
  protocol: number;
  ni: string;
  nr: string;
  seed: string;
  keymat: string;
  enc_key: string;
  auth_key: string;
}

test("racoon2 capture: every installed ESP key pair, from session key, SPI and Ni", () => {
  const sas = (knownAnswers as unknown as { sas: CapturedSa[] }).sas;
  assert.ok(sas.length >= 4);
  for (const sa of sas) {
    const spi = Number.parseInt(sa.spi, 16);
    const input = {
      session: racoonSession,
      protocolId: sa.protocol,
      ni: hex(sa.ni),
      nr: hex(sa.nr),
      aesSha1Prf: "racoon2" as const,
    };
    assert.is(toHex(keymatSeed(input, spi)), sa.seed);
    const need = keymatOctets({ alg: aesCbc, keyBits: 128 }, sha1);
    assert.is(need, 36);
    const [km] = deriveKeymat(input, [spi], need);
    assert.is(toHex(km!), sa.keymat.slice(0, 72));
    const keys = splitKeymat(km!, { alg: aesCbc, keyBits: 128 }, sha1);
    assert.is(toHex(keys.enc!.key), sa.enc_key);
    assert.is(toHex(keys.auth!.key), sa.auth_key);
  }
});

/** KEYMAT recomputed with node:crypto only. */
function nodeKeymat(etype: number, key: Uint8Array, seed: Uint8Array, octets: number): string {
  const k = nodePrfKey(etype, key);
  let block = nodePrf(etype, k, seed);
  let out = Buffer.from(block);
  while (out.length < octets) {
    block = nodePrf(etype, k, Buffer.concat([block, seed]));
    out = Buffer.concat([out, block]);
  }
  return out.subarray(0, octets).toString("hex");
}

test("fixed inputs: KEYMAT equals an independent node:crypto computation (PRF expansion, Nr, PFS)", () => {
  const ni = hex("00112233445566778899aabbccddeeff");
  const nr = hex("ffeeddccbbaa99887766554433221100");
  const dh = createHash("sha512").update("g^xy").digest();
  for (const etype of [17, 18, 19, 20]) {
    const key = new Uint8Array(etype === 17 || etype === 19 ? 16 : 32).map((_, i) => i + etype);
    const session = { etype, key };
    for (const extra of [{}, { nr }, { nr, dhSecret: dh }]) {
      const input = { session, protocolId: 3, ni, ...extra, aesSha1Prf: "rfc3961" as const };
      for (const octets of [36, 64, 100]) {
        // Both directions of a pair in one batch: each from its own SPI's seed.
        const [a, b] = deriveKeymat(input, [0x0a0b0c0d, 0x8000_0102], octets);
        assert.is(toHex(a!), nodeKeymat(etype, key, keymatSeed(input, 0x0a0b0c0d), octets), `etype ${etype} ${octets} octets`);
        assert.is(toHex(b!), nodeKeymat(etype, key, keymatSeed(input, 0x8000_0102), octets), `etype ${etype} ${octets} octets, 2nd SPI`);
      }
    }
  }
});

test("key splitting: salt octets follow the cipher key (AES-GCM 4, AES-CTR 4), AH takes only an auth key", () => {
  const km = new Uint8Array(100).map((_, i) => i);
  const gcm = encAlgorithmByName("aes-gcm-16")!;
  assert.is(keymatOctets({ alg: gcm, keyBits: 256 }, undefined), 36);
  const g = splitKeymat(km, { alg: gcm, keyBits: 256 }, undefined);
  assert.is(g.enc!.key.length, 36);
  assert.is(g.auth, undefined);
  const ctr = encAlgorithmByName("aes-ctr")!;
  const sha256 = authAlgorithmByName("hmac-sha2-256-128")!;
  const c = splitKeymat(km, { alg: ctr, keyBits: 128 }, sha256);
  assert.is(c.enc!.key.length, 20);
  assert.equal(c.auth!.key, km.slice(20, 52));
  const ah = splitKeymat(km, undefined, sha1);
  assert.equal(ah.auth!.key, km.slice(0, 20));
  // The keys are the KEYMAT: zeroing them leaves nothing of it behind.
  c.enc!.key.fill(0);
  c.auth!.key.fill(0);
  assert.ok(km.subarray(0, 52).every((b) => b === 0));
  assert.is(keymatOctets({ alg: encAlgorithmByName("3des-cbc")!, keyBits: 192 }, sha1), 44);
});

test.run();
