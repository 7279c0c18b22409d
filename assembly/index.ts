// WASM export surface. Everything crosses as offsets into the static arena (mem.ts);
// the single TypeScript facade is src/crypto/wasm.ts.

import { TABLE_BYTES } from "./kink/walk";
import { DESC, DESC_MAX, DESC_SIZE, IO, IO_SIZE, KEYIN, RAND, RAND_SIZE } from "./mem";

export { ensureSlotCapacity, getSlotCapacity, slotPtr } from "./mem";
export {
  primAesConstantTime,
  primAesImpl,
  primCamelliaCmac,
  primCipher,
  primHash,
  primHashFinal,
  primHashInit,
  primHashUpdate,
  primHmac,
  primPbkdf2,
  primRc4,
} from "./primitives";

export function ioPtr(): usize {
  return IO;
}
export function ioSize(): i32 {
  return IO_SIZE;
}
export function descPtr(): usize {
  return DESC;
}
export function descMax(): i32 {
  return DESC_MAX;
}
export function descSize(): i32 {
  return DESC_SIZE;
}
export function randPtr(): usize {
  return RAND;
}
export function randSize(): i32 {
  return RAND_SIZE;
}
export function keyInPtr(): usize {
  return KEYIN;
}

export { kinkOpen } from "./kink/walk";
export { krbBatch } from "./krb/batch";
/** Test hook: RFC 3961 §5.1 n-fold of IO[src..src+inLen) into IO[dst..dst+outLen). */
export { nfold } from "./krb/nfold";
export { encryptedLength, prfLength, slotChecksum, slotDecrypt, slotEncrypt, slotPrf, slotVerify } from "./krb/profile";
export { krbRandomToKey, krbStringToKey } from "./krb/s2k";
export { krbDeriveKey, slotClear, slotInit } from "./krb/slots";
export function kinkTableBytes(): i32 {
  return TABLE_BYTES;
}
