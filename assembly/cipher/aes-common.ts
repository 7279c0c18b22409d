// AES (FIPS 197) tables and key-schedule layout shared by the table-driven (aes-table.ts)
// and the constant-time (aes-ct.ts) implementations.
//
// Nothing here is typed in by hand: the S-box and the round tables are derived at
// instantiation (module top-level code runs in the WASM start function) from the field
// arithmetic of FIPS 197 §4, so a typo cannot silently produce a wrong table, and the
// only inputs are the reduction polynomial (§4.2) and the affine constant (§5.1.1).

/** Round-key layout inside a key schedule `ks` (AES_KS_SIZE bytes). */
export const KS_ENC: usize = 0; // 4·(Nr+1) words of w[] (FIPS 197 §5.2), little-endian words = key bytes in order
export const KS_DEC: usize = 240; // equivalent inverse cipher schedule dw[] (FIPS 197 §5.3.5), same format
export const KS_NR: usize = 480; // Nr as i32: 10, 12 or 14

/** FIPS 197 §5.1.1 S-box and §5.3.2 inverse S-box, 256 bytes each. */
export const SBOX: usize = memory.data(256, 64);
export const INV_SBOX: usize = memory.data(256, 64);

/**
 * Encryption T-tables TE0..TE3 (4 × 256 little-endian u32, 1 KiB apart) and decryption
 * T-tables TD0..TD3. They fold SubBytes (§5.1.1), ShiftRows' byte selection (§5.1.2)
 * and one column of MixColumns (§5.1.3) into one lookup per state byte, the
 * implementation the AES designers describe for 32-bit processors. Words are
 * little-endian so that a plain `load<u32>` of a column needs no byte swap: row 0 of a
 * column is the low byte.
 *   TE0[x] = bytes (2·S[x], S[x], S[x], 3·S[x]),  TEk[x] = rotl(TE0[x], 8k)
 *   TD0[x] = bytes (e·Si[x], 9·Si[x], d·Si[x], b·Si[x]),  TDk[x] = rotl(TD0[x], 8k)
 */
export const TE: usize = memory.data(4096, 64);
export const TD: usize = memory.data(4096, 64);
export const TE0: usize = TE;
export const TE1: usize = TE + 1024;
export const TE2: usize = TE + 2048;
export const TE3: usize = TE + 3072;
export const TD0: usize = TD;
export const TD1: usize = TD + 1024;
export const TD2: usize = TD + 2048;
export const TD3: usize = TD + 3072;

/** Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS 197 §4.2.1). Branch-free. */
export function xtime8(b: u32): u32 {
  return ((b << 1) ^ (0x1b & (0 - (b >> 7)))) & 0xff;
}

/** Full product in GF(2^8) (FIPS 197 §4.2), used only while building tables at start-up. */
function gmul(a: u32, b: u32): u32 {
  let p: u32 = 0;
  for (let i = 0; i < 8; i++) {
    if (b & 1) p ^= a;
    a = xtime8(a);
    b >>= 1;
  }
  return p;
}

function buildTables(): void {
  // Walk the multiplicative group with the generator 0x03 to obtain inverses:
  // if a = g^i then a^-1 = g^(255-i). exp/log live in a scratch page reused below.
  const exp = TD; // 256 bytes of scratch, overwritten by TD at the end
  const log = TD + 256;
  let a: u32 = 1;
  for (let i: u32 = 0; i < 255; i++) {
    store<u8>(exp + i, <u8>a);
    store<u8>(log + a, <u8>i);
    a ^= xtime8(a); // a·3 = a·2 ⊕ a
  }
  for (let x: u32 = 0; x < 256; x++) {
    // §5.1.1: multiplicative inverse (0 maps to 0), then the affine transformation
    // b' = b ⊕ rotl(b,1) ⊕ rotl(b,2) ⊕ rotl(b,3) ⊕ rotl(b,4) ⊕ 0x63.
    const inv: u32 = x == 0 ? 0 : <u32>load<u8>(exp + ((255 - <u32>load<u8>(log + x)) % 255));
    let s = inv;
    for (let k = 1; k <= 4; k++) s ^= ((inv << k) | (inv >> (8 - k))) & 0xff;
    s ^= 0x63;
    store<u8>(SBOX + x, <u8>s);
    store<u8>(INV_SBOX + s, <u8>x);
  }
  for (let x: u32 = 0; x < 256; x++) {
    const s = <u32>load<u8>(SBOX + x);
    const te = xtime8(s) | (s << 8) | (s << 16) | ((xtime8(s) ^ s) << 24); // (2s, s, s, 3s)
    const i = <u32>load<u8>(INV_SBOX + x);
    const td = gmul(i, 0x0e) | (gmul(i, 0x09) << 8) | (gmul(i, 0x0d) << 16) | (gmul(i, 0x0b) << 24);
    for (let k: u32 = 0; k < 4; k++) {
      store<u32>(TE + k * 1024 + x * 4, rotl<u32>(te, 8 * k));
      store<u32>(TD + k * 1024 + x * 4, rotl<u32>(td, 8 * k));
    }
  }
}

buildTables();
