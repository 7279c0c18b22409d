// MD4 compression (RFC 1320 §3.4), unrolled. Little-endian like MD5 (see md5.ts).
// Kerberos needs MD4 only for the RC4-HMAC string-to-key (RFC 4757 §4: NTLM hash).

/** Runs the compression function over `n` consecutive 64-byte blocks at `p`, updating the four state words at `st`. */
export function md4Blocks(st: usize, p: usize, n: i32): void {
  let h0 = load<u32>(st, 0);
  let h1 = load<u32>(st, 4);
  let h2 = load<u32>(st, 8);
  let h3 = load<u32>(st, 12);
  while (n > 0) {
    const x0 = load<u32>(p, 0);
    const x1 = load<u32>(p, 4);
    const x2 = load<u32>(p, 8);
    const x3 = load<u32>(p, 12);
    const x4 = load<u32>(p, 16);
    const x5 = load<u32>(p, 20);
    const x6 = load<u32>(p, 24);
    const x7 = load<u32>(p, 28);
    const x8 = load<u32>(p, 32);
    const x9 = load<u32>(p, 36);
    const x10 = load<u32>(p, 40);
    const x11 = load<u32>(p, 44);
    const x12 = load<u32>(p, 48);
    const x13 = load<u32>(p, 52);
    const x14 = load<u32>(p, 56);
    const x15 = load<u32>(p, 60);
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    // Round 1 (RFC 1320 §3.4), F.
    a = rotl<u32>(a + x0 + (d ^ (b & (c ^ d))), 3);
    d = rotl<u32>(d + x1 + (c ^ (a & (b ^ c))), 7);
    c = rotl<u32>(c + x2 + (b ^ (d & (a ^ b))), 11);
    b = rotl<u32>(b + x3 + (a ^ (c & (d ^ a))), 19);
    a = rotl<u32>(a + x4 + (d ^ (b & (c ^ d))), 3);
    d = rotl<u32>(d + x5 + (c ^ (a & (b ^ c))), 7);
    c = rotl<u32>(c + x6 + (b ^ (d & (a ^ b))), 11);
    b = rotl<u32>(b + x7 + (a ^ (c & (d ^ a))), 19);
    a = rotl<u32>(a + x8 + (d ^ (b & (c ^ d))), 3);
    d = rotl<u32>(d + x9 + (c ^ (a & (b ^ c))), 7);
    c = rotl<u32>(c + x10 + (b ^ (d & (a ^ b))), 11);
    b = rotl<u32>(b + x11 + (a ^ (c & (d ^ a))), 19);
    a = rotl<u32>(a + x12 + (d ^ (b & (c ^ d))), 3);
    d = rotl<u32>(d + x13 + (c ^ (a & (b ^ c))), 7);
    c = rotl<u32>(c + x14 + (b ^ (d & (a ^ b))), 11);
    b = rotl<u32>(b + x15 + (a ^ (c & (d ^ a))), 19);
    // Round 2 (RFC 1320 §3.4), G + 0x5a827999.
    a = rotl<u32>(a + x0 + 0x5a827999 + ((b & c) | (d & (b | c))), 3);
    d = rotl<u32>(d + x4 + 0x5a827999 + ((a & b) | (c & (a | b))), 5);
    c = rotl<u32>(c + x8 + 0x5a827999 + ((d & a) | (b & (d | a))), 9);
    b = rotl<u32>(b + x12 + 0x5a827999 + ((c & d) | (a & (c | d))), 13);
    a = rotl<u32>(a + x1 + 0x5a827999 + ((b & c) | (d & (b | c))), 3);
    d = rotl<u32>(d + x5 + 0x5a827999 + ((a & b) | (c & (a | b))), 5);
    c = rotl<u32>(c + x9 + 0x5a827999 + ((d & a) | (b & (d | a))), 9);
    b = rotl<u32>(b + x13 + 0x5a827999 + ((c & d) | (a & (c | d))), 13);
    a = rotl<u32>(a + x2 + 0x5a827999 + ((b & c) | (d & (b | c))), 3);
    d = rotl<u32>(d + x6 + 0x5a827999 + ((a & b) | (c & (a | b))), 5);
    c = rotl<u32>(c + x10 + 0x5a827999 + ((d & a) | (b & (d | a))), 9);
    b = rotl<u32>(b + x14 + 0x5a827999 + ((c & d) | (a & (c | d))), 13);
    a = rotl<u32>(a + x3 + 0x5a827999 + ((b & c) | (d & (b | c))), 3);
    d = rotl<u32>(d + x7 + 0x5a827999 + ((a & b) | (c & (a | b))), 5);
    c = rotl<u32>(c + x11 + 0x5a827999 + ((d & a) | (b & (d | a))), 9);
    b = rotl<u32>(b + x15 + 0x5a827999 + ((c & d) | (a & (c | d))), 13);
    // Round 3 (RFC 1320 §3.4), H + 0x6ed9eba1.
    a = rotl<u32>(a + x0 + 0x6ed9eba1 + (b ^ c ^ d), 3);
    d = rotl<u32>(d + x8 + 0x6ed9eba1 + (a ^ b ^ c), 9);
    c = rotl<u32>(c + x4 + 0x6ed9eba1 + (d ^ a ^ b), 11);
    b = rotl<u32>(b + x12 + 0x6ed9eba1 + (c ^ d ^ a), 15);
    a = rotl<u32>(a + x2 + 0x6ed9eba1 + (b ^ c ^ d), 3);
    d = rotl<u32>(d + x10 + 0x6ed9eba1 + (a ^ b ^ c), 9);
    c = rotl<u32>(c + x6 + 0x6ed9eba1 + (d ^ a ^ b), 11);
    b = rotl<u32>(b + x14 + 0x6ed9eba1 + (c ^ d ^ a), 15);
    a = rotl<u32>(a + x1 + 0x6ed9eba1 + (b ^ c ^ d), 3);
    d = rotl<u32>(d + x9 + 0x6ed9eba1 + (a ^ b ^ c), 9);
    c = rotl<u32>(c + x5 + 0x6ed9eba1 + (d ^ a ^ b), 11);
    b = rotl<u32>(b + x13 + 0x6ed9eba1 + (c ^ d ^ a), 15);
    a = rotl<u32>(a + x3 + 0x6ed9eba1 + (b ^ c ^ d), 3);
    d = rotl<u32>(d + x11 + 0x6ed9eba1 + (a ^ b ^ c), 9);
    c = rotl<u32>(c + x7 + 0x6ed9eba1 + (d ^ a ^ b), 11);
    b = rotl<u32>(b + x15 + 0x6ed9eba1 + (c ^ d ^ a), 15);
    h0 += a;
    h1 += b;
    h2 += c;
    h3 += d;
    p += 64;
    n--;
  }
  store<u32>(st, h0, 0);
  store<u32>(st, h1, 4);
  store<u32>(st, h2, 8);
  store<u32>(st, h3, 12);
}
