// PBKDF2 (RFC 8018 §5.2) over HMAC-SHA1/SHA-256/SHA-384 (any HashAlg works).
//
// The cost is in U_j = PRF(P, U_{j-1}) for j = 2..c. With the password's HMAC states
// prepared once, each U_j is exactly two compression calls, and both hash one block of
// the same shape: a digest-sized message after one block of key pad, so the padding
// (0x80, zeros, bit length (B + L) * 8) is identical for the inner and the outer hash.
// That block is built once; each iteration only overwrites its first L bytes.

import { CTX_STATE, HASH_CTX_SIZE, HashAlg, hashBlockLen, hashBlocks, hashCopyHead, hashDigestLen, hashUpdate, hashWriteDigest } from "./hash";
import { HK_INNER, HK_OUTER, HMAC_KEY_SIZE, hmacFinish, hmacInit, hmacSetKey } from "./hmac";

const PW_KEY: usize = memory.data(<i32>HMAC_KEY_SIZE, 16);
const CTX: usize = memory.data(<i32>HASH_CTX_SIZE, 16);
/** U_j followed by its fixed padding: one whole block for the compression function. */
const U: usize = memory.data(128, 16);
/** T_i, the running XOR of the U_j (§5.2 step 3). */
const T: usize = memory.data(64, 16);
/** Working state for the single-block compressions (a context head; state at +8). */
const WS: usize = memory.data(80, 16);
const INT_I: usize = memory.data(4, 16);

export function pbkdf2(alg: i32, pw: usize, pwLen: i32, salt: usize, saltLen: i32, iter: i32, dst: usize, dkLen: i32): void {
  hmacSetKey(alg, PW_KEY, pw, pwLen);
  const dl = hashDigestLen(alg);
  const bl = hashBlockLen(alg);
  const inner = PW_KEY + HK_INNER;
  const outer = PW_KEY + HK_OUTER;
  for (let i = 0; i < bl; i += 16) v128.store(U + <usize>i, v128.splat<i64>(0));
  store<u8>(U + <usize>dl, 0x80);
  const bits = (<u64>(bl + dl)) << 3;
  if (alg == HashAlg.MD5 || alg == HashAlg.MD4) store<u64>(U + <usize>bl - 8, bits);
  else store<u64>(U + <usize>bl - 8, bswap<u64>(bits));
  // XOR is bytewise, so T ^= U runs over whole v128s; bytes past L are never output.
  const tEnd = <usize>((dl + 15) & ~15);
  for (let blk: u32 = 1; dkLen > 0; blk++) {
    // U_1 = PRF(P, S || INT(i)), INT(i) being the big-endian block index (§5.2 step 3).
    hmacInit(PW_KEY, CTX);
    hashUpdate(alg, CTX, salt, saltLen);
    store<u32>(INT_I, bswap<u32>(blk));
    hashUpdate(alg, CTX, INT_I, 4);
    hmacFinish(alg, PW_KEY, CTX, U);
    for (let k: usize = 0; k < tEnd; k += 16) v128.store(T + k, v128.load(U + k));
    for (let j = 1; j < iter; j++) {
      hashCopyHead(alg, WS, inner);
      hashBlocks(alg, WS + CTX_STATE, U, 1);
      hashWriteDigest(alg, WS + CTX_STATE, U);
      hashCopyHead(alg, WS, outer);
      hashBlocks(alg, WS + CTX_STATE, U, 1);
      hashWriteDigest(alg, WS + CTX_STATE, U);
      for (let k: usize = 0; k < tEnd; k += 16) v128.store(T + k, v128.xor(v128.load(T + k), v128.load(U + k)));
    }
    const n = dkLen < dl ? dkLen : dl;
    memory.copy(dst, T, n);
    dst += <usize>n;
    dkLen -= n;
  }
  // The password's HMAC states and the T/U blocks determine the derived key; do not leave them in static memory.
  memory.fill(PW_KEY, 0, <i32>HMAC_KEY_SIZE);
  memory.fill(CTX, 0, <i32>HASH_CTX_SIZE);
  memory.fill(U, 0, 128);
  memory.fill(T, 0, 64);
  memory.fill(WS, 0, 80);
}
