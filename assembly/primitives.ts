// Raw primitive entry points. The Kerberos layer does not go through these; they exist
// so that the test suite can check every primitive against node:crypto and noble, and
// so that key derivation helpers on the host (string-to-key) can reach PBKDF2.
// Pointers are offsets into the arena (IO); the facade copies data in and out.

import {
  AES_CONSTANT_TIME,
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCtCbcDecrypt,
  aesCtCbcEncrypt,
  aesCtCtsDecrypt,
  aesCtCtsEncrypt,
  aesCtDecryptBlock,
  aesCtEncryptBlock,
  aesCtsDecrypt,
  aesCtsEncrypt,
  aesDecryptBlock,
  aesEncryptBlock,
  aesSetKey,
  aesTableCbcDecrypt,
  aesTableCbcEncrypt,
  aesTableCtsDecrypt,
  aesTableCtsEncrypt,
  aesTableDecryptBlock,
  aesTableEncryptBlock,
} from "./cipher/aes";
import {
  camelliaCbcDecrypt,
  camelliaCbcEncrypt,
  camelliaCmac,
  camelliaCtsDecrypt,
  camelliaCtsEncrypt,
  camelliaDecryptBlock,
  camelliaEncryptBlock,
  camelliaSetKey,
} from "./cipher/camellia";
import { des3CbcDecrypt, des3CbcEncrypt, des3DecryptBlock, des3EncryptBlock, des3SetKey } from "./cipher/des3";
import { rc4 } from "./cipher/rc4";
import { HASH_CTX_SIZE, hash, hashFinal, hashInit, hashUpdate } from "./hash/hash";
import { HMAC_KEY_SIZE, hmac, hmacSetKey } from "./hash/hmac";
import { pbkdf2 } from "./hash/pbkdf2";

export const enum Cipher {
  AES = 1,
  DES3 = 2,
  CAMELLIA = 3,
}

export const enum Mode {
  ECB = 0,
  CBC = 1,
  CTS = 2,
}

/** Status codes shared with src/crypto/wasm.ts. */
export const enum PrimStatus {
  OK = 0,
  BAD_CIPHER = -1,
  BAD_KEY_LENGTH = -2,
  BAD_DATA_LENGTH = -3,
}

// Large enough for any of the three schedules (each module declares its size <= 640).
const KS: usize = memory.data(640, 16);
const HK: usize = memory.data(<i32>HMAC_KEY_SIZE, 16);

export function primHash(alg: i32, src: usize, len: i32, dst: usize): void {
  hash(alg, src, len, dst);
}

// Streaming hash over one static context, for inputs larger than the I/O area.
const STREAM_CTX: usize = memory.data(<i32>HASH_CTX_SIZE, 16);

export function primHashInit(alg: i32): void {
  hashInit(alg, STREAM_CTX);
}

export function primHashUpdate(alg: i32, src: usize, len: i32): void {
  hashUpdate(alg, STREAM_CTX, src, len);
}

export function primHashFinal(alg: i32, dst: usize): void {
  hashFinal(alg, STREAM_CTX, dst);
}

export function primHmac(alg: i32, key: usize, keyLen: i32, src: usize, len: i32, dst: usize): void {
  hmacSetKey(alg, HK, key, keyLen);
  hmac(HK, src, len, dst);
}

export function primPbkdf2(alg: i32, pw: usize, pwLen: i32, salt: usize, saltLen: i32, iter: i32, dst: usize, dkLen: i32): void {
  pbkdf2(alg, pw, pwLen, salt, saltLen, iter, dst, dkLen);
}

export function primRc4(key: usize, keyLen: i32, src: usize, dst: usize, len: i32): void {
  rc4(key, keyLen, src, dst, len);
}

export function primCamelliaCmac(key: usize, keyLen: i32, src: usize, len: i32, dst: usize): i32 {
  if (keyLen != 16 && keyLen != 24 && keyLen != 32) return PrimStatus.BAD_KEY_LENGTH;
  camelliaSetKey(KS, key, keyLen);
  camelliaCmac(KS, src, len, dst);
  return PrimStatus.OK;
}

