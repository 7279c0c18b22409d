// The RFC 3961 operations over a prepared slot: encrypt, decrypt, get_mic/verify_mic and
// the PRF. Written once per family; the etype only selects cipher, hash and lengths.

import { aesCtsDecrypt, aesCtsEncrypt, aesEncryptBlock } from "../cipher/aes";
import { camelliaCmac, camelliaCtsDecrypt, camelliaCtsEncrypt } from "../cipher/camellia";
import { des3CbcDecrypt, des3CbcEncrypt } from "../cipher/des3";
import { rc4 } from "../cipher/rc4";
import { HashAlg, hash, hashFinal, hashInit, hashUpdate } from "../hash/hash";
import { hmac, hmacFinal, hmacInit, hmacUpdate } from "../hash/hmac";
import { ctEqual, getSlotCapacity, slotPtr, wipe } from "../mem";
import { confounderLength, ETYPE_DES3_CBC_SHA1_KD, Family, family, macLength } from "./enctype";
import {
  ensureCksumKey,
  ensureEncKeys,
  KIND_PRF,
  KIND_USAGE,
  kdfHmacSha2,
  OFF_ETYPE,
  OFF_KC,
  OFF_KE,
  OFF_KI,
  OFF_KIND,
  OFF_USAGE,
  PRF_CONST,
  rc4Usage,
  ST_BAD_LENGTH,
  ST_BAD_OP,
  ST_BAD_SLOT,
  ST_INTEGRITY,
} from "./slots";

const IV: usize = memory.data(16, 16);
const TAG: usize = memory.data(64, 16);
const TAG2: usize = memory.data(64, 16);
const HCTX: usize = memory.data(256, 16);
const RC4KEY: usize = memory.data(16, 16);
const ZERO16: usize = memory.data(16, 16);

/** The family of a usage slot's etype; Family.NONE for a PRF slot or an empty one. */
function usageFamily(p: usize): Family {
  return load<i32>(p + OFF_KIND) == KIND_USAGE ? family(load<i32>(p + OFF_ETYPE)) : Family.NONE;
}

/** Ciphertext length encrypt() produces for len octets of plaintext. */
export function encryptedLength(etype: i32, len: i32): i32 {
  const conf = confounderLength(etype);
  if (etype == ETYPE_DES3_CBC_SHA1_KD) return ((conf + len + 7) & ~7) + 20;
  return conf + len + macLength(etype);
}

/**
 * encrypt (RFC 3961 §5.3 / RFC 8009 §5 / RFC 6803 §4 / RFC 4757 §5). `conf` points at
 * the confounder (confounderLength octets, from the host's random pool). dst must not
 * overlap src. Returns the ciphertext length, or a negative status.
 */
