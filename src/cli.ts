// `npm start`: the kinkd command. The daemon itself (KINK engine, sockets, XFRM) lands with
// the protocol issues; until then this checks the embedded crypto core on its known answers
// and says so plainly.

import { decrypt, encrypt, prf } from "./index.ts";

function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "hex"));
}

// RFC 8009 Appendix A: aes128-cts-hmac-sha256-128, usage 2, 6-octet plaintext.
const key = hex("3705d96080c17728a0e800eab6e0d23c");
const ct = encrypt(19, key, 2, hex("000102030405"), { confounder: hex("7bca285e2fd4130fb55b1a5c83bc5b24") });
const expected = "84d7f30754ed987bab0bf3506beb09cfb55402cef7e6877ce99e247e52d16ed4421dfdf8976c";
const ok = Buffer.from(ct).toString("hex") === expected && Buffer.from(decrypt(19, key, 2, ct)).toString("hex") === "000102030405";
const prfOk = Buffer.from(prf(19, key, new TextEncoder().encode("test")))
  .toString("hex")
  .startsWith("9d188616f63852fe86915bb840b4a886");

console.log(`kinkd 0.1.0 — crypto core self-check (RFC 8009 known answers): ${ok && prfOk ? "ok" : "FAILED"}`);
console.log("The KINK daemon is not implemented yet: this build ships the WebAssembly Kerberos crypto core (see README).");
console.log("Measure it with: npm run bench:crypto");
process.exit(ok && prfOk ? 0 : 1);