/** One cipher operation over len bytes. ECB/CBC need whole blocks; CTS needs at least one block. */
export function primCipher(cipher: i32, mode: i32, decrypt: bool, key: usize, keyLen: i32, iv: usize, src: usize, dst: usize, len: i32): i32 {
  const bs = cipher == Cipher.DES3 ? 8 : 16;
  if (mode == Mode.CTS) {
    if (cipher == Cipher.DES3) return PrimStatus.BAD_CIPHER;
    if (len < bs) return PrimStatus.BAD_DATA_LENGTH;
  } else if (len % bs != 0) {
    return PrimStatus.BAD_DATA_LENGTH;
  }
  if (cipher == Cipher.AES) {
    if (keyLen != 16 && keyLen != 24 && keyLen != 32) return PrimStatus.BAD_KEY_LENGTH;
    aesSetKey(KS, key, keyLen);
    if (mode == Mode.ECB) {
      for (let off = 0; off < len; off += 16) {
        if (decrypt) aesDecryptBlock(KS, src + <usize>off, dst + <usize>off);
        else aesEncryptBlock(KS, src + <usize>off, dst + <usize>off);
      }
    } else if (mode == Mode.CBC) {
      if (decrypt) aesCbcDecrypt(KS, iv, src, dst, len);
      else aesCbcEncrypt(KS, iv, src, dst, len);
    } else {
      if (decrypt) aesCtsDecrypt(KS, iv, src, dst, len);
      else aesCtsEncrypt(KS, iv, src, dst, len);
    }
    return PrimStatus.OK;
  }
  if (cipher == Cipher.CAMELLIA) {
    if (keyLen != 16 && keyLen != 24 && keyLen != 32) return PrimStatus.BAD_KEY_LENGTH;
    camelliaSetKey(KS, key, keyLen);
    if (mode == Mode.ECB) {
      for (let off = 0; off < len; off += 16) {
        if (decrypt) camelliaDecryptBlock(KS, src + <usize>off, dst + <usize>off);
        else camelliaEncryptBlock(KS, src + <usize>off, dst + <usize>off);
      }
    } else if (mode == Mode.CBC) {
      if (decrypt) camelliaCbcDecrypt(KS, iv, src, dst, len);
      else camelliaCbcEncrypt(KS, iv, src, dst, len);
    } else {
      if (decrypt) camelliaCtsDecrypt(KS, iv, src, dst, len);
      else camelliaCtsEncrypt(KS, iv, src, dst, len);
    }
    return PrimStatus.OK;
  }
  if (cipher == Cipher.DES3) {
    if (keyLen != 24) return PrimStatus.BAD_KEY_LENGTH;
    des3SetKey(KS, key);
    if (mode == Mode.ECB) {
      for (let off = 0; off < len; off += 8) {
        if (decrypt) des3DecryptBlock(KS, src + <usize>off, dst + <usize>off);
        else des3EncryptBlock(KS, src + <usize>off, dst + <usize>off);
      }
    } else {
      if (decrypt) des3CbcDecrypt(KS, iv, src, dst, len);
      else des3CbcEncrypt(KS, iv, src, dst, len);
    }
    return PrimStatus.OK;
  }
  return PrimStatus.BAD_CIPHER;
}

/** Which AES implementation is behind primCipher: 1 = constant-time (aes-ct.ts), 0 = T-tables. */
export function primAesConstantTime(): i32 {
  return AES_CONSTANT_TIME ? 1 : 0;
}

/**
 * primCipher for AES through one named implementation (0 = T-tables, 1 = constant-time),
 * whichever is the default, so the tests check both. Same arguments and status codes.
 */
export function primAesImpl(impl: i32, mode: i32, decrypt: bool, key: usize, keyLen: i32, iv: usize, src: usize, dst: usize, len: i32): i32 {
  if (impl != 0 && impl != 1) return PrimStatus.BAD_CIPHER;
  if (mode == Mode.CTS ? len < 16 : len % 16 != 0) return PrimStatus.BAD_DATA_LENGTH;
  if (keyLen != 16 && keyLen != 24 && keyLen != 32) return PrimStatus.BAD_KEY_LENGTH;
  aesSetKey(KS, key, keyLen);
  const ct = impl == 1;
  if (mode == Mode.ECB) {
    for (let off = 0; off < len; off += 16) {
      const s = src + <usize>off;
      const d = dst + <usize>off;
      if (ct) {
        if (decrypt) aesCtDecryptBlock(KS, s, d);
        else aesCtEncryptBlock(KS, s, d);
      } else {
        if (decrypt) aesTableDecryptBlock(KS, s, d);
        else aesTableEncryptBlock(KS, s, d);
      }
    }
  } else if (mode == Mode.CBC) {
    if (ct) {
      if (decrypt) aesCtCbcDecrypt(KS, iv, src, dst, len);
      else aesCtCbcEncrypt(KS, iv, src, dst, len);
    } else {
      if (decrypt) aesTableCbcDecrypt(KS, iv, src, dst, len);
      else aesTableCbcEncrypt(KS, iv, src, dst, len);
    }
  } else {
    if (ct) {
      if (decrypt) aesCtCtsDecrypt(KS, iv, src, dst, len);
      else aesCtCtsEncrypt(KS, iv, src, dst, len);
    } else {
      if (decrypt) aesTableCtsDecrypt(KS, iv, src, dst, len);
      else aesTableCtsEncrypt(KS, iv, src, dst, len);
    }
  }
  return PrimStatus.OK;
}