export function krbEncrypt(p: usize, src: usize, len: i32, conf: usize, dst: usize): i32 {
  const f = usageFamily(p);
  if (f == Family.NONE) return ST_BAD_OP;
  const etype = load<i32>(p + OFF_ETYPE);
  ensureEncKeys(p);
  const cl = confounderLength(etype);
  const macLen = macLength(etype);
  if (f == Family.RC4) {
    // checksum(16) | RC4(K3, conf | plaintext), K3 = HMAC-MD5(K1, checksum).
    const body = dst + 16;
    memory.copy(body, conf, <usize>cl);
    memory.copy(body + <usize>cl, src, <usize>len);
    hmac(p + OFF_KI, body, cl + len, dst);
    hmac(p + OFF_KI, dst, 16, RC4KEY);
    rc4(RC4KEY, 16, body, body, cl + len);
    wipe(RC4KEY, 16);
    return 16 + cl + len;
  }
  memory.copy(dst, conf, <usize>cl);
  memory.copy(dst + <usize>cl, src, <usize>len);
  let n = cl + len;
  memory.fill(IV, 0, 16);
  if (f == Family.DK_SHA1) {
    if (etype == ETYPE_DES3_CBC_SHA1_KD) {
      // RFC 3961 §5.3: pad confounder|plaintext with zeros to the 8-octet block; HMAC covers the padding.
      const padded = (n + 7) & ~7;
      memory.fill(dst + <usize>n, 0, <usize>(padded - n));
      n = padded;
      hmac(p + OFF_KI, dst, n, TAG);
      des3CbcEncrypt(p + OFF_KE, IV, dst, dst, n);
    } else {
      hmac(p + OFF_KI, dst, n, TAG);
      aesCtsEncrypt(p + OFF_KE, IV, dst, dst, n);
    }
    memory.copy(dst + <usize>n, TAG, <usize>macLen);
    return n + macLen;
  }
  if (f == Family.ETM_SHA2) {
    // RFC 8009 §5: C = E(Ke, conf|plain, iv 0); H = HMAC(Ki, iv | C) truncated; output C | H.
    aesCtsEncrypt(p + OFF_KE, IV, dst, dst, n);
    hmacInit(p + OFF_KI, HCTX);
    hmacUpdate(p + OFF_KI, HCTX, ZERO16, 16);
    hmacUpdate(p + OFF_KI, HCTX, dst, n);
    hmacFinal(p + OFF_KI, HCTX, TAG);
    memory.copy(dst + <usize>n, TAG, <usize>macLen);
    return n + macLen;
  }
  // RFC 6803 §4: C = E(Ke, conf|plain); H = CMAC(Ki, conf|plain).
  camelliaCmac(p + OFF_KI, dst, n, TAG);
  camelliaCtsEncrypt(p + OFF_KE, IV, dst, dst, n);
  memory.copy(dst + <usize>n, TAG, <usize>macLen);
  return n + macLen;
}

/**
 * decrypt: verifies integrity in constant time and writes the plaintext (without the
 * confounder; DES3 keeps its block padding, as RFC 3961 leaves it to the caller) to dst.
 * dst must not overlap src. Returns the plaintext length, ST_INTEGRITY or ST_BAD_LENGTH.
 * On an integrity failure nothing of the decryption is left in dst.
 */
export function krbDecrypt(p: usize, src: usize, len: i32, dst: usize): i32 {
  const f = usageFamily(p);
  if (f == Family.NONE) return ST_BAD_OP;
  const etype = load<i32>(p + OFF_ETYPE);
  ensureEncKeys(p);
  const cl = confounderLength(etype);
  const macLen = macLength(etype);
  if (f == Family.RC4) {
    if (len < 16 + cl) return ST_BAD_LENGTH;
    const n = len - 16;
    hmac(p + OFF_KI, src, 16, RC4KEY);
    rc4(RC4KEY, 16, src + 16, dst, n);
    wipe(RC4KEY, 16);
    hmac(p + OFF_KI, dst, n, TAG);
    if (!ctEqual(TAG, src, 16)) {
      wipe(dst, n);
      return ST_INTEGRITY;
    }
    memory.copy(dst, dst + <usize>cl, <usize>(n - cl));
    return n - cl;
  }
  // Every profile needs at least one cipher block (the confounder) before the tag.
  if (len < cl + macLen) return ST_BAD_LENGTH;
  const n = len - macLen;
  memory.fill(IV, 0, 16);
  if (f == Family.ETM_SHA2) {
    // Encrypt-then-MAC: check the tag before decrypting anything.
    hmacInit(p + OFF_KI, HCTX);
    hmacUpdate(p + OFF_KI, HCTX, ZERO16, 16);
    hmacUpdate(p + OFF_KI, HCTX, src, n);
    hmacFinal(p + OFF_KI, HCTX, TAG);
    if (!ctEqual(TAG, src + <usize>n, macLen)) return ST_INTEGRITY;
    aesCtsDecrypt(p + OFF_KE, IV, src, dst, n);
  } else {
    if (f == Family.DK_SHA1 && etype == ETYPE_DES3_CBC_SHA1_KD) {
      if ((n & 7) != 0) return ST_BAD_LENGTH;
      des3CbcDecrypt(p + OFF_KE, IV, src, dst, n);
      hmac(p + OFF_KI, dst, n, TAG);
    } else if (f == Family.DK_SHA1) {
      aesCtsDecrypt(p + OFF_KE, IV, src, dst, n);
      hmac(p + OFF_KI, dst, n, TAG);
    } else {
      camelliaCtsDecrypt(p + OFF_KE, IV, src, dst, n);
      camelliaCmac(p + OFF_KI, dst, n, TAG);
    }
    if (!ctEqual(TAG, src + <usize>n, macLen)) {
      wipe(dst, n);
      return ST_INTEGRITY;
    }
  }
  memory.copy(dst, dst + <usize>cl, <usize>(n - cl));
  return n - cl;
}

