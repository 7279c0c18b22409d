// PBKDF2 (RFC 8018 §5.2) over HMAC-SHA1/SHA-256/SHA-384.
// STUB: interface only; body to be written.

export function pbkdf2(alg: i32, pw: usize, pwLen: i32, salt: usize, saltLen: i32, iter: i32, dst: usize, dkLen: i32): void {
  unreachable();
}
