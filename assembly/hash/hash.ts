// Hash functions over raw memory: SHA-1 (FIPS 180-4), SHA-256, SHA-384/512, MD5 (RFC 1321), MD4 (RFC 1320).
//
// Context layout (HASH_CTX_SIZE bytes, any alignment):
//   +0   u64  total bytes hashed so far (the pending byte count is total mod block size)
//   +8   state words (20..64 bytes), kept in native order between calls
//   +80  pending partial block (up to 128 bytes)
// Length first and state right after it makes the live part of a context one short
// contiguous run (28 bytes for SHA-1), which is what HMAC copies per message.

import { md4Blocks } from "./md4";
import { md5Blocks } from "./md5";
import { SHA1_IV, sha1Blocks } from "./sha1";
import { SHA256_IV, sha256Blocks } from "./sha256";
import { SHA384_IV, SHA512_IV, sha512Blocks } from "./sha512";

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

/** Offsets inside a context (see the layout above). */
export const CTX_STATE: usize = 8;
export const CTX_BUF: usize = 80;

export function hashDigestLen(alg: i32): i32 {
  switch (alg) {
    case HashAlg.SHA1:
      return 20;
    case HashAlg.SHA256:
      return 32;
    case HashAlg.SHA384:
      return 48;
    case HashAlg.SHA512:
      return 64;
    default:
      return 16;
  }
}

export function hashBlockLen(alg: i32): i32 {
  return alg == HashAlg.SHA384 || alg == HashAlg.SHA512 ? 128 : 64;
}

/** Bytes of chaining state: SHA-384 carries all eight words of SHA-512 (§6.5) even though it outputs six. */
export function hashStateLen(alg: i32): i32 {
  switch (alg) {
    case HashAlg.SHA1:
      return 20;
    case HashAlg.SHA256:
      return 32;
    case HashAlg.SHA384:
    case HashAlg.SHA512:
      return 64;
    default:
      return 16;
  }
}

/** Compression function of `alg` over `n` whole blocks at `p`; `st` points at the state words. */
export function hashBlocks(alg: i32, st: usize, p: usize, n: i32): void {
  switch (alg) {
    case HashAlg.SHA1:
      sha1Blocks(st, p, n);
      break;
    case HashAlg.SHA256:
      sha256Blocks(st, p, n);
      break;
    case HashAlg.SHA384:
    case HashAlg.SHA512:
      sha512Blocks(st, p, n);
      break;
    case HashAlg.MD5:
      md5Blocks(st, p, n);
      break;
    case HashAlg.MD4:
      md4Blocks(st, p, n);
      break;
    default:
      unreachable();
  }
}

/**
 * Writes the digest from the state words at `st`: big-endian words for the SHA family
 * (FIPS 180-4 §6.1.2 etc., final step), little-endian for MD4/MD5 (RFC 1321 §3.5), which
 * is the native order and so a plain copy. SHA-384 keeps H0..H5 only (§6.5.2).
 */
export function hashWriteDigest(alg: i32, st: usize, dst: usize): void {
  if (alg == HashAlg.SHA1) {
    store<u32>(dst, bswap<u32>(load<u32>(st, 0)), 0);
    store<u32>(dst, bswap<u32>(load<u32>(st, 4)), 4);
    store<u32>(dst, bswap<u32>(load<u32>(st, 8)), 8);
    store<u32>(dst, bswap<u32>(load<u32>(st, 12)), 12);
    store<u32>(dst, bswap<u32>(load<u32>(st, 16)), 16);
  } else if (alg == HashAlg.SHA256) {
    for (let i: usize = 0; i < 32; i += 4) store<u32>(dst + i, bswap<u32>(load<u32>(st + i)));
  } else if (alg == HashAlg.SHA384 || alg == HashAlg.SHA512) {
    const n: usize = alg == HashAlg.SHA384 ? 48 : 64;
    for (let i: usize = 0; i < n; i += 8) store<u64>(dst + i, bswap<u64>(load<u64>(st + i)));
  } else {
    v128.store(dst, v128.load(st));
  }
}

/** Bytes from the start of a context that hold length and state, rounded up to whole v128s. */
function liveHead(alg: i32): usize {
  // 8 + state length: SHA-1 28 -> 32, SHA-256 40 -> 48, SHA-384/512 72 -> 80, MD4/MD5 24 -> 32.
  return <usize>((8 + hashStateLen(alg) + 15) & ~15);
}

/**
 * Copies the length and state words (not the pending block) from `src` to `dst` with
 * v128 moves. Both must have room for liveHead(alg) bytes: the few bytes past the state
 * are layout padding in contexts and prepared HMAC keys alike.
 */
export function hashCopyHead(alg: i32, dst: usize, src: usize): void {
  const n = liveHead(alg);
  v128.store(dst, v128.load(src), 0);
  v128.store(dst, v128.load(src, 16), 16);
  if (n > 32) {
    v128.store(dst, v128.load(src, 32), 32);
    if (n > 48) {
      v128.store(dst, v128.load(src, 48), 48);
      v128.store(dst, v128.load(src, 64), 64);
    }
  }
}

