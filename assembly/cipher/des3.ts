// Triple DES (EDE3, FIPS 46-3 / SP 800-67) with CBC, as used by des3-cbc-sha1-kd (RFC 3961 §6.3).
// STUB: interface only; bodies to be written.

/** Bytes of an expanded EDE3 key (both directions). */
export const DES3_KS_SIZE: usize = 640;

/** key: 24 bytes (parity bits ignored). */
export function des3SetKey(ks: usize, key: usize): void {
  unreachable();
}

export function des3EncryptBlock(ks: usize, src: usize, dst: usize): void {
  unreachable();
}

export function des3DecryptBlock(ks: usize, src: usize, dst: usize): void {
  unreachable();
}

/** CBC over len bytes (len % 8 == 0); iv (8 bytes) updated to the last ciphertext block; src may equal dst. */
export function des3CbcEncrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  unreachable();
}

export function des3CbcDecrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  unreachable();
}
