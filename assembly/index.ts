// WASM export surface. Everything crosses as offsets into the static arena (mem.ts);
// the single TypeScript facade is src/crypto/wasm.ts.

import { DESC, DESC_MAX, DESC_SIZE, IO, IO_SIZE, RAND, RAND_SIZE } from "./mem";

export { ensureSlotCapacity, getSlotCapacity, slotPtr } from "./mem";
export { primAesConstantTime, primAesImpl, primCamelliaCmac, primCipher, primHash, primHmac, primPbkdf2, primRc4 } from "./primitives";

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