/** get_mic with the profile's mandatory checksum type (RFC 3961 §4, RFC 4430 §5.1 Cksum). Returns its length. */
export function krbChecksum(p: usize, src: usize, len: i32, dst: usize): i32 {
  const f = usageFamily(p);
  if (f == Family.NONE) return ST_BAD_OP;
  const etype = load<i32>(p + OFF_ETYPE);
  ensureCksumKey(p);
  const macLen = macLength(etype);
  if (f == Family.CAMELLIA) {
    camelliaCmac(p + OFF_KC, src, len, dst);
    return macLen;
  }
  if (f == Family.RC4) {
    // RFC 4757 §4 hmac-md5: HMAC-MD5(Ksign, MD5(T | data)), T = translated usage, 4 octets LE.
    store<u32>(TAG2, <u32>rc4Usage(load<i32>(p + OFF_USAGE)));
    hashInit(HashAlg.MD5, HCTX);
    hashUpdate(HashAlg.MD5, HCTX, TAG2, 4);
    hashUpdate(HashAlg.MD5, HCTX, src, len);
    hashFinal(HashAlg.MD5, HCTX, TAG2);
    hmac(p + OFF_KC, TAG2, 16, dst);
    return 16;
  }
  hmac(p + OFF_KC, src, len, TAG);
  memory.copy(dst, TAG, <usize>macLen);
  return macLen;
}

/** verify_mic in constant time: 0 when the checksum matches, ST_INTEGRITY otherwise. */
export function krbVerify(p: usize, src: usize, len: i32, mac: usize, macLen: i32): i32 {
  if (usageFamily(p) == Family.NONE) return ST_BAD_OP;
  const etype = load<i32>(p + OFF_ETYPE);
  if (macLen != macLength(etype)) return ST_INTEGRITY;
  krbChecksum(p, src, len, TAG2);
  return ctEqual(TAG2, mac, macLen) ? 0 : ST_INTEGRITY;
}

/** PRF output length; racoon2 = the 20-octet literal reading of RFC 3961 §5.3 for AES-SHA1 (RFC 4430 interop). */
export function prfLength(etype: i32, racoon2: bool): i32 {
  const f = family(etype);
  if (f == Family.ETM_SHA2) return macLength(etype) == 16 ? 32 : 48;
  if (f == Family.RC4) return 20;
  if (f == Family.DK_SHA1 && etype != ETYPE_DES3_CBC_SHA1_KD && racoon2) return 20;
  return 16;
}

/**
 * pseudo-random (RFC 3961 §5.3, RFC 3962 §6, RFC 8009 §5, RFC 6803 §5, RC4: HMAC-SHA1).
 * p must be a PRF slot. For AES-SHA1 the RFC 3961 / MIT reading encrypts the first 16
 * octets of SHA-1(input) with DK(key,"prf"); racoon2 CTS-encrypts all 20 (kink.md §5.4).
 */
export function krbPrf(p: usize, src: usize, len: i32, dst: usize, racoon2: bool): i32 {
  if (load<i32>(p + OFF_KIND) != KIND_PRF) return ST_BAD_OP;
  const etype = load<i32>(p + OFF_ETYPE);
  const f = family(etype);
  if (f == Family.NONE) return ST_BAD_OP;
  if (f == Family.ETM_SHA2) {
    const outLen = prfLength(etype, false);
    kdfHmacSha2(p + OFF_KI, PRF_CONST, 3, src, len, outLen, dst);
    return outLen;
  }
  if (f == Family.RC4) {
    hmac(p + OFF_KI, src, len, dst);
    return 20;
  }
  if (f == Family.CAMELLIA) {
    camelliaCmac(p + OFF_KE, src, len, dst);
    return 16;
  }
  hash(HashAlg.SHA1, src, len, TAG);
  memory.fill(IV, 0, 16);
  if (etype == ETYPE_DES3_CBC_SHA1_KD) {
    // Truncate SHA-1 to a multiple of the 8-octet block: 16 octets, CBC with a zero IV.
    des3CbcEncrypt(p + OFF_KE, IV, TAG, dst, 16);
    return 16;
  }
  if (racoon2) {
    aesCtsEncrypt(p + OFF_KE, IV, TAG, dst, 20);
    return 20;
  }
  aesEncryptBlock(p + OFF_KE, TAG, dst);
  return 16;
}

