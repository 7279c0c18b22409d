// RC4 keystream (as used by rc4-hmac, RFC 4757). Not a recommendation: Active Directory still issues it.
// STUB: interface only; body to be written.

/** XORs len bytes of src with the RC4 keystream for key into dst (src may equal dst). */
export function rc4(key: usize, keyLen: i32, src: usize, dst: usize, len: i32): void {
  unreachable();
}
