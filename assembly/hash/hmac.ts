// HMAC (RFC 2104) with precomputed inner/outer states per key.
//
// RFC 2104 §4 ("Implementation note"): H(K XOR ipad) and H(K XOR opad) are the same for
// every message under a key, so hmacSetKey runs the compression function over those two
// blocks once and keeps the resulting chaining states. A MAC then costs the message's
// blocks plus one outer block, with no key-dependent work.
//
// Prepared key layout (HMAC_KEY_SIZE bytes):
//   +0   i32  algorithm id (HashAlg)
//   +16  inner context head: u64 length (= one block) + state, 80 bytes
//   +96  outer context head, same shape
// The heads have exactly the shape of a hash context's first 80 bytes, so starting a
// MAC is a copy of a few v128s into an ordinary context.

import { CTX_BUF, CTX_STATE, HASH_CTX_SIZE, hash, hashBlockLen, hashCopyHead, hashDigestLen, hashInit, hashPad, hashUpdate, hashWriteDigest } from "./hash";

/** Bytes of a prepared HMAC key: algorithm id + inner and outer contexts after the padded key block. */
export const HMAC_KEY_SIZE: usize = 528;

export const HK_INNER: usize = 16;
export const HK_OUTER: usize = 96;

/** Scratch for key preparation: the padded key block and a context to compress it in. */
const KEY_BLOCK: usize = memory.data(128, 16);
const KEY_CTX: usize = memory.data(<i32>HASH_CTX_SIZE, 16);
/** The one-shot MAC's working context. */
const MAC_CTX: usize = memory.data(<i32>HASH_CTX_SIZE, 16);

/** Prepares `hk` for `alg` with the given key (hashed first when longer than a block). */
export function hmacSetKey(alg: i32, hk: usize, key: usize, keyLen: i32): void {
  const bl = hashBlockLen(alg);
  // RFC 2104 §2: a key longer than B is replaced by H(K); a shorter one is padded with zeros to B.
  if (keyLen > bl) {
    hash(alg, key, keyLen, KEY_BLOCK);
    keyLen = hashDigestLen(alg);
  } else {
    memory.copy(KEY_BLOCK, key, keyLen);
  }
  memory.fill(KEY_BLOCK + <usize>keyLen, 0, bl - keyLen);
  const ipad = i8x16.splat(0x36);
  const ipadToOpad = i8x16.splat(0x36 ^ 0x5c);
  for (let i = 0; i < bl; i += 16) {
    const p = KEY_BLOCK + <usize>i;
    v128.store(p, v128.xor(v128.load(p), ipad));
  }
  hashInit(alg, KEY_CTX);
  hashUpdate(alg, KEY_CTX, KEY_BLOCK, bl);
  hashCopyHead(alg, hk + HK_INNER, KEY_CTX);
  for (let i = 0; i < bl; i += 16) {
    const p = KEY_BLOCK + <usize>i;
    v128.store(p, v128.xor(v128.load(p), ipadToOpad));
  }
  hashInit(alg, KEY_CTX);
  hashUpdate(alg, KEY_CTX, KEY_BLOCK, bl);
  hashCopyHead(alg, hk + HK_OUTER, KEY_CTX);
  // The padded key is secret material; do not leave it in static memory.
  memory.fill(KEY_BLOCK, 0, 128);
  store<i32>(hk, alg);
}

/** Starts a MAC computation: ctx (HASH_CTX_SIZE bytes) becomes a copy of the inner state. */
export function hmacInit(hk: usize, ctx: usize): void {
  hashCopyHead(load<i32>(hk), ctx, hk + HK_INNER);
}

export function hmacUpdate(hk: usize, ctx: usize, src: usize, len: i32): void {
  hashUpdate(load<i32>(hk), ctx, src, len);
}

/**
 * Completes the inner hash in ctx and runs the outer one, H(K XOR opad || inner digest)
 * (RFC 2104 §2, step 7), reusing the same context: the inner digest is written straight
 * into the pending-block area, the outer state is copied over the inner one, and the
 * length is set to one block plus one digest so that the ordinary padding finishes it.
 */
export function hmacFinish(alg: i32, hk: usize, ctx: usize, dst: usize): void {
  hashPad(alg, ctx);
  hashWriteDigest(alg, ctx + CTX_STATE, ctx + CTX_BUF);
  hashCopyHead(alg, ctx, hk + HK_OUTER);
  store<u64>(ctx, <u64>(hashBlockLen(alg) + hashDigestLen(alg)));
  hashPad(alg, ctx);
  hashWriteDigest(alg, ctx + CTX_STATE, dst);
}

/** Finishes into dst (full digest length of the key's algorithm). */
export function hmacFinal(hk: usize, ctx: usize, dst: usize): void {
  hmacFinish(load<i32>(hk), hk, ctx, dst);
}

/** One-shot MAC with a prepared key; dst gets the full digest. */
export function hmac(hk: usize, src: usize, len: i32, dst: usize): void {
  const alg = load<i32>(hk);
  hashCopyHead(alg, MAC_CTX, hk + HK_INNER);
  hashUpdate(alg, MAC_CTX, src, len);
  hmacFinish(alg, hk, MAC_CTX, dst);
}

/** Digest length of the prepared key's algorithm. */
export function hmacDigestLen(hk: usize): i32 {
  return hashDigestLen(load<i32>(hk));
}