/** Room reserved in front of a prf+ seed for the previous block (≥ the longest PRF output, 48). */
export const PRF_PLUS_GAP: i32 = 64;
/** Most octets one prf+ operation produces (KEYMAT for any IPsec transform fits easily). */
const PRF_PLUS_MAX: i32 = 1024;

/**
 * prf+ as KEYMAT chains it [RFC 4430 §7, RFC 2409 §5.5]: K1 = prf(seed), Kn = prf(K(n-1) | seed),
 * output K1 | K2 | … cut to `want` octets. The input is PRF_PLUS_GAP free octets, then the seed;
 * each block is copied right in front of the seed for the next call, so no buffer is built per
 * block. The input (seed with nonces, and g^xy under PFS) and the cut-off tail are wiped.
 * dst needs want + 48 octets of room.
 */
export function krbPrfPlus(p: usize, src: usize, len: i32, dst: usize, want: i32, racoon2: bool): i32 {
  if (load<i32>(p + OFF_KIND) != KIND_PRF) return ST_BAD_OP;
  const seedLen = len - PRF_PLUS_GAP;
  if (seedLen < 0 || want < 1 || want > PRF_PLUS_MAX) return ST_BAD_LENGTH;
  const seed = src + <usize>PRF_PLUS_GAP;
  let r = krbPrf(p, seed, seedLen, dst, racoon2);
  if (r < 0) return r;
  const block = r;
  let filled = block;
  while (filled < want) {
    memory.copy(seed - <usize>block, dst + <usize>(filled - block), <usize>block);
    r = krbPrf(p, seed - <usize>block, block + seedLen, dst + <usize>filled, racoon2);
    if (r < 0) break;
    filled += block;
  }
  wipe(src, len);
  if (r < 0) {
    wipe(dst, filled);
    return r;
  }
  wipe(dst + <usize>want, filled - want);
  return want;
}

/** Resolves a slot number to its address, or 0 when out of range. */

export function slotAddr(slot: i32): usize {
  return slot >= 0 && slot < getSlotCapacity() ? slotPtr(slot) : 0;
}

// Single-call entry points take a slot number; the batch (batch.ts) uses the same functions.
export function slotEncrypt(slot: i32, src: usize, len: i32, conf: usize, dst: usize): i32 {
  const p = slotAddr(slot);
  return p == 0 ? ST_BAD_SLOT : krbEncrypt(p, src, len, conf, dst);
}
export function slotDecrypt(slot: i32, src: usize, len: i32, dst: usize): i32 {
  const p = slotAddr(slot);
  return p == 0 ? ST_BAD_SLOT : krbDecrypt(p, src, len, dst);
}
export function slotChecksum(slot: i32, src: usize, len: i32, dst: usize): i32 {
  const p = slotAddr(slot);
  return p == 0 ? ST_BAD_SLOT : krbChecksum(p, src, len, dst);
}
export function slotVerify(slot: i32, src: usize, len: i32, mac: usize, macLen: i32): i32 {
  const p = slotAddr(slot);
  return p == 0 ? ST_BAD_SLOT : krbVerify(p, src, len, mac, macLen);
}
export function slotPrf(slot: i32, src: usize, len: i32, dst: usize, racoon2: bool): i32 {
  const p = slotAddr(slot);
  return p == 0 ? ST_BAD_SLOT : krbPrf(p, src, len, dst, racoon2);
}
