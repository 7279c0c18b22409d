// AES (FIPS 197) block cipher with CBC and the Kerberos CBC ciphertext-stealing mode (RFC 3962 §5).
// STUB: interface only; bodies to be written.

/** Bytes of an expanded key: encryption and decryption schedules plus the round count. */
export const AES_KS_SIZE: usize = 512;

/** keyLen: 16, 24 or 32. Expands both directions into ks. */
export function aesSetKey(ks: usize, key: usize, keyLen: i32): void {
  unreachable();
}

export function aesEncryptBlock(ks: usize, src: usize, dst: usize): void {
  unreachable();
}

export function aesDecryptBlock(ks: usize, src: usize, dst: usize): void {
  unreachable();
}

/** CBC over len bytes (len % 16 == 0). iv (16 bytes) is updated to the last ciphertext block. src may equal dst. */
export function aesCbcEncrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  unreachable();
}

export function aesCbcDecrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  unreachable();
}

/**
 * RFC 3962 CBC-CS3 (last two blocks swapped, unconditionally) for len >= 16; len == 16 is one CBC block.
 * iv is updated to the next cipher state as RFC 3962 defines it. src may equal dst.
 */
export function aesCtsEncrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  unreachable();
}

export function aesCtsDecrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  unreachable();
}
