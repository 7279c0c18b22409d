// Camellia (RFC 3713) with CBC, CTS (as RFC 6803 uses it) and CMAC (NIST SP 800-38B).
// STUB: interface only; bodies to be written.

/** Bytes of an expanded key (both directions) plus CMAC subkeys K1, K2. */
export const CAMELLIA_KS_SIZE: usize = 512;

/** keyLen: 16, 24 or 32. Also precomputes the CMAC subkeys. */
export function camelliaSetKey(ks: usize, key: usize, keyLen: i32): void {
  unreachable();
}

export function camelliaEncryptBlock(ks: usize, src: usize, dst: usize): void {
  unreachable();
}

export function camelliaDecryptBlock(ks: usize, src: usize, dst: usize): void {
  unreachable();
}

export function camelliaCbcEncrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  unreachable();
}

export function camelliaCbcDecrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  unreachable();
}

/** Same CTS convention as aesCtsEncrypt (RFC 6803 §2 uses RFC 3962's mode). */
export function camelliaCtsEncrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  unreachable();
}

export function camelliaCtsDecrypt(ks: usize, iv: usize, src: usize, dst: usize, len: i32): void {
  unreachable();
}

/** CMAC over src[0..len) with the key in ks; writes 16 bytes at dst. */
export function camelliaCmac(ks: usize, src: usize, len: i32, dst: usize): void {
  unreachable();
}
