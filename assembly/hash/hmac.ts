// HMAC (RFC 2104) with precomputed inner/outer states per key.
// STUB: interface only; bodies to be written.

/** Bytes of a prepared HMAC key: algorithm id + inner and outer contexts after the padded key block. */
export const HMAC_KEY_SIZE: usize = 528;

/** Prepares `hk` for `alg` with the given key (hashed first when longer than a block). */
export function hmacSetKey(alg: i32, hk: usize, key: usize, keyLen: i32): void {
  unreachable();
}

/** Starts a MAC computation: ctx (HASH_CTX_SIZE bytes) becomes a copy of the inner state. */
export function hmacInit(hk: usize, ctx: usize): void {
  unreachable();
}

export function hmacUpdate(hk: usize, ctx: usize, src: usize, len: i32): void {
  unreachable();
}

/** Finishes into dst (full digest length of the key's algorithm). */
export function hmacFinal(hk: usize, ctx: usize, dst: usize): void {
  unreachable();
}

/** One-shot MAC with a prepared key; dst gets the full digest. */
export function hmac(hk: usize, src: usize, len: i32, dst: usize): void {
  unreachable();
}

/** Digest length of the prepared key's algorithm. */
export function hmacDigestLen(hk: usize): i32 {
  unreachable();
  return 0;
}
