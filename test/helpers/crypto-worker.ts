// piscina task for test/crypto/worker.test.ts: the worker loads the same embedded WASM core
// synchronously and answers with a few computations.
import { encrypt, prf, stringToKey } from "../../src/crypto/kerberos.ts";

export default function compute({ key, conf, pt }: { key: Uint8Array; conf: Uint8Array; pt: Uint8Array }) {
  return {
    ct: encrypt(18, key, 39, pt, { confounder: conf }),
    prf: prf(18, key, pt, { aesSha1Prf: "racoon2" }),
    s2k: stringToKey(19, "password", "KINK.TESTkink"),
  };
}
