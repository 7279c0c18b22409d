// Worker-thread side of test/crypto/worker.test.ts: loads the same embedded WASM core
// synchronously and answers with a few computations.
import { parentPort, workerData } from "node:worker_threads";
import { encrypt, prf, stringToKey } from "../../src/crypto/kerberos.ts";

const { key, conf, pt } = workerData as { key: Uint8Array; conf: Uint8Array; pt: Uint8Array };
parentPort?.postMessage({
  ct: encrypt(18, key, 39, pt, { confounder: conf }),
  prf: prf(18, key, pt, { aesSha1Prf: "racoon2" }),
  s2k: stringToKey(19, "password", "KINK.TESTkink"),
});
