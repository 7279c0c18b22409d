// RC4 keystream (as used by rc4-hmac, RFC 4757). Not a recommendation: Active Directory still issues it.
//
// RFC 4757 §5 uses RC4 with a fresh per-message key (derived by HMAC-MD5), so every call starts
// from a new state: key-scheduling (KSA) then XOR with the generated stream (PRGA). The algorithm
// is the one specified for these test vectors in RFC 6229 §1. Messages are short (Kerberos
// tickets and KINK payloads), so the KSA dominates and is kept tight.

/** The 256-byte permutation S. Static: runtime stub, no allocation; one call at a time per instance. */
const S: usize = memory.data(256, 16);

/** XORs len bytes of src with the RC4 keystream for key into dst (src may equal dst). */
export function rc4(key: usize, keyLen: i32, src: usize, dst: usize, len: i32): void {
  // KSA, identity: S[i] = i, written four bytes at a time (little-endian u32 0x03020100 + 4k*0x01010101).
  let w: u32 = 0x03020100;
  for (let i: usize = 0; i < 256; i += 4) {
    store<u32>(S + i, w);
    w += 0x04040404;
  }
  // KSA, mixing: j += S[i] + key[i mod keyLen]; swap S[i], S[j]. The key index wraps with a
  // counter instead of a division.
  let j: u32 = 0;
  let ki: i32 = 0;
  for (let i: usize = 0; i < 256; i++) {
    const si = <u32>load<u8>(S + i);
    j = (j + si + <u32>load<u8>(key + <usize>ki)) & 0xff;
    store<u8>(S + i, load<u8>(S + <usize>j));
    store<u8>(S + <usize>j, <u8>si);
    if (++ki == keyLen) ki = 0;
  }
  // PRGA: i += 1; j += S[i]; swap; output S[S[i] + S[j]]. Bytewise, so src == dst is safe.
  let i: u32 = 0;
  j = 0;
  for (let n: usize = 0; n < <usize>len; n++) {
    i = (i + 1) & 0xff;
    const si = <u32>load<u8>(S + <usize>i);
    j = (j + si) & 0xff;
    const sj = <u32>load<u8>(S + <usize>j);
    store<u8>(S + <usize>i, <u8>sj);
    store<u8>(S + <usize>j, <u8>si);
    store<u8>(dst + n, load<u8>(src + n) ^ load<u8>(S + <usize>((si + sj) & 0xff)));
  }
}
