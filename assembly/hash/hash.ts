// Hash functions over raw memory: SHA-1 (FIPS 180-4), SHA-256, SHA-384/512, MD5 (RFC 1321), MD4 (RFC 1320).
// STUB: interface only; bodies to be written.

export const enum HashAlg {
  SHA1 = 1,
  SHA256 = 2,
  SHA384 = 3,
  SHA512 = 4,
  MD5 = 5,
  MD4 = 6,
}

/** Bytes any algorithm's context needs (state + pending block + length). */
export const HASH_CTX_SIZE: usize = 256;

export function hashDigestLen(alg: i32): i32 {
  unreachable();
  return 0;
}

export function hashBlockLen(alg: i32): i32 {
  unreachable();
  return 0;
}

export function hashInit(alg: i32, ctx: usize): void {
  unreachable();
}

export function hashUpdate(alg: i32, ctx: usize, src: usize, len: i32): void {
  unreachable();
}

/** Writes hashDigestLen(alg) bytes at dst. */
export function hashFinal(alg: i32, ctx: usize, dst: usize): void {
  unreachable();
}

/** Copies the live part of a context (cheaper than HASH_CTX_SIZE where the algorithm allows). */
export function hashCopy(alg: i32, dstCtx: usize, srcCtx: usize): void {
  unreachable();
}

export function hash(alg: i32, src: usize, len: i32, dst: usize): void {
  unreachable();
}
