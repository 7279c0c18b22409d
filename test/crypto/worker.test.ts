// The WASM core loads the same way in a piscina worker thread as on the main thread, and
// gives the same bytes.
import { Piscina } from "piscina";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { encrypt, prf, stringToKey } from "../../src/crypto/kerberos.ts";
import { Prng } from "../helpers/bytes.ts";

test("a piscina worker computes byte-identical results", async () => {
  const rng = new Prng(7);
  const data = { key: rng.bytes(32), conf: rng.bytes(16), pt: rng.bytes(123) };
  const pool = new Piscina({ filename: new URL("../helpers/crypto-worker.ts", import.meta.url).href, minThreads: 1, maxThreads: 1 });
  try {
    const got = (await pool.run(data)) as { ct: Uint8Array; prf: Uint8Array; s2k: Uint8Array };
    assert.equal(Buffer.from(got.ct), Buffer.from(encrypt(18, data.key, 39, data.pt, { confounder: data.conf })));
    assert.equal(Buffer.from(got.prf), Buffer.from(prf(18, data.key, data.pt, { aesSha1Prf: "racoon2" })));
    assert.equal(Buffer.from(got.s2k), Buffer.from(stringToKey(19, "password", "KINK.TESTkink")));
  } finally {
    await pool.destroy();
  }
});

test.run();
