// The WASM core loads the same way in a worker thread (as piscina workers will) and gives
// the same bytes as the main thread.
import { Worker } from "node:worker_threads";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { encrypt, prf, stringToKey } from "../../src/crypto/kerberos.ts";
import { Prng } from "../helpers/bytes.ts";

test("a worker thread computes byte-identical results", async () => {
  const rng = new Prng(7);
  const data = { key: rng.bytes(32), conf: rng.bytes(16), pt: rng.bytes(123) };
  const worker = new Worker(new URL("../helpers/crypto-worker.ts", import.meta.url), { workerData: data, execArgv: ["--import", "tsx"] });
  const got = await new Promise<{ ct: Uint8Array; prf: Uint8Array; s2k: Uint8Array }>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  await worker.terminate();
  assert.equal(Buffer.from(got.ct), Buffer.from(encrypt(18, data.key, 39, data.pt, { confounder: data.conf })));
  assert.equal(Buffer.from(got.prf), Buffer.from(prf(18, data.key, data.pt, { aesSha1Prf: "racoon2" })));
  assert.equal(Buffer.from(got.s2k), Buffer.from(stringToKey(19, "password", "KINK.TESTkink")));
});

test.run();