export function hashInit(alg: i32, ctx: usize): void {
  store<u64>(ctx, 0);
  const st = ctx + CTX_STATE;
  switch (alg) {
    case HashAlg.SHA1:
      memory.copy(st, SHA1_IV, 20);
      break;
    case HashAlg.SHA256:
      memory.copy(st, SHA256_IV, 32);
      break;
    case HashAlg.SHA384:
      memory.copy(st, SHA384_IV, 64);
      break;
    case HashAlg.SHA512:
      memory.copy(st, SHA512_IV, 64);
      break;
    case HashAlg.MD5:
    case HashAlg.MD4:
      // RFC 1321 §3.3 and RFC 1320 §3.3 use the same four words as SHA-1's H0..H3.
      memory.copy(st, SHA1_IV, 16);
      break;
    default:
      unreachable();
  }
}

export function hashUpdate(alg: i32, ctx: usize, src: usize, len: i32): void {
  if (len <= 0) return;
  const bl = hashBlockLen(alg);
  const total = load<u64>(ctx);
  store<u64>(ctx, total + <u64>len);
  const st = ctx + CTX_STATE;
  const buf = ctx + CTX_BUF;
  let fill = <i32>total & (bl - 1);
  if (fill != 0) {
    const room = bl - fill;
    if (len < room) {
      memory.copy(buf + <usize>fill, src, len);
      return;
    }
    memory.copy(buf + <usize>fill, src, room);
    hashBlocks(alg, st, buf, 1);
    src += <usize>room;
    len -= room;
  }
  // Whole blocks go to the compression function straight from the caller's memory.
  const shift = bl == 128 ? 7 : 6;
  const n = len >> shift;
  if (n != 0) {
    hashBlocks(alg, st, src, n);
    const done = n << shift;
    src += <usize>done;
    len -= done;
  }
  if (len != 0) memory.copy(buf, src, len);
}

/**
 * Pads the pending block (FIPS 180-4 §5.1.1/§5.1.2; RFC 1321 §3.1-3.2 with a little-endian
 * length), compresses the last block or two and leaves the final state in the context.
 * The length field is 64 bits for 64-byte blocks and 128 bits for 128-byte blocks.
 */
export function hashPad(alg: i32, ctx: usize): void {
  const bl = hashBlockLen(alg);
  const total = load<u64>(ctx);
  const st = ctx + CTX_STATE;
  const buf = ctx + CTX_BUF;
  const fill = <i32>total & (bl - 1);
  const lenAt = bl == 128 ? 112 : 56;
  store<u8>(buf + <usize>fill, 0x80);
  if (fill >= lenAt) {
    // No room left for the length field: it goes in one more block of zeros.
    zeroBytes(buf + <usize>fill + 1, bl - fill - 1);
    hashBlocks(alg, st, buf, 1);
    zeroBytes(buf, lenAt);
  } else {
    zeroBytes(buf + <usize>fill + 1, lenAt - fill - 1);
  }
  const bits = total << 3;
  if (alg == HashAlg.MD5 || alg == HashAlg.MD4) {
    store<u64>(buf, bits, 56);
  } else if (bl == 128) {
    store<u64>(buf, bswap<u64>(total >> 61), 112);
    store<u64>(buf, bswap<u64>(bits), 120);
  } else {
    store<u64>(buf, bswap<u64>(bits), 56);
  }
  hashBlocks(alg, st, buf, 1);
}

/** Zeroes a short run (padding) without a bulk-memory call, which costs more than the stores here. */
export function zeroBytes(p: usize, n: i32): void {
  const e = p + <usize>n;
  while (p < e && (p & 7) != 0) store<u8>(p++, 0);
  while (p + 8 <= e) {
    store<u64>(p, 0);
    p += 8;
  }
  while (p < e) store<u8>(p++, 0);
}

/** Writes hashDigestLen(alg) bytes at dst. */
export function hashFinal(alg: i32, ctx: usize, dst: usize): void {
  hashPad(alg, ctx);
  hashWriteDigest(alg, ctx + CTX_STATE, dst);
}

/** Copies the live part of a context (cheaper than HASH_CTX_SIZE where the algorithm allows). */
export function hashCopy(alg: i32, dstCtx: usize, srcCtx: usize): void {
  hashCopyHead(alg, dstCtx, srcCtx);
  const fill = <i32>load<u64>(srcCtx) & (hashBlockLen(alg) - 1);
  if (fill != 0) memory.copy(dstCtx + CTX_BUF, srcCtx + CTX_BUF, fill);
}

const ONE_SHOT: usize = memory.data(<i32>HASH_CTX_SIZE, 16);

export function hash(alg: i32, src: usize, len: i32, dst: usize): void {
  hashInit(alg, ONE_SHOT);
  hashUpdate(alg, ONE_SHOT, src, len);
  hashFinal(alg, ONE_SHOT, dst);
}
